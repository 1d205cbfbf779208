"""Re-running one problem's solver for grading: the traces of :func:`lstmhw.solvers.run`, for less.

Grading re-runs the key's solver for every student with a wrong answer: with
their own answers substituted (error carried forward, at full precision and
hand-rounded) and with each mistake from their own answers (diagnosis).  In a
class of thousands that is most of the grading time, so :class:`Reruns` does
it for less, without changing a value, by walking the trace's declared edges
(:mod:`lstmhw.trace`):

- **remembered**: a re-run is kept under what it was run with (the ops, the
  decimals, the exact type, shape and bytes of every substituted value).
  Students who make the same mistake give the same answers, so in a class
  most re-runs have been run before.  The memory is bounded (least recently
  used first out).
- **downstream only**: a substitution changes only the steps that read a
  substituted value, directly or through other steps.  Those are recomputed,
  in the solver's order, from a base trace run once with the same ops and
  decimals, exactly as :meth:`lstmhw.trace.Tracer.step` computes them (the
  step's function of the ops, its inputs and its data; float errors raised as
  the same error; hand rounding; the override) under the floating-point
  settings of :func:`lstmhw.solvers.run`.  Every other step keeps the base's
  values, since it has the base's inputs.  A re-run whose base fails is run in
  full.
- **shared with the plain chain**: a re-run with a mistake takes, from the
  same substitution without the mistake, every step the mistake cannot touch:
  its function calls none of the operations the mistake replaces (``uses``),
  it has the same function, inputs and data in both bases, and its inputs are
  the same in both re-runs.  Those steps are not copied: the re-run reads them
  from the plain one.
- **made when read**: a re-run is a :class:`Substituted` trace, the base's
  steps with the changed ones' values beside them; a changed step's
  :class:`~lstmhw.trace.Step` is made when it is first read (grading reads two
  or three steps of each re-run), ``steps`` in full only if asked for.

The solver contract (:class:`lstmhw.solvers.Solver`) is what makes this
exact: which steps exist, and their inputs, never depend on the values.  The
differential tests in ``tests/test_reruns.py`` hold every solver to it.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.errors import LstmhwError
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
class PlannedStep:
    """One step a substitution reaches, and how the re-run gets its value."""

    name: str
    step: Step  # the base's step
    recompute: bool  # an input changed: call the step's function again
    substituted: bool  # the student gave this value
    shared: int  # 0: computed here; 1: the plain re-run's Step itself; 2: its values in this base's Step


@dataclass(frozen=True)
class Plan:
    """The steps a substitution reaches, in the solver's order, and which of them a mistaken re-run
    takes from the plain one as they are (their Step read from it when first asked for)."""

    steps: list[PlannedStep]  # every step reached
    own: list[PlannedStep]  # with the plain re-run at hand: the steps computed (or noted) here
    shared: dict[str, bool]  # with it: the others, by name -> their text is the plain one's (alike)


@dataclass(frozen=True)
class Touch:
    """What a mistaken base shares with the plain one, found once per ops and decimals."""

    untouched: frozenset[str]  # steps whose function is the plain one and calls no replaced operation
    equal: frozenset[str]  # steps whose value is the same, bit for bit, in both bases
    alike: frozenset[str]  # steps whose text (formula, notes, ...) is the same in both bases


class Reruns:
    """Re-runs of ``problem``'s solver: remembered, and downstream of the substitution only."""

    def __init__(self, problem: Any, memo_bytes: int = MEMO_BYTES) -> None:
        self.problem = problem
        self.module = solver_module(problem.solver)
        self.plain_ops = self.module.OPS
        self.memo_bytes = memo_bytes
        # key -> (trace or failure, its size); the key holds the ops themselves (frozen dataclasses)
        self._memo: OrderedDict[Any, tuple[Trace | _Failed, int]] = OrderedDict()
        self._held = 0  # bytes, roughly, held by the remembered re-runs
        self._bases: dict[tuple[Any, int | None], Trace | _Failed] = {}
        self._plans: dict[tuple[Any, int | None, frozenset[str]], Plan] = {}
        self._touch: dict[tuple[Any, int | None], Touch | None] = {}
        self._sizes: dict[tuple[Any, int | None], int] = {}  # a base's key -> _size of a re-run from it
        self._last_fingerprint: tuple[dict[str, Value], tuple[tuple, tuple], tuple | None] | None = None

    def run(self, *, ops: Any = None, overrides: dict[str, Value] | None = None, decimals: int | None = None) -> Trace:
        """``lstmhw.solvers.run(problem, ops=ops, overrides=overrides, decimals=decimals)``, for less."""
        ops = self.plain_ops if ops is None else ops
        substituted = self._fingerprint(overrides)
        if substituted is None:  # a value that cannot be fingerprinted: nothing remembered
            return self._compute(ops, overrides, decimals)
        key = (ops, decimals, substituted)
        entry = self._memo.get(key)
        if entry is None:
            try:
                found: Trace | _Failed = self._compute(ops, overrides, decimals)
            except _DETERMINISTIC as exc:  # the same inputs fail the same way
                found = _Failed(exc)
            size = (self._sizes.get((ops, decimals), 0) if overrides else 0) or _size(found)
            self._memo[key] = (found, size)
            self._held += size
            while self._held > self.memo_bytes and len(self._memo) > 1:
                self._held -= self._memo.popitem(last=False)[1][1]
        else:
            self._memo.move_to_end(key)
            found = entry[0]
        if isinstance(found, _Failed):
            raise found.exc.with_traceback(None)
        return found

    def whole(self, ops: Any, decimals: int | None = None) -> Trace:
        """``lstmhw.solvers.run(problem, ops=ops, decimals=decimals)``: the whole chain from the givens,
        run once, which every re-run with these ops and decimals starts from."""
        base = self._base(ops, decimals)
        if isinstance(base, _Failed):
            raise base.exc.with_traceback(None)
        return base

    # ------------------------------------------------------------------ internals
    def _fingerprint(self, overrides: dict[str, Value] | None) -> tuple | None:
        """:func:`_fingerprint` of ``overrides``, remembered for the last dict seen: grading re-runs one
        student's dict a dozen times (error carried forward at each rounding, each mistake). The same
        dict holding the same value objects is the same substitution (values are never changed in place)."""
        if not overrides:
            return ()
        last = self._last_fingerprint
        identity = (tuple(overrides), tuple(map(id, overrides.values())))  # its names, and its values' objects
        if last is not None and last[0] is overrides and last[1] == identity:
            return last[2]
        found = _fingerprint(overrides)
        self._last_fingerprint = (overrides, identity, found)  # holds the dict: its id cannot be reused meanwhile
        return found

    def _compute(self, ops: Any, overrides: dict[str, Value] | None, decimals: int | None) -> Trace:
        if not overrides:
            return run(self.problem, ops=ops, decimals=decimals)
        base = self._base(ops, decimals)
        if isinstance(base, _Failed):
            return run(self.problem, ops=ops, overrides=overrides, decimals=decimals)
        reference = None
        if ops is not self.plain_ops and self._touched(ops, decimals) is not None:
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

    def _plan(self, base: Trace, names: frozenset[str], ops: Any, decimals: int | None) -> Plan:
        """Every step a substitution of ``names`` reaches, in the solver's order: the walk over
        declared edges, the same for every student who answered the same quantities.

        A step is shared with the plain re-run when the mistake cannot touch it (:meth:`_touched`)
        and each of its inputs is the same in both re-runs: substituted, itself shared, or not
        reached by the substitution and equal in both bases.
        """
        key = (ops, decimals, names)
        found = self._plans.get(key)
        if found is None:
            plan = []
            changed: set[str] = set()
            shared: set[str] = set()
            touch = self._touched(ops, decimals) if ops is not self.plain_ops else None
            for name, step in base.steps.items():
                if step.fn is None:
                    continue  # problem data: never substituted
                dirty = not changed.isdisjoint(step.inputs)
                if not (dirty or name in names):
                    continue
                same = touch is not None and name in touch.untouched and all(
                    (i in names or i in shared) if i in changed else i in touch.equal for i in step.inputs
                )
                if same:
                    shared.add(name)
                how = (1 if name in touch.alike else 2) if same else 0
                plan.append(PlannedStep(name, step, dirty, name in names, how))
                changed.add(name)
            # A shared step whose note is a function of its value, in text of its own, is noted
            # here (a note that fails fails this re-run): it stays in the loop.
            taken = {p.name: p.shared == 1 for p in plan if p.shared and (p.shared == 1 or p.step.describe is None)}
            found = Plan(plan, [p for p in plan if p.name not in taken], taken)
            self._plans[key] = found
            self._sizes.setdefault((ops, decimals), _size(base))
        return found

    def _touched(self, ops: Any, decimals: int | None) -> Touch | None:
        """What the base with the mistaken ``ops`` shares with the plain base; None if not known."""
        key = (ops, decimals)
        if key not in self._touch:
            base, plain = self._base(ops, decimals), self._base(self.plain_ops, decimals)
            ok = not isinstance(base, _Failed) and not isinstance(plain, _Failed)
            self._touch[key] = _touch(base, plain, _replaced(ops, self.plain_ops)) if ok else None
        return self._touch[key]

    def _substitute(
        self, base: Trace, overrides: dict[str, Value], decimals: int | None, ops: Any, reference: Trace | None
    ) -> Trace:
        """``base`` (run with ``ops`` and ``decimals``) with ``overrides`` substituted and every
        step downstream of them recomputed, or taken from ``reference`` (the same substitution
        without the mistake) where the mistake cannot matter."""
        changed: dict[str, tuple[Step, Value, Value, str | None]] = {}  # name -> (base step, value, own, note)
        base_steps = base.steps
        plan = self._plan(base, frozenset(overrides), ops, decimals)
        if reference is not None:  # the shared steps are the plain re-run's: their values are its
            todo, taken = plan.own, plan.shared
            values = {name: reference.value(name) for name in taken}  # the value of every changed step
        else:
            todo, taken, values = plan.steps, {}, {}
        paper = paper_ops(self.module, ops, decimals)  # what the base was run with (lstmhw.solvers.run)
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                for planned in todo:
                    name, step = planned.name, planned.step
                    if planned.shared and reference is not None:
                        value, own = reference.value(name), reference[name].own
                    else:
                        if planned.recompute:
                            args = [values[i] if i in values else base_steps[i].value for i in step.inputs]
                            try:
                                own = step.fn(paper, *args, **step.data) if step.data else step.fn(paper, *args)
                            except (FloatingPointError, OverflowError, ZeroDivisionError) as exc:
                                raise numeric_error(name, step.formula, exc) from None
                            if decimals is not None:
                                own = round_value(own, decimals)
                        else:
                            own = step.own
                        value = overrides[name] if planned.substituted else own
                    # The note now, as Tracer.step writes it: a note that fails fails this re-run.
                    note = step.describe(value) if step.describe is not None else None
                    changed[name] = (step, value, own, note)
                    values[name] = value
        except LstmhwError as exc:
            raise exc.located(file=getattr(self.problem, "file", None) or None) from None
        return Substituted(base, changed, reference, taken)


