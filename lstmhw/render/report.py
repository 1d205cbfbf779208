"""Grading reports: table (people), json (scripts), csv (spreadsheets, the Canvas gradebook), gradescope.

Each report but gradescope is a writer with ``add(row)`` (a student, as soon as graded) and
``close()``; see :mod:`lstmhw.batch`."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from lstmhw.grading import SubmissionResult

# lstmhw.render.json (and the json module) and lstmhw.render.values are imported by the
# writers that use them: `grade KEY ONE.yaml --format csv` needs neither (start-up, issue 18).
if TYPE_CHECKING:
    from lstmhw.batch import Row

REPORT_FORMATS = ("table", "json", "csv", "gradescope")


def _num(x: float) -> float | int:
    """Scores as written by a person: 7.0 -> 7, 5/6 kept exact."""
    return int(x) if float(x).is_integer() else x


def _quantity_data(r: Any, working: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "verdict": r.verdict,
        "answer": r.answer,
        "expected": r.expected,
        "points": _num(r.points),
        "max_points": _num(r.max_points),
        "diagnosis": r.diagnosis,
    }
    if r.ecf:
        entry["ecf"] = r.ecf
    if r.elements is not None:
        entry["elements"] = r.elements
    if r.reason:
        entry["reason"] = r.reason
    if r.read_from:
        entry["read_from"] = r.read_from
    if r.note:
        entry["note"] = r.note
    if r.explanation:
        entry["explanation"] = r.explanation
    if working and r.should_be is not None and r.verdict == "incorrect":
        entry["should_be"] = r.should_be
    return entry


def result_data(result: SubmissionResult) -> dict[str, Any]:
    problems = {pid: {q: _quantity_data(r) for q, r in quantities.items()} for pid, quantities in result.problems.items()}
    data = {
        "student": result.student,
        "file": result.file,
        "status": result.status,
        "error": result.error,
        "score": _num(result.score),
        "max_score": _num(result.max_score),
        "problems": problems,
    }
    if result.variant is not None:
        data["variant"] = result.variant
    if result.ignored:
        data["ignored"] = result.ignored
    if result.working:
        data["working"] = {
            pid: {"first_wrong": w.first_wrong, "steps": {name: _quantity_data(r, True) for name, r in w.steps.items()}}
            for pid, w in result.working.items()
        }
    if result.internal:
        data["internal"] = True
    return data


def row_data(row: Row) -> dict[str, Any]:
    """A report row as the json report holds it: the result, then what the batch knows beside it."""
    data = result_data(row.result)
    if row.result.status == "missing":
        data["file"] = None
    if row.roster is not None and row.roster.columns:
        data["roster"] = dict(row.roster.columns)
    if row.warning:
        data["warning"] = row.warning
    return data


class JsonReport:
    """``--format json``: one document, written a submission at a time (the same bytes as :func:`dumps`)."""

    def __init__(self, stream: IO[str]) -> None:
        from lstmhw.render.json import ListWriter

        self._stream = stream
        self._list = ListWriter(stream.write, "submissions")

    def add(self, row: Row) -> None:
        self._list.add(row_data(row))

    def close(self) -> None:
        self._list.close()


class CsvReport:
    """``--format csv``: a row per student, written as each is graded (SPEC §4.5), with the
    roster's columns after the student's name when there is a roster."""

    def __init__(self, stream: IO[str], problem_ids: Sequence[str], roster_columns: Sequence[str] = ()) -> None:
        self._stream = stream
        self._writer = csv.writer(stream, lineterminator="\n")
        self._ids = list(problem_ids)
        self._roster = list(roster_columns)
        # SPEC §4.5: the variant graded against, and the reason of an error row, in columns of their own
        self._writer.writerow(["student", *self._roster, "file", "status", "variant", *self._ids, "total", "max", "error"])

    def add(self, row: Row) -> None:
        r = row.result
        scores = [_round(r.problem_score(pid)) if r.status == "graded" else "" for pid in self._ids]
        variant = "" if r.variant is None else r.variant
        self._writer.writerow(
            [r.student, *_roster_cells(row, self._roster), r.file, r.status, variant, *scores,
             _round(r.score), _round(r.max_score), r.error or row.warning or ""]
        )

    def close(self) -> None:
        pass


def _roster_cells(row: Row, columns: Sequence[str]) -> list[str]:
    return [row.roster.columns.get(c, "") if row.roster is not None else "" for c in columns]


CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class CanvasReport:
    """``--format csv --lms canvas``: Canvas's gradebook import columns, the total under the
    assignment's name. Canvas matches a row to a student by ``ID`` (Canvas's own user id),
    ``SIS User ID`` or ``SIS Login ID``: the roster's ``canvas_id``, ``sis_id`` and ``sis_login_id``."""

    def __init__(self, stream: IO[str], assignment: str) -> None:
        self._stream = stream
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow([*CANVAS_COLUMNS, assignment])

    def add(self, row: Row) -> None:
        ids = _roster_cells(row, ["canvas_id", "sis_id", "sis_login_id", "section"])
        self._writer.writerow([row.result.student, *ids, _round(row.result.score)])

    def close(self) -> None:
        pass


