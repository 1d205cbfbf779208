"""Re-running one problem's solver for grading: the traces of :func:`lstmhw.solvers.run`, for less.

Grading re-runs the key's solver for every student with a wrong answer: with
their own answers substituted (error carried forward, at full precision and
hand-rounded) and with each catalogued mistake from their own answers
(diagnosis).  In a class of thousands that is most of the grading time, so
:class:`Reruns` does it for less, without changing a value:

- **remembered**: a re-run is kept under what it was run with (the ops, the
  decimals, the exact type, shape and bytes of every substituted value).
  Students who make the same mistake give the same answers, so in a class
  most re-runs have been run before.  The memory is bounded (least recently
  used first out).
- **incremental**: for a solver whose steps never depend on the numbers
  (``STATIC_STEPS = True`` in its module: the same step names, inputs,
  functions and notes whatever the values), only the steps downstream of a
  substituted value are recomputed, from a base trace run once without
  substitutions (same ops, same decimals).  Each recomputed step goes through
  what :meth:`lstmhw.trace.Tracer.step` does (its function on its inputs'
  values, float errors raised as the same error, hand rounding, the override)
  under the floating-point settings of :func:`lstmhw.solvers.run`; a step
  that is not downstream of a substitution has the base's inputs, so the
  base's values.  A re-run that would fail fails here too, with the same
  exception type; one whose base fails is run in full.

Everything else (solvers without ``STATIC_STEPS``, re-runs without
substitutions) is :func:`lstmhw.solvers.run` itself, remembered.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from lstmhw.solvers import run, solver_module
from lstmhw.trace import Step, Trace, Value, numeric_error, round_value

MEMO_BYTES = 24 * 1024 * 1024  # roughly what the remembered re-runs of one problem may hold


def _deterministic_errors() -> tuple[type[BaseException], ...]:
    from lstmhw.errors import LstmhwError

    return (ArithmeticError, ValueError, LstmhwError)  # numpy's LinAlgError is a ValueError


class _Failed:
    """A remembered failure: the exception is raised again (without its old traceback)."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_DETERMINISTIC = _deterministic_errors()


