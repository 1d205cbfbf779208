"""Re-running one problem's solver from a student's values, for grading: one quantity at a time.

Grading asks two things of a wrong answer to a quantity q: what q is from the student's own
earlier answers (error carried forward, exactly and hand-rounded), and what it would be from
them with each catalogued mistake (diagnosis). Both are q's ``own`` value — its function of its
inputs, the student's value of q itself set aside — when the solver is re-run with the
student's values substituted (:mod:`lstmhw.trace`). In a class of thousands that is most of
the grading time, so :meth:`Reruns.own` computes it for less, by walking the trace's declared
edges:

- **q's route only**: walking back from q, a student's value ends the walk (it replaces
  everything above it). The steps passed on the way that a student's value reaches are
  computed again, in the solver's order; every other step keeps the base's value (a trace run
  once with the same ops and decimals). So q depends only on the answers it is computed from:
  a later answer, or one feeding another branch, is not read, and a step that fails from it
  (an overflow) fails nothing here.
- **exact**: a step is computed as :meth:`lstmhw.trace.Tracer.step` computes it — its function
  of the ops, its inputs and its data, float errors raised as the same error, hand rounding —
  under the floating-point settings of :func:`lstmhw.solvers.run`. If the base itself cannot be
  computed, the whole chain is run (:func:`lstmhw.solvers.run`).
- **remembered**: under the ops, the decimals, q, and the exact type, shape and bytes of the
  student's values on the route. Students who make the same mistake give the same answers, so
  in a class most re-runs have been run before. The memory is bounded (least recently used
  first out).
- **shared with the plain re-run**: with a mistake, a step on the route the mistake cannot
  touch — its function calls none of the operations the mistake replaces (``uses``), it has the
  same function, inputs and data in both bases, and its inputs are the same in both re-runs —
  is taken from the same re-run without the mistake (which error carried forward runs anyway).

The solver contract (:class:`lstmhw.solvers.Solver`) is what makes this exact: which steps
exist, and their inputs, never depend on the values. ``tests/test_reruns.py`` holds every
solver to it, against a plain recursive evaluation of the trace written in the test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.errors import LstmhwError
from lstmhw.memo import BoundedMemo
from lstmhw.solvers import paper_ops, run, solver_module
from lstmhw.trace import Step, Trace, Value, numeric_error, round_value

MEMO_BYTES = 24 * 1024 * 1024  # roughly what the remembered re-runs of one problem may hold


_DETERMINISTIC = (ArithmeticError, ValueError, LstmhwError)  # numpy's LinAlgError is a ValueError


class _Failed:
    """A remembered failure: the exception is raised again (without its old traceback)."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


@dataclass(frozen=True)
class Route:
    """What q's own value needs when a student has given values for ``names``: the same for every
    student who answered the same steps, so found once per ops, decimals, q and names."""

    used: tuple[str, ...]  # the student's values q is computed from, in the solver's order
    steps: tuple[Step, ...]  # the base's steps they reach on the way to q, in order: q last
    shared: frozenset[str]  # with a mistake: the steps taken as they are from the plain re-run
    plain: Route | None = None  # with a mistake that shares steps: q's route in the plain base


@dataclass(frozen=True)
class Touch:
    """What a mistaken base shares with the plain one, found once per ops and decimals."""

    untouched: frozenset[str]  # steps whose function is the plain one and calls no replaced operation
    equal: frozenset[str]  # steps whose value is the same, bit for bit, in both bases


