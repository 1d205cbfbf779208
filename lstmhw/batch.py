"""Grading a class: read the key once, then each submission once, and write its report row at once.

The report is streamed (issue 18): a student's result goes to the report as soon as it is graded
and is then dropped, so memory does not grow with the class. Only what a format cannot write
before the end is kept: the table's summary rows (a few strings each, since a table's column
widths depend on every row), the names seen (to warn about a name two submissions share), and
with a roster who has submitted.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lstmhw.errors import LstmhwError
from lstmhw.files import load_problems
from lstmhw.grading import Key, Options, SubmissionResult, grade_submission
from lstmhw.limits import MAX_FILES_PER_RUN
from lstmhw.submission import Submission, file_stem, read_submission

if TYPE_CHECKING:
    # Imported where used: a roster (its csv reader) and --out's atomic writes (tempfile) are
    # not on the path of `grade KEY ONE.yaml` (a shell loop per student: start-up, issue 18).
    from lstmhw.roster import Roster, RosterEntry


@dataclass
class Row:
    """One row of a report: a submission's result (or a roster student's missing one), and what
    the batch knows beside it."""

    result: SubmissionResult
    roster: RosterEntry | None = None
    warning: str | None = None  # e.g. a student name another submission has too
    seconds: float | None = None  # the time reading and grading it took


@dataclass
class BatchSummary:
    """What the exit code follows from (SPEC §1): rows that are errors, and errors that are lstmhw's own."""

    rows: int = 0
    errors: int = 0
    internal: int = 0


def submission_files(paths: Sequence[str]) -> list[str]:
    """Files as given (a missing one becomes an error row, not a crash); folders give *.yaml."""
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            files.extend(sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith((".yaml", ".yml"))))
        else:
            files.append(path)
    if len(files) > MAX_FILES_PER_RUN:
        raise LstmhwError(f"{len(files):,} submissions, expected at most {MAX_FILES_PER_RUN:,} in one run")
    return files


def grade_file(key: Key, file: str, roster: Roster | None = None) -> Row:
    """One submission, read and graded: a graded row, or an error row (the file's own, or lstmhw's:
    ``internal``). With a roster the variant is the roster's, and a student not on it is an error row."""
    started = time.perf_counter()
    submission = None  # read_submission never raises for a file's content: only a bug of lstmhw's leaves it None
    entry = None
    try:
        submission = read_submission(file, key.ids)
        if roster is not None:
            entry = roster.find(submission.student)
            if entry is None and submission.error is None:  # an unreadable file keeps its own reason
                raise LstmhwError(f"student {submission.student!r} is not on the roster {roster.file}", file=file)
            if entry is not None:
                submission.variant = entry.variant  # the roster's, whatever the file says (SPEC §4)
        result = grade_submission(key, submission)
    except LstmhwError as exc:  # one bad submission never stops the batch
        result = _error_row(submission or _unread(file), str(exc), key)
    except Exception as exc:  # nor does a bug it trips: everyone else is still graded, and the exit code says so
        message = f"{file}: internal error of lstmhw: {type(exc).__name__}: {exc} (please report it)"
        result = _error_row(submission or _unread(file), " ".join(message.split()), key)  # one line, as every error
        result.internal = True
    return Row(result, entry, seconds=time.perf_counter() - started)


def _unread(file: str) -> Submission:
    """The submission of a file that could not even be read: its stem is the student."""
    return Submission(file=file, student=file_stem(file))


def graded_rows(key: Key, files: Sequence[str], roster: Roster | None = None) -> Iterator[Row]:
    """A row per file, in order, each as soon as it is graded; then, with a roster, a ``missing``
    row for each roster student no submission came from. A name two submissions share is warned
    about on stderr and in the later row."""
    first_file: dict[str, str] = {}  # casefolded student -> the first file with that name
    for file in files:
        row = grade_file(key, file, roster)
        name = row.result.student.casefold()
        if name in first_file:
            if first_file[name] == file:
                row.warning = f"{file} is given twice; both are in the report"
            else:
                row.warning = f"student {row.result.student!r} is also the student of {first_file[name]}; both are in the report"
            sys.stderr.write(f"lstmhw: warning: {file}: {row.warning}\n")
        else:
            first_file[name] = file
        yield row
    if roster is not None:
        for name, entry in roster.entries.items():
            if name not in first_file:
                yield Row(_missing_row(entry, key), entry)


