"""The trace: every named step of a solution, in the order a student works it.

A solver writes its steps through a :class:`Tracer`; the result is a
:class:`Trace`.  The trace is an explicit graph: each step declares

- ``inputs``: the earlier steps whose values its function takes;
- ``uses``: the fields of the solver's ``OPS`` its function calls;
- ``data``: the problem's constants it reads (weights, hyper-parameters),
  passed as keyword arguments,

and its function is called as ``fn(ops, *input values, **data)``: it reads
nothing else (no closure: a test holds every solver to it).  Renderers print
the trace, the grader compares against it, and the same solver can be re-run
in three ways without a second copy of its code:

- ``overrides`` substitute a student's own values for named steps, so every
  later step is recomputed from them (error carried forward);
- ``decimals`` rounds every computed value as it is produced, as a student
  does on paper (hand rounding);
- the solver's ``ops`` can be swapped for ones with a mistake in them
  (diagnosis; see :mod:`lstmhw.mistakes`).

Because the edges are declared, "recompute a quantity from the student's values
it is computed from" and "which steps can a mistake touch" are walks over the
graph (:mod:`lstmhw.reruns`).

For every step the trace keeps both ``value`` (what flows on to later steps)
and ``own`` (what the step's function gave from its inputs in this run).
They differ only for an overridden step; ``own`` is then "what this step
should have been, given the student's earlier answers".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lstmhw.limits import MAX_TRACE_STEPS

Value = Any  # float | bool | numpy.ndarray


@dataclass(frozen=True)
class Step:
    """One step of a solution: its name, formula, inputs and the function that computes it, and its value."""

    name: str  # "c[1]"
    formula: str  # "f[1]⊙c[0] + i[1]⊙c̃[1]"
    latex: str  # r"f_{1} \odot c_{0} + i_{1} \odot \tilde{c}_{1}"
    inputs: tuple[str, ...]  # names of earlier steps the function reads
    fn: Callable[..., Value] | None  # fn(ops, *inputs, **data); None for a given (problem data)
    value: Value
    own: Value
    group: str = ""  # the table this step is printed in, e.g. "t = 1"
    note: str = ""  # a sentence explaining the value (evidence, regime, ...)
    uses: frozenset[str] = frozenset()  # the OPS fields fn calls
    data: Mapping[str, Value] = field(default_factory=dict)  # constants fn reads, by keyword
    describe: Callable[[Value], str] | None = None  # the note as a function of the value, if it depends on it

    @property
    def given(self) -> bool:
        return self.fn is None


@dataclass
class Trace:
    """A solved problem: every step, given or computed, by name, in the order they were made."""

    problem_id: str
    solver: str
    title: str
    asked: list[str]
    steps: dict[str, Step] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Step:
        return self.steps[name]

    def __contains__(self, name: object) -> bool:
        return name in self.steps

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps.values())

    def value(self, name: str) -> Value:
        return self.steps[name].value

    def groups(self) -> list[tuple[str, list[Step]]]:
        """Steps grouped for display, groups in order of first appearance."""
        out: dict[str, list[Step]] = {}
        for step in self.steps.values():
            out.setdefault(step.group, []).append(step)
        return list(out.items())


def round_value(value: Value, decimals: int) -> Value:
    """Round a number or array as a student would on paper; booleans pass through.

    To ``decimals`` decimals, but never to fewer than two significant figures: on paper
    5.994e-05 is kept as 0.000060, not rounded to 0.0001 (or to 0).

    NumPy's rounding (``ndarray.round``: x·10^d, rint, ÷10^d) throughout; a single float64
    number takes :func:`_round_float`, the same IEEE arithmetic in plain floats.
    """
    import numpy as np

    kind = type(value)
    if kind is float or kind is np.float64:  # a plain number, the commonest case
        small = 10.0 ** (1 - decimals)  # below this, `decimals` decimals show fewer than two figures
        if value != 0 and abs(value) < small:
            return _two_figures(float(value))
        rounded = _round_float(float(value), decimals)
        return rounded if rounded is not None else float(np.asarray(value).round(decimals))
    if kind is np.ndarray and value.size == 1 and value.ndim and value.dtype.char == "d" and value.dtype.isnative:
        x = value.item()  # one float64 number in an array, the other common case
        small = 10.0 ** (1 - decimals)
        if x != 0 and abs(x) < small:
            return np.full(value.shape, _two_figures(x))
        rounded = _round_float(x, decimals)
        if rounded is None:
            return value.round(decimals)
        return np.array(rounded, ndmin=value.ndim)  # the shape (1, ..., 1) of value
    return _round_any(value, decimals)


def _round_any(value: Value, decimals: int) -> Value:
    """:func:`round_value` of anything: booleans pass through, arrays rounded element by element."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)) or value is None:
        return value
    small = 10.0 ** (1 - decimals)  # below this, `decimals` decimals show fewer than two figures
    # ndarray.round is what np.round calls (for a Python number, on np.asarray of it),
    # without np.round's dispatch: the same values, in half the time.
    if isinstance(value, np.ndarray):
        if value.dtype == bool:
            return value
        if value.size == 1:  # one number: the check in plain floats
            x = value.item()
            if x != 0 and abs(x) < small:
                return np.full(value.shape, _two_figures(x))
            return value.round(decimals)
        out = value.round(decimals)
        tiny = (np.abs(value) < small) & (value != 0)
        if tiny.any():
            out[tiny] = [_two_figures(float(v)) for v in value[tiny]]
        return out
    if isinstance(value, (int, float, np.floating, np.integer)):
        if value != 0 and abs(value) < small:
            return _two_figures(float(value))
        return float(np.asarray(value).round(decimals))
    return value


