"""Turning step values into JSON data and into short text for tables."""

from __future__ import annotations

from typing import Any

SUMMARY_ELEMENTS = 64  # a value with more elements is summarized in tables


def jsonable(value: Any) -> Any:
    """Full precision: scalars as numbers, arrays as (nested) lists, booleans as booleans."""
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
        return [jsonable(v) for v in value]
    return value


def number_text(x: float, digits: int) -> str:
    """Fixed ``digits`` decimals; scientific where that would hide the value."""
    if x != x:
        return "nan"
    if x == 0:
        return f"{0:.{digits}f}"
    if abs(x) < 0.5 * 10.0 ** (-digits) or abs(x) >= 1e7:
        return f"{x:.{max(digits - 1, 1)}e}"
    return f"{x:.{digits}f}"


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
        return summary_text(array, digits)
    if array.ndim == 1:
        text = "[" + ", ".join(number_text(float(v), digits) for v in array) + "]"
    else:
        cells = [[number_text(float(v), digits) for v in row] for row in array]
        cell = max(len(c) for row in cells for c in row)
        text = "\n".join("[" + "  ".join(c.rjust(cell) for c in row) + "]" for row in cells)
    if width is not None and max(len(line) for line in text.split("\n")) > width:
        return summary_text(array, digits)
    return text


def summary_text(array: Any, digits: int) -> str:
    """Shape, the first three values, min, max and 2-norm, on one line."""
    import numpy as np

    flat = array.reshape(-1)
    head = ", ".join(number_text(float(v), digits) for v in flat[:3])
    return (
        f"{'×'.join(map(str, array.shape))} values [{head}, …]  "
        f"min {number_text(float(flat.min()), digits)}  max {number_text(float(flat.max()), digits)}  "
        f"‖·‖ {number_text(float(np.linalg.norm(flat)), digits)}"
    )