def _round(x: float) -> float | int:
    # csv is for spreadsheets: 4 decimals is beyond any rubric, and 0.8333333333333334 is noise.
    if type(x) is float and x.is_integer():  # a whole score, most of a csv: what round() would give
        return int(x)
    return _num(round(x, 4))


DETAIL_COLUMNS = [
    "student", "file", "problem", "quantity", "verdict", "answer", "expected", "points", "max_points", "mistake", "message"
]


def _cell(value: Any) -> Any:
    """A csv cell: a list as its JSON text, nothing for None."""
    import json

    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, list) else value


class CsvDetailsReport:
    """``--format csv --details``: a row per student and quantity, written as each student is graded."""

    def __init__(self, stream: IO[str], roster_columns: Sequence[str] = ()) -> None:
        self._stream = stream
        self._writer = csv.writer(stream, lineterminator="\n")
        self._roster = list(roster_columns)
        self._writer.writerow([DETAIL_COLUMNS[0], *self._roster, *DETAIL_COLUMNS[1:]])

    def add(self, row: Row) -> None:
        r, writerow = row.result, self._writer.writerow
        who = [r.student, *_roster_cells(row, self._roster), r.file]
        if r.status != "graded":
            writerow([*who, "", "", r.status, "", "", 0, _round(r.max_score), "", r.error])
        else:
            for pid, quantities in r.problems.items():
                for q, res in quantities.items():
                    message = res.diagnosis["message"] if res.diagnosis else (res.reason or "")
                    if res.ecf:
                        message = "right from your own " + ", ".join(res.ecf["from"])
                    writerow([
                        *who, pid, q, res.verdict, _cell(res.answer), _cell(res.expected),
                        _round(res.points), _round(res.max_points), res.diagnosis["mistake"] if res.diagnosis else "", message,
                    ])
        if row.warning:
            writerow([*who, "", "", "warning", "", "", "", "", "", row.warning])

    def close(self) -> None:
        pass


def _fmt(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.2f}"


def _short(value: Any, digits: int) -> str:
    """A value for one line of a report; an answer that is no matrix of numbers (``[1, abc]``,
    ``[[]]``, ragged rows) as it was written, cut short."""
    import json

    import numpy as np

    from lstmhw.render.values import value_text

    if isinstance(value, list):
        try:
            array = np.asarray(value, dtype=float)
        except (ValueError, TypeError):
            array = None
        if array is None or array.size == 0 or array.dtype.kind != "f":
            text = json.dumps(value, ensure_ascii=False, default=str)
            return text if len(text) <= 60 else text[:57] + "..."
        return value_text(array, digits).replace("\n", " ")
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return value_text(value, digits)


# ----------------------------------------------------------------------------- gradescope
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")  # Gradescope's own words
CREDITED = ("correct", "correct-ecf")
WHAT_TO_UPLOAD = (
    "Upload **one** YAML file of your answers (for example `answers.yaml`; "
    "`lstmhw template` prints one to fill in, and `lstmhw check` checks it before you upload)."
)


def render_gradescope(
    result: SubmissionResult,
    digits: int = 4,
    *,
    visibility: str = "visible",
    show_expected: bool = False,
    seconds: float | None = None,
    note: str | None = None,
) -> str:
    """A Gradescope ``results.json`` for one submission (Gradescope's "Autograder Specifications"):
    the score, a Markdown summary, and one test per asked quantity with its points, an explicit
    ``passed``/``failed`` status (a 0-point quantity is not left to Gradescope's guess), what went
    wrong, and tags. ``visibility`` applies to every test. The key's values are left out unless
    ``show_expected``: students read this on every upload. ``note``: a line for the student above
    the summary (the autograder's, on what it found in the upload)."""
    tests = []
    for number, (pid, quantities) in enumerate(result.problems.items(), start=1):
        for sub, (q, r) in enumerate(quantities.items(), start=1):
            tags = [pid, r.verdict]
            if r.diagnosis and r.diagnosis["mistake"]:  # None: a slip in the working no catalogued mistake explains
                tags.append(r.diagnosis["mistake"])
            tests.append(
                {
                    "name": f"{pid} {q}",
                    "number": f"{number}.{sub}",
                    "score": _num(round(r.points, 6)),
                    "max_score": _num(r.max_points),
                    "status": "passed" if r.verdict in CREDITED else "failed",
                    "output": test_output(q, r, digits, show_expected),
                    "output_format": "md",
                    "tags": tags,
                    "visibility": visibility,
                }
            )
    lines = [note] if note else []
    if result.internal:
        lines.append(f"Your submission could not be graded (a bug of the grader, not your doing): {_md(result.error or '')}")
    elif result.status != "graded":
        lines += [f"Your submission could not be read: {_md(result.error or '')}", "", WHAT_TO_UPLOAD]
    else:
        variant = "the original problem" if result.variant is None else f"variant {result.variant}"
        lines.append(f"**{_fmt(result.score)} / {_fmt(result.max_score)} points**, graded against {variant}.")
        lines += _working_lines(result, digits, show_expected)
        lines += [_md(ignored_line(item)) for item in result.ignored]
    data: dict[str, Any] = {"score": _num(round(result.score, 6))}
    if seconds is not None:
        data["execution_time"] = round(seconds)  # whole seconds, as Gradescope's own example: the same upload, the same file
    data.update(
        {
            "output": "\n".join(lines),
            "output_format": "md",
            "visibility": visibility,
            "stdout_visibility": "hidden",  # the autograder's own log is for the instructor
            "tests": tests,
        }
    )
    from lstmhw.render.json import dumps

    return dumps(data)


