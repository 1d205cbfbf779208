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
- **shared with the plain chain**: a re-run with a mistake (diagnosis from the
  student's own values) takes, from the same re-run without the mistake, every
  step whose function does not use an operation the mistake replaces and whose
  inputs are the same there: the same function of the same inputs.  Whether a
  function uses a replaced operation is found once per key: called with those
  operations replaced by a tripwire, it must return (STATIC_STEPS solvers use
  the same operations whatever the values).

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
        self._plans: dict[tuple[int, frozenset[str]], list[tuple[str, Step, bool, bool, bool]]] = {}
        self._untouched: dict[int, tuple[dict[str, bool], dict[str, bool]] | None] = {}  # see _untouched_by
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
        reference = None
        if ops is not None and self._untouched_by(ops, decimals) is not None:
            # The same substitution without the mistake (error carried forward runs it anyway):
            # the steps the mistake does not touch, from the same inputs, are this run's too.
            try:
                reference = self.run(overrides=overrides, decimals=decimals)
            except _DETERMINISTIC:
                reference = None
        return self._substitute(base, overrides, decimals, ops, reference)

    def _base(self, ops: Any, decimals: int | None) -> Trace | _Failed:
        key = (ops, decimals)
        if key not in self._bases:
            try:
                self._bases[key] = run(self.problem, ops=ops, decimals=decimals)
            except Exception as exc:
                self._bases[key] = _Failed(exc)
        return self._bases[key]

    def _plan(
        self, base: Trace, names: frozenset[str], ops: Any = None, decimals: int | None = None
    ) -> list[tuple[str, Step, bool, bool, bool]]:
        """(name, base step, recompute?, substituted?, as in the reference?) for every step a
        substitution of ``names`` changes, in the order the solver made them: the same for
        every student who answered the same quantities, since the steps do not depend on values.

        "As in the reference": for a mistaken ``ops``, the step's function does not touch the
        mistake (:meth:`_untouched_by`) and its inputs are the same as in the run without the
        mistake (substituted, themselves as in the reference, or equal in both bases), so its
        values are the reference's.
        """
        key = (id(base), names)
        plan = self._plans.get(key)
        if plan is None:
            plan = []
            changed: set[str] = set()
            shared: set[str] = set()
            known = self._untouched_by(ops, decimals) if ops is not None else None
            untouched, equal, alike = known if known is not None else ({}, {}, {})
            for name, step in base.steps.items():
                if step.fn is None:
                    continue  # problem data: never substituted
                dirty = not changed.isdisjoint(step.inputs)
                if dirty or name in names:
                    same = untouched.get(name, False) and all(
                        i in names or i in shared if i in changed else equal.get(i, False) for i in step.inputs
                    )
                    if same:
                        shared.add(name)
                    # 0: compute; 1: the reference's Step itself; 2: its values in this base's Step
                    # (whose text differs: lstm-claims writes the mistaken experiment's numbers)
                    plan.append((name, step, dirty, name in names, (1 if alike.get(name) else 2) if same else 0))
                    changed.add(name)
            self._plans[key] = plan
            self._sizes.setdefault(id(base), _size(base))
        return plan

    def _untouched_by(self, ops: Any, decimals: int | None) -> tuple[dict[str, bool], dict[str, bool], dict[str, bool]] | None:
        """For a mistaken ``ops``: which steps' functions compute exactly what they compute
        without the mistake, and which values are equal in both bases; None if not known.

        A step's function is the same function with the mistake as without it when it has
        the same code, defaults and closure but for the ops, and does not use an operation the
        mistake replaces: called with those replaced by a tripwire, it returns. (STATIC_STEPS
        solvers use the operations a step uses whatever the values.)
        """
        base = self._base(ops, decimals)
        plain = self._base(None, decimals)
        if id(base) in self._untouched:
            return self._untouched[id(base)]
        result = None
        if not isinstance(base, _Failed) and not isinstance(plain, _Failed):
            result = _untouched(base, plain, ops, solver_module(self.problem.solver).OPS)
        self._untouched[id(base)] = result
        return result

    def _substitute(
        self, base: Trace, overrides: dict[str, Value], decimals: int | None, ops: Any = None, reference: Trace | None = None
    ) -> Trace:
        """``base`` (run with ``ops`` and ``decimals``) with ``overrides`` substituted and every
        step downstream of them recomputed, or taken from ``reference`` (the same substitution
        without the mistake) where the mistake cannot matter."""
        from lstmhw.errors import LstmhwError

        plan = self._plan(base, frozenset(overrides), ops, decimals)
        steps = dict(base.steps)
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                for name, step, dirty, substituted, same in plan:
                    if same and reference is not None:
                        # The reference's values (its function computes what this one does:
                        # it does not use the mistake), in its Step when the text is the same.
                        shared_step = reference.steps[name]
                        steps[name] = shared_step if same == 1 else _with_values(step, shared_step.value, shared_step.own)
                        continue
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


class _Tripped(Exception):
    """A step function used an operation that was replaced by :func:`_tripwire`."""


def _tripwire(*args: Any, **kwargs: Any) -> Any:
    raise _Tripped


def _untouched(
    base: Trace, plain: Trace, ops: Any, plain_ops: Any
) -> tuple[dict[str, bool], dict[str, bool], dict[str, bool]] | None:
    """(step -> its function is the plain one, name -> the value is equal in both bases,
    name -> the step's text (formula, notes, ...) is the same in both) for ``base`` run with
    the mistaken ``ops`` and ``plain`` run without; None if not comparable."""
    import dataclasses
    import types

    if type(ops) is not type(plain_ops) or not dataclasses.is_dataclass(ops) or list(base.steps) != list(plain.steps):
        return None
    replaced = [f.name for f in dataclasses.fields(ops) if getattr(ops, f.name) is not getattr(plain_ops, f.name)]
    try:
        tripped_ops = dataclasses.replace(plain_ops, **{name: _tripwire for name in replaced})
    except Exception:
        return None
    untouched: dict[str, bool] = {}
    equal: dict[str, bool] = {}
    alike: dict[str, bool] = {}
    for name, step in base.steps.items():
        other = plain.steps[name]
        equal[name] = _same_value(step.value, other.value)
        text, plain_text = (
            {k: v for k, v in vars(s).items() if k not in ("fn", "value", "own")} for s in (step, other)
        )
        alike[name] = text == plain_text
        if step.fn is None or other.fn is None:
            continue
        if step.inputs != other.inputs:  # a mistake may rewire a step (V computed from S)
            untouched[name] = False
            continue
        closure = _plain_closure(step.fn, other.fn, ops, plain_ops)
        if closure is None:
            untouched[name] = False
            continue
        fn = other.fn
        probe = types.FunctionType(
            fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
            tuple(types.CellType(tripped_ops) if cell is None else cell for cell in closure) if closure else None,
        )
        probe.__kwdefaults__ = fn.__kwdefaults__
        try:
            with np.errstate(all="ignore"):
                probe(*[plain.steps[i].value for i in other.inputs])
        except Exception:  # the tripwire, or anything else: not known to be untouched
            untouched[name] = False
        else:
            untouched[name] = True
    return untouched, equal, alike


def _plain_closure(fn: Any, plain_fn: Any, ops: Any, plain_ops: Any) -> tuple | None:
    """``plain_fn``'s closure cells, None in place of the one holding the ops, if ``fn`` is the
    same function but for the ops (same code, globals, defaults, other cells); else None."""
    import types

    if not (isinstance(fn, types.FunctionType) and isinstance(plain_fn, types.FunctionType)):
        return None
    if fn.__code__ is not plain_fn.__code__ or fn.__globals__ is not plain_fn.__globals__:
        return None
    if not _same_objects(fn.__defaults__ or (), plain_fn.__defaults__ or ()):
        return None
    if not _same_objects(tuple((fn.__kwdefaults__ or {}).items()), tuple((plain_fn.__kwdefaults__ or {}).items())):
        return None
    cells, plain_cells = fn.__closure__ or (), plain_fn.__closure__ or ()
    if len(cells) != len(plain_cells):
        return None
    out: list = []
    try:
        for cell, plain_cell in zip(cells, plain_cells, strict=True):
            a, b = cell.cell_contents, plain_cell.cell_contents
            if a is ops and b is plain_ops:
                out.append(None)
            elif a is b:
                out.append(plain_cell)
            else:
                return None
    except ValueError:  # an empty cell
        return None
    return tuple(out)


def _same_objects(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(
        x is y or (type(x) in (str, int, float, bool) and type(x) is type(y) and x == y) for x, y in zip(a, b, strict=True)
    )


def _same_value(a: Any, b: Any) -> bool:
    """Exactly the same value (bit for bit, type included)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return a.hex() == b.hex()
    if isinstance(a, (bool, int, str, np.bool_, np.integer)) or a is None:
        return bool(a == b)
    return a is b


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