class Substituted(Trace):
    """A re-run: ``base``'s trace with the steps a substitution reached changed.

    Only the changed steps' values are computed; their :class:`Step` objects are made when first
    read (grading reads two or three steps of a re-run), and ``steps`` in full only if asked for.
    A mistaken re-run's steps the mistake cannot touch are the plain re-run's (``reference``,
    ``taken``: name -> the Step as it is there, or its values in this base's text). Otherwise a
    :class:`Trace` like any other.
    """

    def __init__(
        self,
        base: Trace,
        changed: dict[str, tuple[Step, Value, Value, str | None]],
        reference: Trace | None = None,
        taken: dict[str, bool] | None = None,
    ) -> None:
        # No Trace.__init__: ``steps`` is this class's property, made from base and changed.
        self.__dict__.update(problem_id=base.problem_id, solver=base.solver, title=base.title, asked=base.asked)
        self._base = base.steps
        self._changed = changed
        self._reference = reference
        self._taken = taken or {}
        self._made: dict[str, Step] = {}
        self._all: dict[str, Step] | None = None

    @property  # type: ignore[override]
    def steps(self) -> dict[str, Step]:  # noqa: D102  (Trace.steps)
        if self._all is None:
            self._all = {name: self[name] for name in self._base}
        return self._all

    def __getitem__(self, name: str) -> Step:
        found = self._made.get(name)
        if found is not None:
            return found
        entry = self._changed.get(name)
        if entry is None:
            alike = self._taken.get(name)
            if alike is None:
                return self._base[name]
            plain = self._reference[name]  # type: ignore[index]
            if alike:
                return plain
            entry = (self._base[name], plain.value, plain.own, None)
        step, value, own, note = entry
        new = object.__new__(Step)  # dataclasses.replace, for a tenth of its cost
        fields = new.__dict__
        fields.update(step.__dict__)
        fields["value"] = value
        fields["own"] = own
        if note is not None:
            fields["note"] = note
        self._made[name] = new
        return new

    def value(self, name: str) -> Value:
        entry = self._changed.get(name)
        if entry is not None:
            return entry[1]
        if name in self._taken:
            return self._reference.value(name)  # type: ignore[union-attr]
        return self._base[name].value

    def __contains__(self, name: object) -> bool:
        return name in self._base

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps.values())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return (self.problem_id, self.solver, self.title, self.asked, self.steps) == (
            other.problem_id, other.solver, other.title, other.asked, other.steps
        )

    __hash__ = None  # type: ignore[assignment]  (as Trace: a dataclass with eq)