def _working_lines(result: SubmissionResult, digits: int, show_expected: bool) -> list[str]:
    """The working in the summary (no points, so no test of its own): each problem's first wrong
    step, what explains it, and (with ``show_expected``) what it should have been."""
    lines = []
    for pid, working in result.working.items():
        if working.first_wrong is None:
            lines.append(f"Your working for {_code(pid)}: every step you gave follows from your own values.")
            continue
        step = working.steps.get(working.first_wrong) or result.problems[pid][working.first_wrong]
        text = f"Your working for {_code(pid)}: the first wrong step is {_code(working.first_wrong)}"
        text += f" (you gave {_code(_short(step.answer, digits))}"
        if show_expected and step.should_be is not None:
            text += f"; from your own values it should be {_code(_short(step.should_be, digits))}"
        text += ")"
        if step.diagnosis:
            text += f" — {_md(step.diagnosis['message'])}"
        lines.append(text + ".")
    return lines


def test_output(q: str, r: Any, digits: int = 4, show_expected: bool = False) -> str:
    """A quantity's test output for a student, in Markdown: verdict, their answer, what went wrong
    (the diagnosis, or the earlier values of theirs an ECF answer is right from), the points. The
    key's value only with ``show_expected``."""
    parts = [f"{_code(q)}: **{r.verdict}**"]
    if r.verdict == "missing":
        parts.append("— no answer")
    else:
        parts.append(f"— you gave {_code(_short(r.answer, digits))}")
    if show_expected:
        parts.append(f"(expected {_code(_short(r.expected, digits))})")
    if r.ecf:
        used = ", ".join(f"{_code(k)} = {_code(_short(v, digits))}" for k, v in r.ecf["from"].items())
        parts.append(f"— right from your own {used}")
    if r.reason:
        parts.append(f"— {_md(r.reason)}")
    if r.read_from:
        parts.append(f"(your {_code(r.read_from)} was read as {_code(q)})")
    if r.note:
        parts.append(f"({_md(r.note)})")
    if r.explanation:
        parts.append(f"(your reason: {_md(r.explanation)})")
    if r.diagnosis:
        parts.append(f"— {_md(r.diagnosis['message'])}")
    if r.elements and r.verdict == "incorrect":
        wrong = [e for e in r.elements if e["verdict"] == "incorrect"]
        parts.append(f"[{len(r.elements) - len(wrong)} of {len(r.elements)} elements right]")
        for e in wrong:
            if "diagnosis" in e and not r.diagnosis:
                parts.append(f"element {_code(str(tuple(e['index'])))}: {_md(e['diagnosis']['message'])}")
    parts.append(f"**{_fmt(r.points)}/{_fmt(r.max_points)}** pt")
    return " ".join(parts)


_MD_SPECIAL = set("\\`*_[]<>|~")  # what is markup inside a line (a line start is always ours)


