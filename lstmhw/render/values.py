"""Turning step values into JSON data and into short text for tables."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

SUMMARY_ELEMENTS = 64  # a value with more elements is summarized in tables


def jsonable(value: Any) -> Any:
    """Full precision: scalars as numbers, arrays as (nested) lists, booleans as booleans."""
    if type(value) is float:  # the commonest: a one-number answer or key
        return value
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if all(type(v) is float for v in value):
            return list(value)  # a row of floats, the bulk of a matrix
        return [jsonable(v) for v in value]
    return value


def number_text(x: float, digits: int) -> str:
    """``x`` with at least ``digits`` significant figures (and ``digits`` decimals where it is ≥ 0.1)."""
    return number_texts([x], digits)[0]


def number_texts(values: Iterable[float], digits: int) -> list[str]:
    """Numbers that are read together (a vector, a matrix) in one format, each with at least
    ``digits`` significant figures: fixed-point (0.2830, 0.04630), or scientific for all of
    them where one is below 1e-3 or from 1e7 on (5.994e-05, never 0.0001).
    """
    values = [float(v) for v in values]
    digits = max(digits, 1)
    finite = [abs(v) for v in values if v == v and v not in (_INF, -_INF) and v != 0]
    if any(a < 1e-3 or a >= 1e7 for a in finite):
        return [_special(v) or f"{v:.{digits - 1}e}" for v in values]
    return [_special(v) or f"{v:.{_decimals(v, digits)}f}" for v in values]


def _decimals(x: float, digits: int) -> int:
    """Decimals that show ``digits`` significant figures of ``x`` (0.01234 needs 5), at least ``digits``."""
    return digits if x == 0 else max(digits, digits - 1 - math.floor(math.log10(abs(x))))


_INF = float("inf")


def _special(x: float) -> str | None:
    if x != x:
        return "nan"
    if x in (_INF, -_INF):
        return "inf" if x > 0 else "-inf"
    return None


def value_text(value: Any, digits: int, width: int | None = None) -> str:
    """A readable rendering: a 1-element vector as a number, matrices row per line.

    More than SUMMARY_ELEMENTS values, or (given ``width``) a line wider than ``width``
    characters, is summarized: shape, first values, min, max and norm.
    """
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if value is None:
        return "—"
    array = np.asarray(value)
    if array.dtype == bool:
        return str(array.tolist()).lower()
    if array.ndim == 0 or array.size == 1:
        return number_text(float(array.reshape(-1)[0]), digits)
    if array.size > SUMMARY_ELEMENTS:
        return summary_text(array, digits, width)
    if array.ndim == 1:
        text = "[" + ", ".join(number_texts(array.tolist(), digits)) + "]"
    else:
        flat = number_texts(array.reshape(-1).tolist(), digits)
        columns = array.shape[-1]
        cells = [flat[n : n + columns] for n in range(0, len(flat), columns)]
        cell = max(len(c) for row in cells for c in row)
        text = "\n".join("[" + "  ".join(c.rjust(cell) for c in row) + "]" for row in cells)
    if width is not None and max(len(line) for line in text.split("\n")) > width:
        return summary_text(array, digits, width)
    return text


def summary_text(array: Any, digits: int, width: int | None = None) -> str:
    """Shape, the first three values, min, max and 2-norm: on one line, or on as many lines
    of at most ``width`` characters as they need."""
    import numpy as np

    flat = array.reshape(-1)
    head = ", ".join(number_texts(flat[:3].tolist(), digits))
    low, high, norm = (number_text(float(v), digits) for v in (flat.min(), flat.max(), np.linalg.norm(flat)))
    parts = [f"{'×'.join(map(str, array.shape))} values [{head}, …]", f"min {low}", f"max {high}", f"‖·‖ {norm}"]
    if width is None or len("  ".join(parts)) <= width:
        return "  ".join(parts)
    # narrow: a line each, and as many of the first values as fit
    heads = [", ".join(number_texts(flat[:k].tolist(), digits)) for k in (3, 2, 1)]
    first = next((f"[{h}, …]" for h in heads if len(h) + 4 <= width), None)
    parts = [f"{'×'.join(map(str, array.shape))} values"] + ([first] if first else []) + parts[1:]
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += "  " + part
        else:
            lines.append(part)
    return "\n".join(lines)
