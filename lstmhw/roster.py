"""A class roster (SPEC §6): who is in the class, the variant each one is graded against, and the
columns an LMS gradebook matches students on.

A roster is a csv file with a header row::

    student,variant,email,sis_id,section
    abuitano,3,abuitano@example.edu,1001,L01
    bkhan,,bkhan@example.edu,1002,L02

``student`` and ``variant`` are required (an empty variant is the original key); ``email``,
``sis_id``, ``section``, ``canvas_id`` and ``sis_login_id`` are optional, and the reports carry
those present.  Students are matched to submissions by name, ignoring case.  A bad roster (a
column missing or unknown, a variant that is no whole number, a student listed twice) is one
located error, exit 2: grading a class against a roster it misreads would be worse than not at all.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field

from lstmhw.errors import LstmhwError, did_you_mean
from lstmhw.limits import MAX_FILE_BYTES, MAX_FILES_PER_RUN

REQUIRED_COLUMNS = ("student", "variant")
OPTIONAL_COLUMNS = ("email", "sis_id", "section", "canvas_id", "sis_login_id")


@dataclass
class RosterEntry:
    """One student of the roster: their variant and the roster's other columns for them."""

    student: str
    variant: int | None  # None: the original key
    columns: dict[str, str]  # the optional columns the roster has, in the roster's order
    line: int


@dataclass
class Roster:
    """A class roster read from its file; students are found by name, case-insensitively."""

    file: str
    columns: list[str]  # the optional columns present, in the file's order
    entries: dict[str, RosterEntry] = field(default_factory=dict)  # casefolded name -> entry, in file order

    def find(self, student: str) -> RosterEntry | None:
        return self.entries.get(student.casefold())


def read_roster(path: str) -> Roster:
    """Read and check a roster csv; any problem is one :class:`LstmhwError` naming the file and line."""
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise LstmhwError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, expected a roster csv", file=path)
        with open(path, encoding="utf-8-sig", newline="") as handle:  # -sig: Excel's byte-order mark
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise LstmhwError(f"cannot read the roster: {exc.strerror}", file=path) from None
    except UnicodeDecodeError:
        raise LstmhwError("not UTF-8 text, expected a roster csv (save it as CSV UTF-8)", file=path) from None
    except csv.Error as exc:
        raise LstmhwError(f"not a valid csv file ({exc})", file=path) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise LstmhwError("empty, expected a header row with the columns student and variant", file=path)
    header = [cell.strip().lower() for cell in rows[0]]
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    for name in header:
        if name not in known:
            raise LstmhwError(
                f"column {name!r}{did_you_mean(name, list(known))}, expected the columns {', '.join(known)}", file=path, line=1
            )
        if header.count(name) > 1:
            raise LstmhwError(f"column {name!r} appears twice, expected each column once", file=path, line=1)
    for name in REQUIRED_COLUMNS:
        if name not in header:
            raise LstmhwError(f"no column {name!r}, expected the columns student and variant at least", file=path, line=1)
    if len(rows) - 1 > MAX_FILES_PER_RUN:
        raise LstmhwError(f"{len(rows) - 1:,} students, expected at most {MAX_FILES_PER_RUN:,}", file=path)
    roster = Roster(path, [name for name in header if name in OPTIONAL_COLUMNS])
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line, as spreadsheets leave at the end
        if len(row) != len(header):
            raise LstmhwError(f"{len(row)} cells, expected {len(header)} like the header", file=path, line=line)
        cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
        student = cells["student"]
        if not student:
            raise LstmhwError("student: empty, expected the student's name", file=path, line=line)
        variant = _variant(cells["variant"], path, line)
        first = roster.entries.get(student.casefold())
        if first is not None:
            raise LstmhwError(
                f"student {student!r} is listed twice (first on line {first.line}), expected each student once",
                file=path,
                line=line,
            )
        roster.entries[student.casefold()] = RosterEntry(student, variant, {c: cells[c] for c in roster.columns}, line)
    return roster


def _variant(text: str, path: str, line: int) -> int | None:
    if text == "" or text == "~":
        return None
    if not (text.isascii() and text.isdigit()):  # whole numbers ≥ 0 only: "3.0", "-1" and "x" are errors, as in a submission
        raise LstmhwError(f"variant: {text!r}, expected a whole number ≥ 0 (or empty for the original key)", file=path, line=line)
    return int(text)
