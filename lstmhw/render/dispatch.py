"""Choosing a renderer for solved problems by ``--format``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lstmhw.errors import LstmhwError
from lstmhw.output import emit
from lstmhw.trace import Trace

SOLUTION_FORMATS = ("table", "json", "markdown", "latex")


def render_solutions(
    traces: Sequence[Trace], fmt: str, digits: int, out: str | None, problems: Sequence[Any] | None = None
) -> None:
    """Print or write the solutions; the sheets (markdown, latex) show each of ``problems``' statement
    and givens before its steps."""
    if fmt == "json":
        from lstmhw.render.json import render_traces

        emit(render_traces(traces), out)
    elif fmt == "table":
        from lstmhw.render import table

        if out:
            emit(table.traces_text(traces, digits), out)
        else:
            table.render_traces(traces, digits, table.make_console())
    elif fmt == "markdown":
        from lstmhw.render import markdown

        emit(markdown.render_traces(traces, digits, problems), out)
    elif fmt == "latex":
        from lstmhw.render import latex

        emit(latex.render_traces(traces, digits, problems), out)
    else:
        raise LstmhwError(f"--format: {fmt!r}, expected one of {', '.join(SOLUTION_FORMATS)}")