def grade_all(key: Key, files: Sequence[str]) -> list[SubmissionResult]:
    """Every file's result, in order (for callers that want them all at once)."""
    return [row.result for row in graded_rows(key, files)]


def _error_row(submission: Submission, error: str, key: Key) -> SubmissionResult:
    return SubmissionResult(submission.student, submission.file, "error", error, 0.0, key.max_score)


def _missing_row(entry: RosterEntry, key: Key) -> SubmissionResult:
    """A roster student without a submission: status ``missing``, score 0 (SPEC §6)."""
    return SubmissionResult(entry.student, "", "missing", "no submission", 0.0, key.max_score, variant=entry.variant)


@dataclass
class ReportOptions:
    """How ``grade`` writes its report (the CLI's flags)."""

    fmt: str = "table"
    details: bool = False
    digits: int = 4
    out: str | None = None
    out_dir: str | None = None
    roster: str | None = None
    lms: str | None = None
    assignment: str | None = None  # the Canvas column's name; default: the key's file or folder name
    visibility: str = "visible"
    show_expected: bool = False


def grade_files(
    key_path: str,
    paths: Sequence[str],
    report: ReportOptions,
    *,
    rtol: float | None = None,
    atol: float | None = None,
) -> BatchSummary:
    """Grade and write the report, a row as each submission is graded; the CLI's exit code follows
    from the summary returned. ``--out`` is still atomic: the report goes to a temporary file that
    replaces ``--out`` only once it is complete."""
    key = Key(load_problems([key_path]), Options(rtol=rtol, atol=atol))
    roster = None
    if report.roster:
        from lstmhw.roster import read_roster

        roster = read_roster(report.roster)
    files = submission_files(paths)
    summary = BatchSummary()
    if report.fmt == "gradescope" and not report.out_dir:
        if len(files) != 1:
            raise LstmhwError(f"{len(files)} submissions, expected one for --format gradescope (or use --out-dir DIR)")
        row = grade_file(key, files[0], roster)
        _count(summary, row)
        text = _gradescope(row, report)
        if report.out:
            from lstmhw.output import write_atomic

            write_atomic(report.out, text)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        return summary
    if report.fmt == "gradescope":
        folders = GradescopeFolders(report.out_dir)
        for row in graded_rows(key, files, roster):
            _count(summary, row)
            if row.result.status != "missing":  # Gradescope has no upload to attach it to
                folders.write(row, _gradescope(row, report))
        return summary
    if report.out:
        from lstmhw.output import atomic_stream

        with atomic_stream(report.out) as stream:
            _write_report(key_path, key, files, roster, report, stream, summary, to_file=True)
    else:
        _write_report(key_path, key, files, roster, report, sys.stdout, summary, to_file=False)
    return summary


def _write_report(
    key_path: str,
    key: Key,
    files: Sequence[str],
    roster: Roster | None,
    report: ReportOptions,
    stream: Any,
    summary: BatchSummary,
    *,
    to_file: bool,
) -> None:
    from lstmhw.render import report as render

    columns = roster.columns if roster is not None else []
    writer: Any
    if report.fmt == "json":
        writer = render.JsonReport(stream)
    elif report.fmt == "csv" and report.lms == "canvas":
        writer = render.CanvasReport(stream, report.assignment or key_name(key_path))
    elif report.fmt == "csv":
        writer = render.CsvDetailsReport(stream, columns) if report.details else render.CsvReport(stream, key.ids, columns)
    else:
        from lstmhw.render.table import make_console

        writer = render.TableReport(make_console(stream if to_file else None), key.ids, report.details, report.digits)
    live = not to_file and read_as_written(stream)
    for row in graded_rows(key, files, roster):
        _count(summary, row)
        writer.add(row)
        if live:
            stream.flush()
    writer.close()


