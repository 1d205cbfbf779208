"""Problem files: loading, validation with every error collected, and the Problem record.

Validation never stops at the first error: a :class:`Checker` collects them,
so ``lstmhw check`` can list all of them while ``solve`` reports the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lstmhw.errors import LstmhwError, ValidationErrors, did_you_mean
from lstmhw.limits import MAX_ARRAY_ELEMENTS, MAX_ERRORS_PER_FILE
from lstmhw.yamlio import Document, load_yaml, parse_number

MISSING: Any = object()

COMMON_KEYS = ("id", "title", "solver", "statement", "ask", "points", "tolerance", "ecf_credit", "variant")
DEFAULT_RTOL = 1e-2
DEFAULT_ATOL = 0.0  # a tolerance in absolute terms swallows small quantities (S ≈ 6e-5): none by default


def describe(value: Any) -> str:
    """A short rendering of a YAML value for an error message."""
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}" if value else "an empty list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


def as_number(value: Any) -> float | None:
    """A finite number from YAML (including strings such as '1e-8'), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return None
        if isinstance(value, int) and abs(value) > 1.7976931348623157e308:
            return None  # a whole number too big for any float
        return value
    if isinstance(value, str):
        return parse_number(value)
    return None


class Checker:
    """Typed, located reads from a YAML document; errors are collected, not raised."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.errors: list[LstmhwError] = []

    # -- plumbing -------------------------------------------------------
    def fail(self, path: Sequence[str | int], message: str) -> None:
        if len(self.errors) < MAX_ERRORS_PER_FILE:
            self.errors.append(self.doc.error(tuple(path), message))
        elif len(self.errors) == MAX_ERRORS_PER_FILE:
            self.errors.append(
                self.doc.error(tuple(path), f"more errors from here on; at most {MAX_ERRORS_PER_FILE} are listed per file")
            )

    @property
    def full(self) -> bool:
        """True once the error list is full: loops over user keys can stop early."""
        return len(self.errors) > MAX_ERRORS_PER_FILE

    def get(self, path: Sequence[str | int], default: Any = MISSING) -> Any:
        node: Any = self.doc.data
        for part in path:
            if isinstance(node, dict) and isinstance(part, str) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return default
        return node

    def has(self, path: Sequence[str | int]) -> bool:
        return self.get(path) is not MISSING

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationErrors(self.errors)

    # -- shapes of YAML -------------------------------------------------
    def mapping(
        self,
        path: Sequence[str | int],
        allowed: Iterable[str],
        *,
        required: Iterable[str] = (),
        aliases: dict[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """The mapping at ``path`` with unknown keys and missing ones reported."""
        value = self.get(path)
        if not isinstance(value, dict):
            self.fail(path, f"{describe(value)}, expected a mapping")
            return None
        allowed = list(allowed)
        aliases = aliases or {}
        for key in value:
            if self.full:
                break
            if key not in allowed and key not in aliases:
                hint = did_you_mean(key, allowed + list(aliases))
                self.fail(tuple(path) + (key,), f"unknown key{hint}, expected one of {', '.join(allowed)}")
        for key in required:
            if key not in value and not any(a in value for a, k in aliases.items() if k == key):
                self.fail(path, f"missing key '{key}', expected it here" if path else f"missing key '{key}'")
        return value

    def _absent(self, path: Sequence[str | int], default: Any) -> Any:
        """A key that is not there: its default, or (None and) a "missing key" error if it has none."""
        if default is MISSING:
            self.fail(path[:-1], f"missing key '{path[-1]}'")
            return None
        return default

    def number(
        self,
        path: Sequence[str | int],
        *,
        default: Any = MISSING,
        minimum: float | None = None,
        maximum: float | None = None,
        above: float | None = None,
        below: float | None = None,
        integer: bool = False,
    ) -> Any:
        raw = self.get(path)
        if raw is MISSING:
            return self._absent(path, default)
        value = as_number(raw)
        kind = "a whole number" if integer else "a finite number"
        if value is None:
            self.fail(path, f"{describe(raw)}, expected {kind}")
            return None
        if integer:
            if isinstance(value, float) and not value.is_integer():
                self.fail(path, f"{describe(raw)}, expected a whole number")
                return None
            value = int(value)
        bounds = [
            (minimum is not None and value < minimum, f"≥ {minimum}"),
            (maximum is not None and value > maximum, f"≤ {maximum}"),
            (above is not None and value <= above, f"> {above}"),
            (below is not None and value >= below, f"< {below}"),
        ]
        for broken, text in bounds:
            if broken:
                self.fail(path, f"{describe(raw)}, expected a number {text}")
                return None
        return value

    def text(self, path: Sequence[str | int], *, default: Any = MISSING, choices: Sequence[str] | None = None) -> Any:
        raw = self.get(path)
        if raw is MISSING:
            return self._absent(path, default)
        if isinstance(raw, (dict, list)) or raw is None:
            self.fail(path, f"{describe(raw)}, expected text")
            return None
        text = str(raw) if not isinstance(raw, bool) else ("true" if raw else "false")
        if choices is not None and text not in choices:
            self.fail(path, f"{describe(raw)}{did_you_mean(text, choices)}, expected one of {', '.join(choices)}")
            return None
        return text

    def boolean(self, path: Sequence[str | int], *, default: Any = MISSING) -> Any:
        raw = self.get(path)
        if raw is MISSING:
            return self._absent(path, default)
        if not isinstance(raw, bool):
            self.fail(path, f"{describe(raw)}, expected true or false")
            return None
        return raw

    def array(self, path: Sequence[str | int], *, default: Any = MISSING, max_ndim: int = 2) -> Any:
        """A number, flat list or list of rows as a float ndarray (ndim 0, 1 or 2)."""
        raw = self.get(path)
        if raw is MISSING:
            return self._absent(path, default)
        try:
            return to_array(raw, max_ndim=max_ndim)
        except ArrayError as exc:
            self.fail(tuple(path) + exc.where, exc.message)
            return None


class ArrayError(Exception):
    def __init__(self, where: tuple, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def to_array(raw: Any, *, max_ndim: int = 2) -> Any:
    """Convert YAML data to a float ndarray, checking numbers, raggedness and size first."""
    import numpy as np

    if isinstance(raw, list):
        if not raw:
            raise ArrayError((), "an empty list, expected numbers")
        if all(isinstance(row, list) for row in raw):
            if max_ndim < 2:
                raise ArrayError((), "a list of lists, expected a number or a flat list")
            width = len(raw[0])
            if len(raw) * max(width, 1) > MAX_ARRAY_ELEMENTS:
                raise ArrayError((), f"{len(raw)}×{width} values, expected at most {MAX_ARRAY_ELEMENTS:,}")
            rows = []
            for r, row in enumerate(raw):
                if len(row) != width:
                    raise ArrayError((r,), f"a row of {len(row)} numbers, expected {width} like row 0 (ragged matrix)")
                rows.append(_numbers(row, (r,)))
            if width == 0:
                raise ArrayError((0,), "an empty row, expected numbers")
            return np.array(rows, dtype=float)
        if any(isinstance(item, list) for item in raw):
            r = next(i for i, item in enumerate(raw) if isinstance(item, list) != isinstance(raw[0], list))
            raise ArrayError((r,), "a mix of numbers and lists, expected a flat list or a list of rows")
        if len(raw) > MAX_ARRAY_ELEMENTS:
            raise ArrayError((), f"{len(raw):,} values, expected at most {MAX_ARRAY_ELEMENTS:,}")
        return np.array(_numbers(raw, ()), dtype=float)
    value = as_number(raw)
    if value is None:
        raise ArrayError((), f"{describe(raw)}, expected a number or a list of numbers")
    return np.array(float(value))


def _numbers(items: list, where: tuple) -> list[float]:
    out = []
    for c, item in enumerate(items):
        value = as_number(item)
        if value is None:
            if isinstance(item, list):
                raise ArrayError(where + (c,), "a nested list, expected a number (at most 2 dimensions)")
            raise ArrayError(where + (c,), f"{describe(item)}, expected a finite number")
        out.append(float(value))
    return out


def shape_text(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def fit(array: Any, rows: int, cols: int | None) -> Any:
    """Reshape a flat list or scalar to the expected matrix/vector shape when unambiguous.

    ``cols=None`` means a vector of length ``rows``.  Returns None when it cannot fit.
    """
    if array is None:
        return None
    if cols is None:
        if array.ndim == 0 and rows == 1:
            return array.reshape(1)
        if array.ndim == 1 and array.shape[0] == rows:
            return array
        if array.ndim == 2 and array.shape in ((rows, 1), (1, rows)):
            return array.reshape(rows)
        return None
    if array.ndim == 0 and rows == cols == 1:
        return array.reshape(1, 1)
    if array.ndim == 1:
        if rows == 1 and array.shape[0] == cols:
            return array.reshape(1, cols)
        if cols == 1 and array.shape[0] == rows:
            return array.reshape(rows, 1)
        return None
    if array.ndim == 2 and array.shape == (rows, cols):
        return array
    return None


@dataclass
class Tolerance:
    """An answer is right within ``atol + rtol·|key|`` of the key, element by element."""

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL


@dataclass
class Problem:
    """A validated problem: common keys plus the solver's own parameters."""

    id: str
    title: str
    solver: str
    ask: list[str]
    params: Any
    points: dict[str, float] = field(default_factory=dict)
    tolerance: Tolerance = field(default_factory=Tolerance)
    ecf_credit: float = 1.0
    file: str = ""
    statement: str = ""  # the question as students read it (Markdown)
    variant: dict[str, Any] | None = None
    doc: Document | None = None
    # The solution's steps, solved once on load (plain ops, no overrides): run() reuses them.
    solution: dict | None = field(default=None, repr=False, compare=False)

    def points_for(self, quantity: str) -> float:
        return self.points.get(quantity, 1.0)