def _md(text: str) -> str:
    """Text shown as written in Markdown: every character Markdown could read as markup escaped
    (``z_f[1] ... W_f`` would otherwise turn italic)."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in " ".join(text.split()))


def _code(text: str) -> str:
    """``text`` as a Markdown code span, fenced with more backticks than it holds in a row."""
    text = " ".join(str(text).split())
    run = longest = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# ----------------------------------------------------------------------------- table
class TableReport:
    """``--format table``: the summary table of the class, then its error and warning lines, then
    with ``--details`` a table per student.

    A table's column widths depend on every row, so the summary is printed at the end; what is
    kept until then is each student's row of text, not their results. Detail tables are rendered
    as each student is graded (the console's width is known) and kept as text."""

    def __init__(self, console: Any, problem_ids: Sequence[str], details: bool, digits: int) -> None:
        self._console = console
        self._ids = list(problem_ids)
        self._details = details
        self._digits = digits
        self._rows: list[tuple[tuple[str, ...], str | None]] = []
        self._notes: list[tuple[str, str, str]] = []  # (colour, student, text)
        self._detail_text: list[str] = []

    def add(self, row: Row) -> None:
        r = row.result
        scores = [_fmt(r.problem_score(pid)) if r.status == "graded" else "—" for pid in self._ids]
        style = {"error": "red", "missing": "yellow"}.get(r.status)
        self._rows.append(((r.student, r.status, *scores, _fmt(r.score), _fmt(r.max_score)), style))
        if r.status == "error":
            self._notes.append(("red", r.student, r.error or ""))
        if row.warning:
            self._notes.append(("yellow", r.student, "warning: " + row.warning))
        if self._details and r.status == "graded":
            from rich.text import Text

            with self._console.capture() as captured:
                self._console.print(_detail_table(r, self._digits))
                if r.working:
                    self._console.print(_working_table(r, self._digits))
                for item in r.ignored:
                    self._console.print(Text(ignored_line(item)), style="yellow")
            self._detail_text.append(captured.get())

    def close(self) -> None:
        from rich.markup import escape
        from rich.table import Table
        from rich.text import Text

        console = self._console
        summary = Table(title="grades", title_justify="left")
        for column in ("student", "status", *self._ids, "total", "max"):
            summary.add_column(column, justify="right" if column not in ("student", "status") else "left")
        for cells, style in self._rows:
            # Text, not str: a student named "[bold]x" or an error quoting "[t]" is shown as written.
            summary.add_row(*(Text(c) for c in cells), style=style)
        console.print(summary)
        for colour, student, text in self._notes:
            console.print(f"[{colour}]{escape(student)}[/{colour}]: {escape(text)}", markup=True, highlight=False)
        for text in self._detail_text:
            console.file.write(text)
        console.file.flush()


def _detail_table(r: SubmissionResult, digits: int) -> Any:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    table = Table(title=escape(f"{r.student} ({r.file})"), title_justify="left")
    for column in ("problem", "quantity", "verdict", "answer", "expected", "points", "what went wrong"):
        table.add_column(column)
    for pid, quantities in r.problems.items():
        for q, res in quantities.items():
            style = {"correct": "green", "correct-ecf": "cyan", "incorrect": "red"}.get(res.verdict, "yellow")
            cells = (
                pid, q, res.verdict, _short(res.answer, digits), _short(res.expected, digits),
                f"{_fmt(res.points)}/{_fmt(res.max_points)}", _why(res),
            )
            table.add_row(*(Text(c) for c in cells), style=style)
    return table


def _why(res: Any) -> str:
    """The "what went wrong" cell: diagnosis or reason, ECF, and how the answer was read."""
    why = res.diagnosis["message"] if res.diagnosis else (res.reason or "")
    if res.ecf:
        why = "right from your own " + ", ".join(res.ecf["from"])
    if res.note:
        why = f"({res.note}) {why}".strip()
    if res.explanation:
        why = f"{why} (your reason: {res.explanation})".strip()
    if res.read_from:
        why = f"(read from '{res.read_from}') {why}".strip()
    return why


def _working_table(r: SubmissionResult, digits: int) -> Any:
    """The working (SPEC §4.4): each step given, judged from the student's own values."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    table = Table(title=escape(f"{r.student}: working (no points unless asked)"), title_justify="left")
    for column in ("problem", "step", "verdict", "answer", "from your values", "what went wrong"):
        table.add_column(column)
    for pid, working in r.working.items():
        for name, res in working.steps.items():
            style = {"correct": "green", "correct-ecf": "cyan", "incorrect": "red"}.get(res.verdict, "yellow")
            should = _short(res.should_be, digits) if res.verdict == "incorrect" and res.should_be is not None else ""
            first = " ◀ first wrong" if name == working.first_wrong else ""
            cells = (pid, name + first, res.verdict, _short(res.answer, digits), should, _why(res))
            table.add_row(*(Text(c) for c in cells), style=style)
    return table


def ignored_line(item: dict[str, Any]) -> str:
    """One ignored answer in words (SPEC §4.1: nothing is dropped silently)."""
    hint = f" (did you mean '{item['did_you_mean']}'?)" if item.get("did_you_mean") else ""
    if item.get("name") is None:
        return f"ignored: answers to problem '{item['problem']}', which the key does not have{hint}"
    return f"ignored: {item['problem']}: '{item['name']}' matches nothing asked and no step of the solution{hint}"
