"""Grading reports: table (people), json (scripts), csv (spreadsheets), gradescope."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from lstmhw.grading import SubmissionResult
from lstmhw.render.json import dumps
from lstmhw.render.values import value_text

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


def render_json(results: Sequence[SubmissionResult]) -> str:
    return dumps({"submissions": [result_data(r) for r in results]})


def render_csv(results: Sequence[SubmissionResult], problem_ids: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # SPEC §4.5: the variant graded against, and the reason of an error row, in columns of their own
    writer.writerow(["student", "file", "status", "variant", *problem_ids, "total", "max", "error"])
    for r in results:
        scores = [_round(r.problem_score(pid)) if r.status == "graded" else "" for pid in problem_ids]
        variant = "" if r.variant is None else r.variant
        writer.writerow([r.student, r.file, r.status, variant, *scores, _round(r.score), _round(r.max_score), r.error or ""])
    return buffer.getvalue()


def _round(x: float) -> float | int:
    # csv is for spreadsheets: 4 decimals is beyond any rubric, and 0.8333333333333334 is noise.
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


def render_csv_details(results: Sequence[SubmissionResult]) -> str:
    """One row per student and quantity: the verdict, values and the diagnosis in words."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DETAIL_COLUMNS)
    for r in results:
        if r.status != "graded":
            writer.writerow([r.student, r.file, "", "", "error", "", "", 0, _round(r.max_score), "", r.error])
            continue
        for pid, quantities in r.problems.items():
            for q, res in quantities.items():
                message = res.diagnosis["message"] if res.diagnosis else (res.reason or "")
                if res.ecf:
                    message = "right from your own " + ", ".join(res.ecf["from"])
                writer.writerow([
                    r.student, r.file, pid, q, res.verdict, _cell(res.answer), _cell(res.expected),
                    _round(res.points), _round(res.max_points), res.diagnosis["mistake"] if res.diagnosis else "", message,
                ])
    return buffer.getvalue()


def quantity_line(q: str, r: Any, digits: int = 4) -> str:
    """One sentence for a student: verdict, values, and what went wrong."""
    parts = [f"{q}: {r.verdict}"]
    if r.verdict == "missing":
        parts.append(f"(expected {_short(r.expected, digits)})")
    else:
        parts.append(f"(you gave {_short(r.answer, digits)}, expected {_short(r.expected, digits)})")
    if r.ecf:
        used = ", ".join(f"{k} = {_short(v, digits)}" for k, v in r.ecf["from"].items())
        parts.append(f"— right from your own {used}")
    if r.reason:
        parts.append(f"— {r.reason}")
    if r.read_from:
        parts.append(f"(your '{r.read_from}' was read as '{q}')")
    if r.note:
        parts.append(f"({r.note})")
    if r.explanation:
        parts.append(f"(your reason: {r.explanation})")
    if r.diagnosis:
        parts.append(f"— {r.diagnosis['message']}")
    if r.elements and r.verdict == "incorrect":
        wrong = [e for e in r.elements if e["verdict"] == "incorrect"]
        parts.append(f"[{len(r.elements) - len(wrong)} of {len(r.elements)} elements right]")
        for e in wrong:
            if "diagnosis" in e and not r.diagnosis:
                parts.append(f"element {tuple(e['index'])}: {e['diagnosis']['message']}")
    parts.append(f"{_fmt(r.points)}/{_fmt(r.max_points)} pt")
    return " ".join(parts)


def _fmt(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.2f}"


def _short(value: Any, digits: int) -> str:
    """A value for one line of a report; an answer that is no matrix of numbers (``[1, abc]``,
    ``[[]]``, ragged rows) as it was written, cut short."""
    import json

    import numpy as np

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


def render_gradescope(result: SubmissionResult, digits: int = 4) -> str:
    """A Gradescope ``results.json`` for one submission: ``score`` and one test per quantity."""
    tests = []
    for pid, quantities in result.problems.items():
        for q, r in quantities.items():
            tests.append(
                {
                    "name": f"{pid} {q}",
                    "score": _num(round(r.points, 6)),
                    "max_score": _num(r.max_points),
                    "status": "passed" if r.verdict in ("correct", "correct-ecf") else "failed",
                    "output": quantity_line(q, r, digits),
                }
            )
    data: dict[str, Any] = {"score": _num(round(result.score, 6)), "tests": tests}
    if result.internal:
        data["output"] = f"Your submission could not be graded (a bug of the grader, not your doing): {result.error}"
    elif result.status != "graded":
        data["output"] = f"Your submission could not be read: {result.error}"
    return dumps(data)


def render_table(
    results: Sequence[SubmissionResult], problem_ids: Sequence[str], details: bool, digits: int, console: Any
) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    summary = Table(title="grades", title_justify="left")
    for column in ("student", "status", *problem_ids, "total", "max"):
        summary.add_column(column, justify="right" if column not in ("student", "status") else "left")
    for r in results:
        scores = [_fmt(r.problem_score(pid)) if r.status == "graded" else "—" for pid in problem_ids]
        style = "red" if r.status == "error" else None
        # Text, not str: a student named "[bold]x" or an error quoting "[t]" is shown as written.
        summary.add_row(*(Text(c) for c in (r.student, r.status, *scores, _fmt(r.score), _fmt(r.max_score))), style=style)
    console.print(summary)
    for r in results:
        if r.status == "error":
            console.print(f"[red]{escape(r.student)}[/red]: {escape(r.error or '')}", markup=True, highlight=False)
    if not details:
        return
    for r in results:
        if r.status != "graded":
            continue
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
        console.print(table)
        if r.working:
            console.print(_working_table(r, digits))
        for item in r.ignored:
            console.print(Text(ignored_line(item)), style="yellow")


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