class Reruns:
    """Re-runs of ``problem``'s solver: remembered, and incremental where the solver allows."""

    def __init__(self, problem: Any, memo_bytes: int = MEMO_BYTES) -> None:
        self.problem = problem
        self.static = bool(getattr(solver_module(problem.solver), "STATIC_STEPS", False))
        self.memo_bytes = memo_bytes
        # key -> (trace or failure, its size, the ops: kept alive, as the key holds only their id)
        self._memo: OrderedDict[Any, tuple[Trace | _Failed, int, Any]] = OrderedDict()
        self._held = 0  # bytes, roughly, held by the remembered re-runs
        self._bases: dict[Any, Trace | _Failed] = {}
        # (id of a base, names substituted) -> the steps to redo, in order (see _plan)
        self._plans: dict[tuple[int, frozenset[str]], list[tuple[str, Step, bool, bool]]] = {}
        self._sizes: dict[int, int] = {}  # id of a base -> _size of a re-run from it

    def run(self, *, ops: Any = None, overrides: dict[str, Value] | None = None, decimals: int | None = None) -> Trace:
        """``lstmhw.solvers.run(problem, ops=ops, overrides=overrides, decimals=decimals)``, for less."""
        key = _key(ops, overrides, decimals)
        if key is None:  # a value that cannot be fingerprinted: nothing remembered
            return self._compute(ops, overrides, decimals)
        entry = self._memo.get(key)
        if entry is None:
            try:
                found: Trace | _Failed = self._compute(ops, overrides, decimals)
            except _DETERMINISTIC as exc:  # the same inputs fail the same way
                found = _Failed(exc)
            size = self._sizes.get(id(self._bases.get((ops, decimals))), 0) if self.static and overrides else 0
            size = size or _size(found)
            self._memo[key] = (found, size, ops)
            self._held += size
            while self._held > self.memo_bytes and len(self._memo) > 1:
                self._held -= self._memo.popitem(last=False)[1][1]
        else:
            self._memo.move_to_end(key)
            found = entry[0]
        if isinstance(found, _Failed):
            raise found.exc.with_traceback(None)
        return found

    # ------------------------------------------------------------------ internals
    def _compute(self, ops: Any, overrides: dict[str, Value] | None, decimals: int | None) -> Trace:
        if not self.static or not overrides:
            return run(self.problem, ops=ops, overrides=overrides, decimals=decimals)
        base = self._base(ops, decimals)
        if isinstance(base, _Failed):
            return run(self.problem, ops=ops, overrides=overrides, decimals=decimals)
        return self._substitute(base, overrides, decimals)

    def _base(self, ops: Any, decimals: int | None) -> Trace | _Failed:
        key = (ops, decimals)
        if key not in self._bases:
            try:
                self._bases[key] = run(self.problem, ops=ops, decimals=decimals)
            except Exception as exc:
                self._bases[key] = _Failed(exc)
        return self._bases[key]

    def _plan(self, base: Trace, names: frozenset[str]) -> list[tuple[str, Step, bool, bool]]:
        """(name, base step, recompute?, substituted?) for every step a substitution of ``names``
        changes, in the order the solver made them: the same for every student who answered
        the same quantities, since the steps do not depend on values."""
        key = (id(base), names)
        plan = self._plans.get(key)
        if plan is None:
            plan = []
            changed: set[str] = set()
            for name, step in base.steps.items():
                if step.fn is None:
                    continue  # problem data: never substituted
                dirty = not changed.isdisjoint(step.inputs)
                if dirty or name in names:
                    plan.append((name, step, dirty, name in names))
                    changed.add(name)
            self._plans[key] = plan
            self._sizes.setdefault(id(base), _size(base))
        return plan

    def _substitute(self, base: Trace, overrides: dict[str, Value], decimals: int | None) -> Trace:
        """``base`` with ``overrides`` substituted and every step downstream of them recomputed."""
        from lstmhw.errors import LstmhwError

        plan = self._plan(base, frozenset(overrides))
        steps = dict(base.steps)
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                for name, step, dirty, substituted in plan:
                    if dirty:
                        try:
                            own = step.fn(*[steps[i].value for i in step.inputs])
                        except (FloatingPointError, OverflowError, ZeroDivisionError) as exc:
                            raise numeric_error(name, step.formula, exc) from None
                        if decimals is not None:
                            own = round_value(own, decimals)
                    else:
                        own = step.own
                    steps[name] = _with_values(step, overrides[name] if substituted else own, own)
        except LstmhwError as exc:
            raise exc.located(file=getattr(self.problem, "file", None) or None) from None
        trace = object.__new__(type(base))  # a copy of base with these steps (whatever other fields Trace has)
        trace.__dict__.update(base.__dict__)
        trace.__dict__["steps"] = steps
        return trace


def _size(found: Trace | _Failed) -> int:
    """Roughly the bytes a remembered re-run holds (its steps and their values)."""
    if isinstance(found, _Failed):
        return 256
    return sum(200 + 8 * getattr(step.value, "size", 1) for step in found.steps.values())


def _with_values(step: Step, value: Value, own: Value) -> Step:
    """A copy of ``step`` with new ``value`` and ``own`` (whatever other fields Step has)."""
    new = object.__new__(Step)
    new.__dict__.update(step.__dict__)
    new.__dict__["value"] = value
    new.__dict__["own"] = own
    return new


def _key(ops: Any, overrides: dict[str, Value] | None, decimals: int | None) -> Any:
    """What a re-run depends on, hashable and exact (bytes, not rounded floats); None if unknown.

    The ops by identity (each memo entry keeps its ops alive, so an id is not reused while
    an entry has it); grading passes the same ops objects for every student.
    """
    items = []
    for name, value in (overrides or {}).items():
        kind = type(value)
        if kind is np.ndarray:
            if value.dtype.hasobject:
                return None
            items.append((name, value.dtype.str, value.shape, value.tobytes()))
        elif kind is float:
            items.append((name, "float", value.hex()))  # hex: -0.0 is not 0.0
        elif kind in _PLAIN_TYPES:
            items.append((name, kind.__name__, repr(value)))
        else:
            return None
    items.sort()  # names are unique: only they are compared
    return (id(ops), decimals, tuple(items))


_PLAIN_TYPES = (int, bool, str, np.float64, np.bool_)