# NumPy's powers of ten for rounding (power_of_ten in its calculation.c): exact to 1e22.
_POWERS_OF_TEN = tuple(10.0**n for n in range(23))
_EXACT_INTEGERS = 2.0**52  # below this a float's rint is round(): Python's round-half-even to an int


def _round_float(x: float, decimals: int) -> float | None:
    """``float(np.asarray(x).round(decimals))`` in plain floats, bit for bit (the sign of a zero
    too); None where NumPy's own path must decide (decimals outside 0–22, not finite, beyond
    exact integers: overflow and NaN follow NumPy's error state there)."""
    if not 0 <= decimals <= 22:
        return None
    scale = _POWERS_OF_TEN[decimals]
    y = x * scale
    if not -_EXACT_INTEGERS < y < _EXACT_INTEGERS:  # also NaN and ±inf
        return None
    whole = round(y)  # half to even, as rint in the default rounding mode
    if whole == 0:
        return math.copysign(0.0, x)  # rint(−0.3) is −0.0, and −0.0/10^d stays −0.0
    return whole / scale  # an int below 2^52 converts exactly: rint(y)/10^d


def _two_figures(x: float) -> float:
    """``x`` rounded to two significant figures (as many decimals as that takes)."""
    import numpy as np

    if not math.isfinite(x):
        return x
    decimals = 1 - math.floor(math.log10(abs(x)))
    rounded = _round_float(x, decimals)
    return rounded if rounded is not None else float(np.asarray(x).round(decimals))


def numeric(value: Value) -> Any:
    """A step's value as a float array, or None for true/false, text and None."""
    import numpy as np

    if value is None or isinstance(value, (bool, str, np.bool_)):
        return None
    array = np.asarray(value)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        return None
    return array.astype(float)


def numeric_error(name: str, formula: str, exc: ArithmeticError) -> Exception:
    """A step that left float64 (numpy raises inside :func:`lstmhw.solvers.run`) as a one-line error."""
    from lstmhw.errors import NumericError

    text = str(exc)
    if "overflow" in text or isinstance(exc, OverflowError):
        what = "overflows float64 (beyond ±1.8e308)"
    elif "divide" in text or isinstance(exc, ZeroDivisionError):
        what = "divides by zero"
    else:
        what = "is not a number (an invalid operation such as ∞−∞ or 0·∞)"
    return NumericError(f"{name} = {formula} {what}, expected inputs small enough for finite values")


def too_many_steps() -> Exception:
    """A solution too long to print or grade in reasonable time (a backstop: solvers check sizes first)."""
    from lstmhw.errors import LstmhwError

    return LstmhwError(
        f"a solution of more than {MAX_TRACE_STEPS:,} steps, expected at most {MAX_TRACE_STEPS:,} "
        "(fewer time steps, terms or iterations)"
    )


class Tracer:
    """Collects steps while a solver runs; see the module docstring."""

    def __init__(
        self,
        ops: Any,
        *,
        overrides: Mapping[str, Value] | None = None,
        decimals: int | None = None,
    ) -> None:
        self.ops = ops
        self.overrides = overrides or {}
        self.decimals = decimals
        self.steps: dict[str, Step] = {}

    def given(
        self,
        name: str,
        value: Value,
        *,
        group: str = "",
        formula: str = "given",
        latex: str = r"\text{given}",
        note: str = "",
    ) -> Value:
        """Record problem data under a name so later steps can name it as an input."""
        if len(self.steps) >= MAX_TRACE_STEPS and name not in self.steps:
            raise too_many_steps()
        self.steps[name] = Step(name, formula, latex, (), None, value, value, group, note)
        return value

    def step(
        self,
        name: str,
        formula: str,
        latex: str,
        inputs: Sequence[str],
        fn: Callable[..., Value],
        *,
        uses: Sequence[str] = (),
        data: Mapping[str, Value] | None = None,
        group: str = "",
        note: str | Callable[[Value], str] = "",
    ) -> Value:
        """Compute ``fn(ops, *values of inputs, **data)``, record it as ``name`` and return the value.

        ``uses`` names the ``OPS`` fields ``fn`` calls (a mistake that patches none of them
        cannot change this step's function); ``note`` may be a function of the value.
        """
        if len(self.steps) >= MAX_TRACE_STEPS and name not in self.steps:
            raise too_many_steps()
        data = data or {}
        try:
            own = fn(self.ops, *[self.steps[i].value for i in inputs], **data)
        except (FloatingPointError, OverflowError, ZeroDivisionError) as exc:
            raise numeric_error(name, formula, exc) from None
        if self.decimals is not None:
            own = round_value(own, self.decimals)
        value = self.overrides[name] if name in self.overrides else own
        describe = note if callable(note) else None
        text = describe(value) if describe is not None else note
        self.steps[name] = Step(
            name, formula, latex, tuple(inputs), fn, value, own, group, text, frozenset(uses), data, describe
        )
        return value

    def value(self, name: str) -> Value:
        return self.steps[name].value

    def trace(self, problem_id: str, solver: str, title: str, asked: list[str]) -> Trace:
        return Trace(problem_id, solver, title, asked, self.steps)
