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
        width=None if terminal else 120,
        soft_wrap=False,
    )


# What a step table needs besides its value column: borders and padding (16, or 19 with a
# "why" column), the mark (1), a formula column kept readable (20) and a "why" one (24).
FRAME, FRAME_WITH_NOTES, MARK, FORMULA_MIN, NOTES_MIN = 16, 19, 1, 20, 24
VALUE_MIN = 24


def value_width(steps: Sequence[Any], console_width: int | None, has_notes: bool) -> int | None:
    """The widest value that fits its column beside the others; None for no limit."""
    if console_width is None:
        return None
    names = max((len(s.name) for s in steps), default=0)
    others = (FRAME_WITH_NOTES + NOTES_MIN if has_notes else FRAME) + MARK + names + FORMULA_MIN
    return max(VALUE_MIN, console_width - others)


def trace_tables(trace: Trace, digits: int, console_width: int | None = None) -> list[Any]:
    """The step tables of a trace; with ``console_width``, a value too wide for its column
    (which Rich would cut short with "…") is summarized instead."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    heading = f"{trace.problem_id}" + (f" — {trace.title}" if trace.title else "") + f"  [{trace.solver}]"
    out: list[Any] = [Text(heading, style="bold")]
    asked = set(trace.asked)
    for group, steps in trace.groups():
        table = Table(title=escape(group) if group else None, title_justify="left", show_edge=True, expand=False)
        table.add_column("", width=1, no_wrap=True)
        table.add_column("step", no_wrap=True)
        table.add_column("formula")
        table.add_column("value", justify="right", no_wrap=True)
        has_notes = any(s.note for s in steps)
        if has_notes:
            table.add_column("why")
        width = value_width(steps, console_width, has_notes)
        for step in steps:
            mark = ASKED if step.name in asked else ""
            style = "bold yellow" if mark else ("dim" if step.given else None)
            cells = [mark, step.name, step.formula, value_text(step.value, digits, width)]
            if has_notes:
                cells.append(step.note)
            # Text, not str: Rich would read "[t]" in a formula or note as markup and drop it.
            table.add_row(*(Text(cell) for cell in cells), style=style)
        out.append(table)
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
