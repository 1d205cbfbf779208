"""``--format table``: Rich tables, one per step group, formula beside value."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from typing import Any

from lstmhw.render.values import value_text
from lstmhw.trace import Trace

ASKED = "▶"


def make_console(file: Any = None) -> Any:
    """A console for stdout (colour only on a terminal and without NO_COLOR) or for a file."""
    from rich.console import Console

    if file is not None:
        return Console(file=file, force_terminal=False, no_color=True, width=120, highlight=False)
    terminal = sys.stdout.isatty()
    return Console(
        no_color=bool(os.environ.get("NO_COLOR")) or not terminal,
        highlight=False,
        width=None if terminal else piped_width(),
        soft_wrap=False,
    )


PIPED_WIDTH = 120  # a pipe or file has no width: this one, unless COLUMNS says otherwise
NARROWEST = 40


def piped_width() -> int:
    """COLUMNS when it is a sensible width (`lstmhw solve | less` on an 80-column terminal), else 120."""
    text = os.environ.get("COLUMNS", "").strip()
    return max(int(text), NARROWEST) if text.isdigit() else PIPED_WIDTH


# Column budgets. Each column costs 3 characters of frame (a border and two spaces), plus one
# border. The formula wraps, so it can get narrow; the "why" notes go below the table when
# the terminal is too narrow to give them a readable column.
MARK, FORMULA_MIN, NOTES_MIN, VALUE_MIN = 1, 14, 24, 14
NOTES_IN_TABLE = 100  # narrower than this, the notes are listed under their table


def frame(columns: int) -> int:
    return 3 * columns + 1


def value_width(steps: Sequence[Any], console_width: int | None, notes_column: bool) -> int | None:
    """The widest value that fits its column beside the others; None for no limit."""
    if console_width is None:
        return None
    names = max((len(s.name) for s in steps), default=0)
    others = frame(5 if notes_column else 4) + MARK + names + FORMULA_MIN + (NOTES_MIN if notes_column else 0)
    return max(VALUE_MIN, console_width - others)


def trace_tables(trace: Trace, digits: int, console_width: int | None = None) -> list[Any]:
    """The step tables of a trace; with ``console_width``, a value too wide for its column
    (which Rich would cut short with "…") is summarized instead, and the mark, the step
    names and the formulas keep their columns at any width from 60 on."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    heading = f"{trace.problem_id}" + (f" — {trace.title}" if trace.title else "") + f"  [{trace.solver}]"
    out: list[Any] = [Text(heading, style="bold")]
    asked = set(trace.asked)
    for group, steps in trace.groups():
        has_notes = any(s.note for s in steps)
        notes_column = has_notes and (console_width is None or console_width >= NOTES_IN_TABLE)
        names = max((len(s.name) for s in steps), default=4)
        table = Table(title=escape(group) if group else None, title_justify="left", show_edge=True, expand=False)
        table.add_column("", width=MARK, min_width=MARK, no_wrap=True)
        table.add_column("step", min_width=max(names, 4), no_wrap=True)
        table.add_column("formula", min_width=FORMULA_MIN, overflow="fold")
        table.add_column("value", justify="right", no_wrap=True)
        if notes_column:
            table.add_column("why", min_width=NOTES_MIN)
        width = value_width(steps, console_width, notes_column)
        for step in steps:
            mark = ASKED if step.name in asked else ""
            style = "bold yellow" if mark else ("dim" if step.given else None)
            cells = [mark, step.name, step.formula, value_text(step.value, digits, width)]
            if notes_column:
                cells.append(step.note)
            # Text, not str: Rich would read "[t]" in a formula or note as markup and drop it.
            table.add_row(*(Text(cell) for cell in cells), style=style)
        out.append(table)
        if has_notes and not notes_column:
            out += [Text(f"  {s.name}: {s.note}") for s in steps if s.note]
    if trace.asked:
        out.append(Text(f"{ASKED} asked: " + ", ".join(trace.asked), style="italic"))
    return out


def render_traces(traces: Sequence[Trace], digits: int, console: Any) -> None:
    for n, trace in enumerate(traces):
        if n:
            console.print()
        for item in trace_tables(trace, digits, console.width):
            console.print(item)


def traces_text(traces: Sequence[Trace], digits: int) -> str:
    buffer = io.StringIO()
    render_traces(traces, digits, make_console(buffer))
    return buffer.getvalue()
