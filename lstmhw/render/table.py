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


def trace_tables(trace: Trace, digits: int) -> list[Any]:
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
        for step in steps:
            mark = ASKED if step.name in asked else ""
            style = "bold yellow" if mark else ("dim" if step.given else None)
            cells = [mark, step.name, step.formula, value_text(step.value, digits)]
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
        for item in trace_tables(trace, digits):
            console.print(item)


def traces_text(traces: Sequence[Trace], digits: int) -> str:
    buffer = io.StringIO()
    render_traces(traces, digits, make_console(buffer))
    return buffer.getvalue()