def _replaced(ops: Any, plain_ops: Any) -> frozenset[str] | None:
    """The OPS fields ``ops`` replaces, or None if the two are not the same kind of ops."""
    if type(ops) is not type(plain_ops) or not dataclasses.is_dataclass(ops):
        return None
    return frozenset(f.name for f in dataclasses.fields(ops) if getattr(ops, f.name) is not getattr(plain_ops, f.name))


def _touch(base: Trace, plain: Trace, replaced: frozenset[str] | None) -> Touch | None:
    """:class:`Touch` of ``base`` (the mistaken ops) against ``plain``; None if not comparable."""
    if replaced is None or list(base.steps) != list(plain.steps):
        return None
    untouched, equal, alike = set(), set(), set()
    for name, step in base.steps.items():
        other = plain.steps[name]
        if _same_value(step.value, other.value):
            equal.add(name)
        if (step.formula, step.latex, step.group, step.note) == (other.formula, other.latex, other.group, other.note):
            alike.add(name)
        if step.fn is None or other.fn is None or not replaced.isdisjoint(step.uses):
            continue
        # A mistake may rewire a step (V computed from S) or change its data (β2 for β1).
        if step.inputs == other.inputs and _same_function(step, other):
            untouched.add(name)
    return Touch(frozenset(untouched), frozenset(equal), frozenset(alike))


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


def _size(found: Trace | _Failed) -> int:
    """Roughly the bytes a remembered re-run holds (its steps and their values)."""
    if isinstance(found, _Failed):
        return 256
    return sum(200 + 8 * getattr(step.value, "size", 1) for step in found.steps.values())


def _fingerprint(overrides: dict[str, Value] | None) -> tuple | None:
    """What a re-run substitutes, hashable and exact (type, shape and bytes, not rounded floats);
    None if a value cannot be fingerprinted. A re-run's memo key is (ops, decimals, this): the ops
    themselves, frozen dataclasses hashed by identity (``eq=False``), so an entry keeps its ops alive
    and grading passes the same ops objects for every student."""
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
    return tuple(items)


_PLAIN_TYPES = (int, bool, str, np.float64, np.bool_)