def load_problem(file: str) -> Problem:
    """Read and validate one problem file; raises :class:`ValidationErrors`."""
    return problem_from_document(load_yaml(file))


def problem_from_document(doc: Document) -> Problem:
    from lstmhw.solvers import SOLVERS, solver_module

    c = Checker(doc)
    data = doc.data
    solver_name = c.text(("solver",), choices=sorted(SOLVERS))
    if solver_name is None:
        c.raise_errors()
    module = solver_module(solver_name)
    c.mapping((), list(COMMON_KEYS) + list(module.KEYS), aliases=getattr(module, "ALIASES", {}))
    stem = doc.file.rsplit("/", 1)[-1].rsplit(".", 1)[0] if doc.file else "problem"
    problem_id = c.text(("id",), default=stem)
    unsafe = problem_id is not None and (not problem_id or problem_id.startswith(".") or any(ch in problem_id for ch in "/\\\0"))
    if "id" in data and unsafe:
        # `variant --out DIR` and the sheets name files by it: "../x" or "/etc/x" would leave DIR
        c.fail(("id",), f"{describe(problem_id)}, expected a name without '/', '\\' or a leading '.' (files are named by it)")
        problem_id = None
    title = c.text(("title",), default="")
    statement = c.text(("statement",), default="")  # Markdown, shown by `handout` and on solution sheets
    try:
        params = module.read(c)
    except LstmhwError as exc:  # a solver that raised instead of collecting (e.g. a trial solve too long)
        c.fail(exc.path, exc.message)
        params = None
    ask, solution = _read_ask(c, data, module, params)
    points: dict[str, float] = {}
    if "points" in data:
        points_map = c.get(("points",))
        if isinstance(points_map, dict):
            for quantity in points_map:
                if c.full:
                    break
                value = c.number(("points", quantity), minimum=0)
                if value is not None:
                    points[quantity] = float(value)
                if ask is not None and quantity not in ask:
                    c.fail(
                        ("points", quantity),
                        f"points for '{quantity}', which is not asked{did_you_mean(quantity, ask)}; "
                        f"expected one of {', '.join(ask)}",
                    )
        else:
            c.fail(("points",), f"{describe(points_map)}, expected a mapping of quantity to points")
    tolerance = Tolerance()
    if "tolerance" in data and c.mapping(("tolerance",), ["rtol", "atol"]) is not None:
        tolerance = Tolerance(
            rtol=c.number(("tolerance", "rtol"), default=DEFAULT_RTOL, minimum=0),
            atol=c.number(("tolerance", "atol"), default=DEFAULT_ATOL, minimum=0),
        )
    ecf_credit = c.number(("ecf_credit",), default=1.0, minimum=0, maximum=1)
    variant = None
    if "variant" in data and c.mapping(("variant",), ["seed", "of"]) is not None:
        variant = {"seed": c.number(("variant", "seed"), integer=True, minimum=0), "of": c.text(("variant", "of"), default="")}
    c.raise_errors()
    return Problem(
        id=problem_id,
        title=title,
        solver=solver_name,
        ask=ask,
        params=params,
        points=points,
        tolerance=tolerance,
        ecf_credit=float(ecf_credit),
        file=doc.file,
        statement=statement or "",
        variant=variant,
        doc=doc,
        solution=solution,
    )


