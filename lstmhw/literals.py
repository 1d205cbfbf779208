"""Matrices and numbers typed on the command line.

Accepted: a number (``0.5``), YAML/JSON flow (``"[[1, 2], [3, 4]]"``) or
MATLAB style (``"1 2; 3 4"``, commas allowed between entries).
"""

from __future__ import annotations

import re
from typing import Any

from lstmhw.errors import LstmhwError
from lstmhw.yamlio import parse_number, parse_yaml

_FORMS = "expected a number, YAML flow such as [[1, 2], [3, 4]], or MATLAB style such as '1 2; 3 4'"


def parse_literal(text: str, flag: str) -> Any:
    """The Python value (number or nested lists) a flag's text stands for."""
    stripped = text.strip()
    number = parse_number(stripped)
    if number is not None:
        return number
    if stripped.startswith("["):
        try:
            value = parse_yaml(stripped, flag).data
        except LstmhwError:
            raise LstmhwError(f"{stripped!r} is not a valid list, {_FORMS}", path=(flag,)) from None
        if isinstance(value, list):
            return value
        raise LstmhwError(f"{stripped!r}, {_FORMS}", path=(flag,))
    cells = matlab_cells(stripped)
    if cells is None:
        raise LstmhwError(f"{text!r}, {_FORMS}", path=(flag,))
    parsed = [[parse_number(cell) for cell in row] for row in cells]
    return parsed[0] if len(parsed) == 1 else parsed


def matlab_cells(text: str) -> list[list[str]] | None:
    """The cell texts of MATLAB-style rows (``"0.1 0.2; 0.3 0.4"``, brackets and commas allowed),
    row by row; None unless every cell is a number (so a word or a sentence is never read as one)."""
    rows = text.strip().strip("[]").split(";")
    parsed = []
    for row in rows:
        cells = [cell for cell in re.split(r"[\s,]+", row.strip()) if cell]
        if not cells or any(parse_number(cell) is None for cell in cells):
            return None
        parsed.append(cells)
    return parsed
