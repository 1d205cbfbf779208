"""``--format markdown``: a solution sheet that reads well raw and on GitHub.

One section per problem, one table per step group (step, formula, value, and
the note where a step has one), asked quantities marked ▶ and bold, then the
answers.  Names and formulas are code spans: they keep their brackets and
underscores literally, and the formula text is the same Unicode the table
renderer prints (``o[1]⊙tanh(c[1])``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lstmhw.render.values import SUMMARY_ELEMENTS, number_text, number_texts, value_text
from lstmhw.trace import Step, Trace

ASKED = "▶"
_SPECIAL = "\\`*_{}[]<>#|"


def text(raw: str) -> str:
    """Plain text with every character markdown could act on escaped."""
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in raw)
    return out.replace("\n", " ")


def code(raw: str) -> str:
    """A code span; the pipe is escaped because GitHub splits table cells on it first."""
    fence = "``" if "`" in raw else "`"
    pad = " " if raw.startswith("`") or raw.endswith("`") else ""
    return f"{fence}{pad}{raw}{pad}{fence}".replace("|", "\\|")


def inline_value(value: Any, digits: int) -> str:
    """A value on one line: a number, ``[a, b]`` or ``[[a, b], [c, d]]``."""
    import numpy as np

    if isinstance(value, (bool, np.bool_, str)) or value is None:
        return text(value_text(value, digits))
    array = np.asarray(value)
    if array.dtype == bool:
        return text(str(array.tolist()).lower())
    if array.size > SUMMARY_ELEMENTS or array.ndim > 2:
        return text(value_text(value, digits))
    if array.size == 1:
        return number_text(float(array.reshape(-1)[0]), digits)
    flat = number_texts(array.reshape(-1).tolist(), digits)
    if array.ndim == 1:
        return "[" + ", ".join(flat) + "]"
    columns = array.shape[1]
    rows = ("[" + ", ".join(flat[n : n + columns]) + "]" for n in range(0, len(flat), columns))
    return "[" + ", ".join(rows) + "]"


def _row(step: Step, asked: bool, digits: int, with_notes: bool) -> str:
    name, formula = code(step.name), code(step.formula)
    value = inline_value(step.value, digits)
    if asked:
        name, value = f"**{name}**", f"**{value}**"
    cells = [ASKED if asked else "", name, formula, value]
    if with_notes:
        cells.append(text(step.note))
    return "| " + " | ".join(cells) + " |"


def trace_markdown(trace: Trace, digits: int, problem: Any = None) -> str:
    """One problem's solution; with its ``problem``, the statement and the givens come first."""
    asked = set(trace.asked)
    heading = text(trace.problem_id) + (f" — {text(trace.title)}" if trace.title else "")
    lines = [f"## {heading}", ""]
    if problem is not None:
        from lstmhw.sheet import givens

        lines += statement_markdown(problem.statement) + givens_markdown(givens(problem, trace), digits)
    intro = f"Solver {code(trace.solver)}."
    if trace.asked:
        intro += " Asked: " + ", ".join(code(q) for q in trace.asked) + f" (marked {ASKED})."
    lines += [intro, ""]
    for group, steps in trace.groups():
        if group:
            lines += [f"### {text(group)}", ""]
        with_notes = any(s.note for s in steps)
        header = ["", "step", "formula", "value"] + (["why"] if with_notes else [])
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] * 3 + ["--:"] + (["---"] if with_notes else [])) + "|")
        lines += [_row(s, s.name in asked, digits, with_notes) for s in steps]
        lines.append("")
    if trace.asked:
        lines += ["### Answers", ""]
        for quantity in trace.asked:
            if quantity in trace:
                lines.append(f"- {code(quantity)} = {inline_value(trace.value(quantity), digits)}")
        lines.append("")
    return "\n".join(lines)


def render_traces(traces: Sequence[Trace], digits: int, problems: Sequence[Any] | None = None) -> str:
    """The whole sheet: a title, then every problem (with ``problems``: its statement and givens
    first), separated by rules."""
    parts = [trace_markdown(t, digits, problems[n] if problems else None) for n, t in enumerate(traces)]
    return "# Solutions\n\n" + "\n---\n\n".join(parts)


# ------------------------------------------------- problem sheets (lstmhw.sheet)
def statement_markdown(statement: str) -> list[str]:
    """The problem's statement: it is Markdown already, and printed as written."""
    return [statement.strip(), ""] if statement.strip() else []


def givens_markdown(givens: Sequence[Any], digits: int, heading: str = "###") -> list[str]:
    """The givens as a list, each under the name the formulas use: numbers with ``digits`` (at least
    four significant figures, as every number), or more where the file writes more."""
    if not givens:
        return []
    lines = [f"{heading} Given", ""]
    for given in givens:
        if given.text:
            lines.append(f"- {code(given.name)}: {text(given.text)}")
        elif isinstance(given.value, int):
            lines.append(f"- {code(given.name)} = {given.value}")
        else:
            lines.append(f"- {code(given.name)} = {inline_value(given.value, max(digits, given.digits))}")
    return lines + [""]