def _read_ask(c: Checker, data: dict, module: Any, params: Any) -> tuple[list[str] | None, dict | None]:
    """The asked quantities, and the solution's steps: the one solve on load, kept for ``run``."""
    if params is None:
        return _asked(c, data, module, params, []), None
    from lstmhw.solvers import quantity_names, solve_into

    try:  # also finds a step that overflows, or a solution too long
        steps = solve_into(module, params, module.OPS).steps
    except LstmhwError as exc:  # not a place in the file: the message names the step
        c.errors.append(LstmhwError(exc.message, file=c.doc.file))
        return None, None
    return _asked(c, data, module, params, quantity_names(steps)), steps


def _asked(c: Checker, data: dict, module: Any, params: Any, known: list[str]) -> list[str] | None:
    raw = data.get("ask", MISSING)
    if raw is MISSING:
        return list(module.default_ask(params)) if params is not None else []
    if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(q, (str, int, float)) and not isinstance(q, bool) for q in raw):
        c.fail(("ask",), f"{describe(raw)}, expected a list of quantity names")
        return None
    ask = [str(q) for q in raw]
    if not ask:  # nothing would be highlighted, and a key would grade out of 0 points
        c.fail(("ask",), "an empty list, expected the quantities asked (or no ask key, for the solver's default)")
        return None
    if params is not None:
        for n, quantity in enumerate(ask):
            if c.full:
                break
            if quantity not in known:
                sample = ", ".join(list(known)[:12]) + (", ..." if len(known) > 12 else "")
                c.fail(
                    ("ask", n),
                    f"'{quantity}' is not a quantity of this problem{did_you_mean(quantity, list(known))}, "
                    f"expected one of {sample}",
                )
        if len(set(ask)) != len(ask):
            c.fail(("ask",), "a quantity listed twice, expected each once")
    return ask