class Reruns:
    """Re-runs of ``problem``'s solver from students' values: one quantity's own value at a time,
    remembered, and computed along its route only (see the module docstring)."""

    def __init__(self, problem: Any, memo_bytes: int = MEMO_BYTES) -> None:
        self.problem = problem
        self.module = solver_module(problem.solver)
        self.plain_ops = self.module.OPS
        # key -> the route's computed values or a failure; the key holds the ops themselves
        # (frozen dataclasses hashed by identity)
        self._memo = BoundedMemo(memo_bytes)
        self._bases: dict[tuple[Any, int | None], Trace | _Failed] = {}
        self._routes: dict[tuple[Any, int | None, str, frozenset[str]], Route] = {}
        self._touch: dict[tuple[Any, int | None], Touch | None] = {}
        self._mixed: dict[tuple[Any, str, frozenset[str]], tuple[str, ...]] = {}  # see mixed()
        self._last: tuple[Mapping[str, Value], tuple[tuple, tuple], dict[str, Any], dict[tuple, tuple | None]] | None = None

    def own(self, q: str, overrides: Mapping[str, Value], *, ops: Any = None, decimals: int | None = None) -> Value:
        """``lstmhw.solvers.run(problem, ops=ops, overrides=overrides, decimals=decimals)[q].own``,
        computed along q's route only: a step q is not computed from is never computed, so it
        cannot fail this. Raises as that run would for a step on the route."""
        ops = self.plain_ops if ops is None else ops
        base = self._base(ops, decimals)
        if isinstance(base, _Failed):  # the chain cannot even be run from the givens: run it in full
            return self._remembered((ops, decimals, q, "whole"), overrides, tuple(overrides), None, None)[q]
        route = self._route(base, ops, decimals, q, frozenset(overrides))
        if not route.used:  # no value of the student's reaches q
            return base.steps[q].own
        if route.plain is not None and len(route.shared) == len(route.steps):
            # The mistake touches nothing on q's route: q is the plain re-run's, taken as it is.
            return self.own(q, overrides, decimals=decimals)
        return self._remembered((ops, decimals, q), overrides, route.used, base, route)[q]

    def mixed(self, q: str, overrides: Mapping[str, Value], ops: Any) -> tuple[str, ...]:
        """The student's values that q's re-run under the mistaken ``ops`` sets beside steps taken
        from the mistake's own chain from the givens, where that chain differs from the plain one
        (in p4, the student's h[1] beside the mistake's c[1] in h[2]); none when it sets none.

        Such a re-run assumes the mistake was made before those values too: it is only evidence
        if they agree with it (:class:`lstmhw.grading.diagnosis.OwnChains` checks)."""
        names = frozenset(overrides)
        key = (ops, q, names)
        found = self._mixed.get(key)
        if found is None:
            found = self._mixed[key] = self._find_mixed(q, names, ops)
        return found

    def _find_mixed(self, q: str, names: frozenset[str], ops: Any) -> tuple[str, ...]:
        base, plain = self._base(ops, None), self._base(self.plain_ops, None)
        if isinstance(base, _Failed) or isinstance(plain, _Failed):
            return ()
        route = self._route(base, ops, None, q, names)
        if not route.used:
            return ()
        recomputed = {step.name for step in route.steps}
        for step in route.steps:
            for name in step.inputs:
                if name in names or name in recomputed or base.steps[name].given:
                    continue
                if name not in plain.steps or not _same_value(base.steps[name].own, plain.steps[name].own):
                    return route.used
        return ()

    def whole(self, ops: Any, decimals: int | None = None) -> Trace:
        """``lstmhw.solvers.run(problem, ops=ops, decimals=decimals)``: the whole chain from the givens,
        run once, which every re-run with these ops and decimals starts from."""
        base = self._base(ops, decimals)
        if isinstance(base, _Failed):
            raise base.exc.with_traceback(None)
        return base

    # ------------------------------------------------------------------ internals
    def _remembered(
        self, where: tuple, overrides: Mapping[str, Value], used: tuple[str, ...], base: Trace | None, route: Route | None
    ) -> dict[str, Value]:
        """The route's values (``base`` None: the whole chain's own values), remembered under
        ``where`` and the exact student's values in ``used``; a failure is raised every time."""
        fingerprint = self._fingerprint(overrides, used)
        key = (*where, fingerprint)
        found: dict[str, Value] | _Failed | None = self._memo.get(key) if fingerprint is not None else None
        if found is None:
            try:
                found = self._compute(where, overrides, used, base, route)
            except _DETERMINISTIC as exc:  # the same inputs fail the same way
                found = _Failed(exc)
            if fingerprint is not None:
                size = 256 if isinstance(found, _Failed) else sum(100 + 8 * getattr(v, "size", 1) for v in found.values())
                self._memo.put(key, found, size)
        if isinstance(found, _Failed):
            raise found.exc.with_traceback(None)
        return found

    def _compute(
        self, where: tuple, overrides: Mapping[str, Value], used: tuple[str, ...], base: Trace | None, route: Route | None
    ) -> dict[str, Value]:
        ops, decimals, q = where[0], where[1], where[2]
        if base is None or route is None:
            whole = run(self.problem, ops=ops, overrides={n: overrides[n] for n in used}, decimals=decimals)
            return {q: whole[q].own}
        reference = None
        if route.plain is not None:  # the same re-run without the mistake: the steps it cannot touch are its
            plain_base = self._bases[self.plain_ops, decimals]  # it ran: the route shares steps with it
            try:
                reference = self._remembered((self.plain_ops, decimals, q), overrides, route.plain.used, plain_base, route.plain)  # type: ignore[arg-type]
            except _DETERMINISTIC:
                reference = None
        shared = route.shared if reference is not None else frozenset()
        paper = paper_ops(self.module, ops, decimals)  # what the base was run with (lstmhw.solvers.run)
        base_steps = base.steps
        values: dict[str, Value] = {}
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                for step in route.steps:
                    name = step.name
                    if name in shared:
                        values[name] = reference[name]  # type: ignore[index]
                        continue
                    # An input is a step computed here, a student's value, or as in the base.
                    args = [
                        values[i] if i in values else overrides[i] if i in used else base_steps[i].value
                        for i in step.inputs
                    ]
                    try:
                        own = step.fn(paper, *args, **step.data) if step.data else step.fn(paper, *args)  # type: ignore[misc]
                    except (FloatingPointError, OverflowError, ZeroDivisionError) as exc:
                        raise numeric_error(name, step.formula, exc) from None
                    values[name] = round_value(own, decimals) if decimals is not None else own
        except LstmhwError as exc:
            raise exc.located(file=getattr(self.problem, "file", None) or None) from None
        return values

    def _base(self, ops: Any, decimals: int | None) -> Trace | _Failed:
        key = (ops, decimals)
        if key not in self._bases:
            try:
                self._bases[key] = run(self.problem, ops=ops, decimals=decimals)
            except Exception as exc:
                self._bases[key] = _Failed(exc)
        return self._bases[key]

    def _route(self, base: Trace, ops: Any, decimals: int | None, q: str, names: frozenset[str]) -> Route:
        """q's :class:`Route` in ``base`` when the student has given ``names``.

        Walking back from q's inputs, a given value or a student's value ends the walk; the
        student's values met are ``used``. The steps passed that one of those reaches (directly or
        through other such steps) are recomputed, and q itself. With a mistake, a step is shared
        with the plain re-run when the mistake cannot touch it (:meth:`_touched`), it is on the
        plain route too, and each of its inputs is the same in both re-runs: a student's value,
        itself shared, or on neither route and equal in both bases.
        """
        key = (ops, decimals, q, names)
        found = self._routes.get(key)
        if found is not None:
            return found
        steps = base.steps
        above: set[str] = set()  # the steps q is computed from, the walk ending at the student's values
        stack = list(steps[q].inputs)
        while stack:
            name = stack.pop()
            if name not in above:
                above.add(name)
                if name not in names:
                    stack.extend(steps[name].inputs)
        used = tuple(name for name in steps if name in above and name in names)
        reached: set[str] = set(used)
        route: list[Step] = []
        for name, step in steps.items():
            if (name in above and name not in names) or name == q:
                if not reached.isdisjoint(step.inputs):
                    reached.add(name)
                    route.append(step)
        shared: set[str] = set()
        plain = None
        touch = self._touched(ops, decimals) if ops is not self.plain_ops and used else None
        if touch is not None:  # both bases ran (_touched)
            plain = self._route(self._bases[self.plain_ops, decimals], self.plain_ops, decimals, q, names)  # type: ignore[arg-type]
            on_plain = {step.name for step in plain.steps}
            mine = {step.name for step in route}
            for step in route:
                name = step.name
                if name in touch.untouched and name in on_plain and all(
                    i in used or i in shared or (i not in mine and i not in on_plain and i in touch.equal) for i in step.inputs
                ):
                    shared.add(name)
        found = self._routes[key] = Route(used, tuple(route), frozenset(shared), plain if shared else None)
        return found

    def _touched(self, ops: Any, decimals: int | None) -> Touch | None:
        """What the base with the mistaken ``ops`` shares with the plain base; None if not known."""
        key = (ops, decimals)
        if key not in self._touch:
            base, plain = self._base(ops, decimals), self._base(self.plain_ops, decimals)
            ok = not isinstance(base, _Failed) and not isinstance(plain, _Failed)
            self._touch[key] = _touch(base, plain, _replaced(ops, self.plain_ops)) if ok else None
        return self._touch[key]

    def _fingerprint(self, overrides: Mapping[str, Value], used: tuple[str, ...]) -> tuple | None:
        """The exact student's values in ``used`` (:func:`_item`), hashable; None if one cannot be.

        Each value's item is remembered for the last dict seen: grading asks a dozen re-runs of one
        student's dict. The same dict holding the same value objects is the same substitution
        (values are never changed in place)."""
        last = self._last
        identity = (tuple(overrides), tuple(map(id, overrides.values())))  # its names, and its values' objects
        if last is None or last[0] is not overrides or last[1] != identity:
            last = self._last = (overrides, identity, {}, {})  # holds the dict: its id cannot be reused meanwhile
        items, found = last[2], last[3]  # by name, and by the names of a route
        if used in found:
            return found[used]
        out = []
        for name in used:
            item = items.get(name)
            if item is None:
                item = items[name] = _item(overrides[name])
            if item is False:
                found[used] = None
                return None
            out.append((name, item))
        found[used] = fingerprint = tuple(out)
        return fingerprint