def read_as_written(stream: Any) -> bool:
    """Is the report read as it is written: a terminal, or a pipe (``| tee``, a log shown live)?
    Then each row is flushed as it is added. A regular file (``> report.csv``) is written in
    blocks, as any Unix tool writes one, and ``--out``'s temporary file is not seen until it is
    complete: a flush a row there is a write a row for nobody."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (AttributeError, OSError, ValueError):  # no file behind it (a StringIO): flush, it is cheap
        return True
    return stream.isatty() or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def key_name(key_path: str) -> str:
    """The key's file stem, or its folder's name: the default name of the assignment in a gradebook."""
    return os.path.splitext(os.path.basename(os.path.normpath(key_path)))[0] or "lstmhw"


def _count(summary: BatchSummary, row: Row) -> None:
    summary.rows += 1
    summary.errors += row.result.status == "error"
    summary.internal += row.result.internal


def _gradescope(row: Row, report: ReportOptions) -> str:
    from lstmhw.render.report import render_gradescope

    return render_gradescope(
        row.result, report.digits, visibility=report.visibility, show_expected=report.show_expected, seconds=row.seconds
    )


# ----------------------------------------------------------------------------- --out-dir
def _safe_name(student: str) -> str:
    """A student name as one path component: no separators, no dot-dot."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in student[:100]).strip(".")
    return cleaned or "student"


class GradescopeFolders:
    """``DIR/<student>/results.json`` per submission, written as each is graded, and never shared:
    ``student: alice`` in someone else's file must not overwrite Alice's results.json. A name two
    submissions share (also up to case, or after cleaning) gets each file's stem appended, so
    neither has the plain name: the first one's folder is renamed when the second one comes."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.used: set[str] = set()  # casefolded folder names given out
        self.plain: dict[str, tuple[str, str] | None] = {}  # casefolded name -> (folder, file stem) holding it plain

    def write(self, row: Row, text: str) -> str:
        name = _safe_name(row.result.student)
        stem = _safe_name(file_stem(row.result.file))
        key = name.casefold()
        if key not in self.plain:
            folder = self._unique(name)
            self.plain[key] = (folder, stem) if folder == name else None
        else:
            holder = self.plain[key]
            if holder is not None:  # the name is shared after all: the first one gives up the plain folder
                self.plain[key] = None
                moved = self._unique(f"{holder[0]}-{holder[1]}")
                self._move(holder[0], moved)
            folder = self._unique(f"{name}-{stem}")
        self._write(folder, text)
        return folder

    def _unique(self, name: str) -> str:
        base, n = name, 2
        while name.casefold() in self.used:  # the same name and stem from two folders
            name, n = f"{base}-{n}", n + 1
        self.used.add(name.casefold())
        return name

    def _folder(self, name: str) -> str:
        folder = os.path.join(self.out_dir, name)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise LstmhwError(f"cannot create {folder}: {exc.strerror}", file=self.out_dir) from None
        return folder

    def _write(self, name: str, text: str) -> None:
        from lstmhw.output import write_atomic

        write_atomic(os.path.join(self._folder(name), "results.json"), text)

    def _move(self, old: str, new: str) -> None:
        source = os.path.join(self.out_dir, old, "results.json")
        target = os.path.join(self._folder(new), "results.json")
        try:
            os.replace(source, target)
        except OSError as exc:
            raise LstmhwError(f"cannot move {source} to {target}: {exc.strerror}", file=self.out_dir) from None
        try:
            os.rmdir(os.path.join(self.out_dir, old))
        except OSError:
            pass  # the folder held other files too: it stays, without this run's results.json