def _replaced(ops: Any, plain_ops: Any) -> frozenset[str] | None:
    """The OPS fields ``ops`` replaces, or None if the two are not the same kind of ops."""
    if type(ops) is not type(plain_ops) or not dataclasses.is_dataclass(ops):
        return None
    return frozenset(f.name for f in dataclasses.fields(ops) if getattr(ops, f.name) is not getattr(plain_ops, f.name))


def _touch(base: Trace, plain: Trace, replaced: frozenset[str] | None) -> Touch | None:
    """:class:`Touch` of ``base`` (the mistaken ops) against ``plain``; None if not comparable."""
    if replaced is None or list(base.steps) != list(plain.steps):
        return None
    untouched, equal = set(), set()
    for name, step in base.steps.items():
        other = plain.steps[name]
        if _same_value(step.value, other.value):
            equal.add(name)
        if step.fn is None or other.fn is None or not replaced.isdisjoint(step.uses):
            continue
        # A mistake may rewire a step (V computed from S) or change its data (β2 for β1).
        if step.inputs == other.inputs and _same_function(step, other):
            untouched.add(name)
    return Touch(frozenset(untouched), frozenset(equal))


def _same_function(step: Step, other: Step) -> bool:
    """The same function of the same data: same code (functions read no closure), same data."""
    fn, plain_fn = step.fn, other.fn
    if fn is not plain_fn and getattr(fn, "__code__", None) is not getattr(plain_fn, "__code__", False):
        return False
    if step.data.keys() != other.data.keys():
        return False
    return all(a is b or _same_value(a, b) for a, b in zip(step.data.values(), other.data.values(), strict=True))


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


def _item(value: Value) -> tuple | bool:
    """A student's value, hashable and exact (type, shape and bytes, not rounded floats); False if
    it cannot be. A re-run's memo key holds these beside the ops themselves (frozen dataclasses
    hashed by identity, ``eq=False``, so an entry keeps its ops alive and grading passes the same
    ops objects for every student)."""
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype.hasobject:
            return False
        return (value.dtype.str, value.shape, value.tobytes())
    if kind is float:
        return ("float", value.hex())  # hex: -0.0 is not 0.0
    if kind in _PLAIN_TYPES:
        return (kind.__name__, repr(value))
    return False


_PLAIN_TYPES = (int, bool, str, np.float64, np.bool_)
