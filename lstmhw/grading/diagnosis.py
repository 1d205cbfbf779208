"""Diagnosis: which catalogued mistake reproduces a wrong answer (SPEC §4).

- :func:`_candidates`: every value a known mistake gives for a quantity — the whole
  chain re-run with the mistake (once per key), the quantity re-run with it from the
  student's own earlier values it is computed from (:class:`OwnChains`, once per
  student and quantity), and the generic slips of :func:`lstmhw.mistakes.generic_candidates`;
- :func:`_matches`, :class:`_Screen`: the candidates that reproduce some wrong element,
  numbers compared all candidates at once, what is the same for every student screened
  once per key and quantity;
- :func:`_diagnose`, :func:`_describe`: choosing the mistake and wording it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmhw.errors import LstmhwError
from lstmhw.grading.candidates import Candidate, Match
from lstmhw.grading.records import QuantityResult
from lstmhw.grading.verdicts import (
    _close,
    _figures_shown,
    _half_unit,
    _one_number,
    count,
    every,
    exact_one,
    half_unit,
    matches_exact,
    near_any_as_written,
    near_as_written,
    near_one,
    shape_of,
    shows_two_figures,
    some,
    within,
)
from lstmhw.mistakes import generic_candidates

if TYPE_CHECKING:
    from lstmhw.grading import KeyProblem
    from lstmhw.problem import Tolerance


class OwnChains:
    """The mistaken chains re-run from one student's own answers to one problem: for each quantity,
    what each catalogued mistake makes of it from the student's own answers it is computed from.
    Made once per student and problem, each quantity's candidates only if a diagnosis needs them."""

    __slots__ = ("_kp", "_overrides", "_written", "_found")

    def __init__(self, kp: KeyProblem, overrides: dict[str, Any], written: dict[str, Any] | None = None) -> None:
        self._kp = kp
        self._overrides = overrides
        self._written = written or {}  # the decimals each of those values was written with, where known
        self._found: dict[str, list[Candidate]] = {}

    def candidates(self, q: str) -> list[Candidate]:
        """``q`` re-run with each mistake from the student's own values; a mistake that cannot
        compute it (a domain error under the patch) gives none."""
        found = self._found.get(q)
        if found is None:
            kp, found = self._kp, []
            for patched in kp.patched:
                try:  # (under the floating-point rules of a solve: Reruns.own sets them)
                    value = kp.reruns.own(q, self._overrides, ops=patched.ops)
                    if not self._made_before(q, patched.ops):
                        continue
                except (ArithmeticError, ValueError, LstmhwError):  # numpy's LinAlgError is a ValueError
                    continue
                message = patched.message + " (from your own earlier values)"
                found.append(Candidate(patched.mistake_id, message, value, True, own=True))
            self._found[q] = found
        return found

    def _made_before(self, q: str, ops: Any) -> bool:
        """Where q's re-run sets the student's values beside steps of the mistake's own chain (the
        student's h[1] beside the mistake's c[1]), do those values agree with the mistake too?  If
        the student's h[1] is right, the mistake's c[1] is one their answers rule out, and a match
        of h[2] would be chance (confident or silent, SPEC §4.3).  Agree as an answer agrees with
        its own value: by rules (a)/(b), or at the precision written (0.01 for 0.0129)."""
        kp = self._kp
        for name in kp.reruns.mixed(q, self._overrides, ops):
            mine = self._overrides[name]
            if not every(agrees(mine, self._written.get(name), kp.reruns.own(name, self._overrides, ops=ops), kp.tol)):
                return False
        return True


def _from_own_values(kp: KeyProblem, q: str, overrides: dict[str, Any]) -> bool:
    """Does ``q`` follow from the student's own answers to earlier quantities (so re-runs from them can differ)?"""
    return bool(kp.upstream(q, frozenset(overrides)))  # (q is never among its own upstream)


def _candidates(kp: KeyProblem, q: str, expected: Any, overrides: dict[str, Any], own: OwnChains) -> list[Candidate]:
    """Every way a known mistake yields ``q``, in the order they are preferred when several match."""
    out = [Candidate(m.mistake_id, m.message, m.trace.value(q), True) for m in kp.mistaken]
    if _from_own_values(kp, q, overrides):
        out.extend(own.candidates(q))
    out.extend(Candidate(mistake_id, message, value, False) for mistake_id, message, value in generic_candidates(expected))
    return out


@dataclass(slots=True)
class Suspect:
    """A wrong answer to one quantity, and what its diagnosis is looked for from."""

    q: str
    value: Any  # the answer, in the key's shape
    expected: Any
    overrides: dict[str, Any]  # the student's own values (answers and working), by step
    own: OwnChains
    decimals: Any = None  # as written, in the answer's shape (None if unknown)
    own_value: Any = None  # what the answer is from the student's own earlier values, if any feed it


def _diagnose(kp: KeyProblem, suspect: Suspect, wrong: np.ndarray, result: QuantityResult) -> dict[str, Any] | None:
    """Name the mistake that reproduces the ``wrong`` elements, by the rules that make an answer
    right (SPEC §4.3: confident or silent); say so when several do. Returns, instead of naming
    it, a diagnosis that only a one-figure answer's own coarse precision supports.

    Elements that agree with ``suspect.own_value`` (at the precision written) follow from the
    student's own values, and no mistake of this step is to blame for them (the working's
    charged-once rule points at the step where the error was made instead)."""
    q, value, expected, decimals = suspect.q, suspect.value, suspect.expected, suspect.decimals
    whole: list[Candidate] = []  # candidates explaining every wrong element
    per_element: dict[int, list[Candidate]] = {}
    if isinstance(expected, (bool, np.bool_)):
        misjudged = _misjudged(kp, q)
        if misjudged is not None:
            result.diagnosis = misjudged
        return None  # a true/false claim is never explained by an arithmetic mistake
    if decimals is not None:
        # Right at the precision written (−0.2 for −0.1899), only too coarse to credit: that is
        # correct work rounded too far, and no mistake is to blame for it.
        consistent = near_any_as_written(value, decimals, [expected, *(rounded.value(q) for rounded in kp.rounded)])
        if every(consistent | ~wrong):
            result.reason = "the digits written agree with the solution, but show fewer than two significant figures"
            return None
        wrong = wrong & ~consistent
    if suspect.own_value is not None:
        wrong = wrong & ~agrees(value, decimals, suspect.own_value, kp.tol)
        if not some(wrong):
            return None
    whole_matches: list[Match] = []
    for match in _matches(kp, suspect, wrong):
        if count(match.where) == count(wrong):
            whole.append(match.candidate)
            whole_matches.append(match)
        for flat in np.flatnonzero(match.where):
            per_element.setdefault(int(flat), []).append(match.candidate)
    if whole and all(m.coarse for m in whole_matches):
        # Written to one significant figure: several mistakes may round to it. Named only where the
        # same mistake explains another answer of the problem for certain (grading._settle decides).
        return _describe(whole, value)
    if whole:
        result.diagnosis = _describe(whole, value)
    elif len(per_element) == 1 and count(wrong) == 1:
        (flat, found), = per_element.items()
        result.diagnosis = _describe(found, value, flat)
    if result.elements is not None:
        for flat, found in per_element.items():
            result.elements[flat]["diagnosis"] = _describe(found, value, flat)
    return None


def _matches(kp: KeyProblem, suspect: Suspect, wrong: np.ndarray) -> Iterator[Match]:
    """Each candidate of :func:`_candidates`, in its order, that reproduces some ``wrong`` element.

    A candidate must have the key's shape and finite values, and an element it reproduces
    must differ from the key there (a mistake that changes nothing explains nothing).
    Numbers are compared all candidates at once; what is the same for every student (the
    mistaken whole chains, the generic mistakes) is screened once per key and quantity.
    """
    q, value, expected, decimals = suspect.q, suspect.value, suspect.expected, suspect.decimals
    overrides, own = suspect.overrides, suspect.own
    tol = kp.tol
    if q not in kp.screens:
        mistaken = [Candidate(m.mistake_id, m.message, m.trace.value(q), True) for m in kp.mistaken]
        generic = [Candidate(mistake_id, message, v, False) for mistake_id, message, v in generic_candidates(expected)]
        kp.screens[q] = (_screen(mistaken, expected, tol), _screen(generic, expected, tol))
    key_chains, generic = kp.screens[q]
    if key_chains is None or generic is None:  # booleans or words
        yield from _one_by_one(_candidates(kp, q, expected, overrides, own), value, expected, wrong, tol, decimals)
        return
    blocks = [key_chains]
    if _from_own_values(kp, q, overrides):
        own_candidates = own.candidates(q)
        screened = _screen(own_candidates, expected, tol)
        if screened is None:  # not all numbers: the same order, these one by one
            yield from key_chains.matches(value, wrong, tol, decimals)
            yield from _one_by_one(own_candidates, value, expected, wrong, tol, decimals)
            yield from generic.matches(value, wrong, tol, decimals)
            return
        blocks.append(screened)
    blocks.append(generic)
    yield from _Screen.joined(blocks).matches(value, wrong, tol, decimals, np.asarray(expected, dtype=float))


def _one_by_one(
    candidates: list[Candidate], value: Any, expected: Any, wrong: np.ndarray, tol: Tolerance, decimals: Any = None
) -> Iterator[Match]:
    for candidate in candidates:
        if shape_of(candidate.value) != shape_of(expected):
            continue
        if isinstance(candidate.value, (np.ndarray, float)) and not np.all(np.isfinite(candidate.value)):
            continue
        reproduced = matches_exact(value, decimals, candidate.value, tol)
        where = reproduced & ~_close(candidate.value, expected, tol) & wrong
        if some(where):
            yield Match(candidate, where)


@dataclass(slots=True)
class _Screen:
    """Numeric candidates of the key's shape and finite: the candidates, their values (k×n), where each differs from the key."""

    candidates: list[Candidate]
    values: np.ndarray
    differs: np.ndarray
    _floats: list[float] | None = None  # values[:, 0] as floats, for one-number quantities

    @staticmethod
    def joined(screens: list[_Screen]) -> _Screen:
        if len(screens) == 1:
            return screens[0]
        return _Screen(
            [candidate for s in screens for candidate in s.candidates],
            np.concatenate([s.values for s in screens]),
            np.concatenate([s.differs for s in screens]),
        )

    def matches(
        self, value: Any, wrong: np.ndarray, tol: Tolerance, decimals: Any = None, key: np.ndarray | None = None
    ) -> Iterator[Match]:
        if not self.candidates:
            return iter(())
        if self.values.shape[1] == 1:
            one = self._one_number(value, wrong, tol, decimals, key)
            if one is not None:
                return iter(one)
        return self._all_at_once(value, wrong, tol, decimals, key)

    def _all_at_once(
        self, value: Any, wrong: np.ndarray, tol: Tolerance, decimals: Any = None, key: np.ndarray | None = None
    ) -> Iterator[Match]:
        """:meth:`matches` in NumPy, every candidate and element at once."""
        # matches_exact(value, decimals, candidate) for every candidate at once: rule (a), within the
        # tolerance, or (b), the candidate rounded to the decimals written (two figures of it shown).
        a = np.asarray(value, dtype=float).reshape(1, -1)
        reproduced = within(a, self.values, tol)
        coarse = np.zeros_like(reproduced)
        if decimals is not None:
            d = np.asarray(decimals, dtype=float).reshape(1, -1)
            with np.errstate(invalid="ignore", over="ignore"):
                near = np.isfinite(d) & (np.abs(a - self.values) <= _half_unit(d))
                reproduced |= near & _figures_shown(self.values, d)
                # An answer written to one significant figure (0.005) that only the mistake rounds to,
                # never the key itself (which 0.2 for −0.19 would be): a coarse match.
                if key is not None:
                    one_figure = ~_figures_shown(a, d) & (np.abs(a - key.reshape(1, -1)) > _half_unit(d))
                    coarse = near & one_figure & ~reproduced
        # A 0 is no misplaced decimal point or flipped sign (a specific mistake may give 0, though).
        slip = np.array([not c.specific for c in self.candidates]).reshape(-1, 1)
        where = (reproduced | coarse) & ~(slip & (a == 0)) & self.differs & wrong.reshape(1, -1)
        for row in np.flatnonzero(where.any(axis=1)):
            yield Match(self.candidates[row], where[row], bool(not (reproduced[row] & where[row]).any()))

    def _one_number(
        self, value: Any, wrong: np.ndarray, tol: Tolerance, decimals: Any, key: np.ndarray | None
    ) -> list[Match] | None:
        """:meth:`matches` for a quantity of one number, in plain floats (the same comparisons, a
        candidate at a time: the NumPy path's fixed cost is most of its time on one number); None
        where the NumPy path must decide (precision out of range)."""
        a, d = _one_number(value), (_one_number(decimals) if decimals is not None else None)
        if a is None or (decimals is not None and d is None):
            return None
        if not wrong.reshape(-1)[0]:
            return []
        half = None  # half a unit of the last written digit, where it is known
        if d is not None and math.isfinite(d):
            if not -300 <= d <= 300:
                return None
            half = half_unit(d)
        k = None if key is None else float(key.reshape(-1)[0])
        # An answer written to one significant figure that the key itself does not round to (coarse).
        one_figure = (
            half is not None and k is not None and not (a != 0 and shows_two_figures(a, d)) and abs(a - k) > half
        )
        found = []
        for candidate, v, differs in zip(self.candidates, self._column(), self.differs[:, 0].tolist(), strict=True):
            if not differs or (a == 0 and not candidate.specific):
                continue
            reproduced = abs(a - v) <= tol.atol + tol.rtol * abs(v)  # within (v is finite: screened)
            near = half is not None and abs(a - v) <= half
            if near and not reproduced:
                reproduced = v != 0 and shows_two_figures(v, d)  # rule (b)
            if reproduced or (near and one_figure):
                found.append(Match(candidate, np.array([True]), not reproduced))
        return found

    def _column(self) -> list[float]:
        """The candidates' values as floats (one-number quantities), made once per screen."""
        if self._floats is None:
            self._floats = self.values[:, 0].tolist()
        return self._floats


def _screen(candidates: list[Candidate], expected: Any, tol: Tolerance) -> _Screen | None:
    """The numeric candidates of the key's shape with finite values, with where each differs from
    the key; None when a candidate is not a number (booleans, words) or the key is not."""
    if isinstance(expected, (bool, np.bool_, str)):
        return None
    shape = shape_of(expected)
    kept = []
    for candidate in candidates:
        value = candidate.value
        if isinstance(value, (bool, np.bool_, str)) or not isinstance(value, (np.ndarray, float, int, np.number)):
            return None
        if isinstance(value, np.ndarray) and value.dtype.kind not in "fiu":
            return None
        if shape_of(value) == shape:
            kept.append(candidate)
    key = _one_number(expected)
    if key is not None:
        return _screen_one_number(kept, key, tol)
    return _screen_arrays(kept, expected, tol)


def _screen_one_number(kept: list[Candidate], key: float, tol: Tolerance) -> _Screen:
    """:func:`_screen_arrays` of candidates for a one-number key, in plain floats: the same
    candidates, values and flags (a candidate's ten-odd NumPy calls were most of a screen's cost)."""
    column = [float(np.asarray(c.value).item()) if type(c.value) is not float else c.value for c in kept]
    finite = [math.isfinite(v) for v in column]
    floats = [v for v, ok in zip(column, finite, strict=True) if ok]
    differs = [not within(v, key, tol) for v in floats]
    return _Screen(
        [c for c, ok in zip(kept, finite, strict=True) if ok],
        np.array(floats, dtype=float).reshape(len(floats), 1),
        np.array(differs, dtype=bool).reshape(len(floats), 1),
        floats,
    )


def _screen_arrays(kept: list[Candidate], expected: Any, tol: Tolerance) -> _Screen:
    """:func:`_screen` of candidates of the key's shape, every element in NumPy at once."""
    n = int(np.size(expected))
    values = np.array([np.asarray(c.value, dtype=float).reshape(-1) for c in kept], dtype=float).reshape(len(kept), n)
    # A candidate with an infinite or NaN element is dropped (it could match nothing there anyway).
    finite = np.isfinite(values).all(axis=1)
    # ~_close(candidate, expected) for every candidate at once: within broadcasts the key over the rows.
    differs = ~within(values, np.asarray(expected, dtype=float).reshape(1, n), tol)
    return _Screen([c for c, ok in zip(kept, finite, strict=True) if ok], values[finite], differs[finite])


def agrees(value: Any, decimals: Any, reference: Any, tol: Tolerance) -> np.ndarray:
    """Flat: is each element ``reference`` by rules (a)/(b), or at the precision written (0.005 for
    0.0047)? All False for a reference of another shape or kind."""
    if isinstance(reference, (bool, str, np.bool_)) or shape_of(reference) != shape_of(value):
        return np.zeros(np.size(value), dtype=bool)
    a, r = _one_number(value), _one_number(reference)
    d = _one_number(decimals) if decimals is not None else None
    if a is not None and r is not None and (decimals is None or d is not None):
        return np.array([_one_agrees(a, d, r, tol)])
    with np.errstate(all="ignore"):
        ok = matches_exact(value, decimals, reference, tol)
        return ok | near_as_written(value, decimals, reference) if decimals is not None else ok


def _one_agrees(a: float, d: float | None, r: float, tol: Tolerance) -> bool:
    """:func:`agrees` for one number in plain floats: rule (a) or (b), or a nonzero answer at the
    precision written (:func:`matches_exact` or :func:`near_as_written`, as they decide one number)."""
    return exact_one(a, d, r, tol) or (d is not None and near_one(a, d, r))


def _misjudged(kp: KeyProblem, q: str) -> dict[str, Any] | None:
    """A wrong true/false verdict on a claim: the claim's misconception and the solver's evidence."""
    from lstmhw.solvers import solver_module

    explain = getattr(solver_module(kp.problem.solver), "misconception", None)
    message = explain(kp.trace, q) if explain is not None else None
    return {"mistake": "claim-misjudged", "message": message} if message else None


def _describe(found: list[Candidate], value: Any, flat: int | None = None) -> dict[str, Any]:
    """Specific mistakes over generic ones, and among them those re-run from the student's own earlier
    values over the whole chain (which starts from values the student did not have); several
    equally good ones are all named. Of one mistake's variants that match, the message is the one
    nearest the answer (element ``flat``): φ′ = 1 written as 1 matches "taken as 1/2" too at the
    precision of a whole number, and is told "taken as 1"."""
    chosen = [c for c in found if c.specific] or found
    chosen = [c for c in chosen if c.own] or chosen
    nearest: dict[str, Candidate] = {}  # by mistake, in the order first found
    for candidate in chosen:
        best = nearest.get(candidate.mistake_id)
        if best is None or _distance(candidate.value, value, flat) < _distance(best.value, value, flat):
            nearest[candidate.mistake_id] = candidate
    ids = list(nearest)
    messages = [c.message for c in nearest.values()]
    if len(ids) == 1:
        return {"mistake": ids[0], "message": messages[0]}
    return {
        "mistake": ids[0],
        "message": "these mistakes give the same value here, so it cannot tell which: " + "; or ".join(messages),
        "alternatives": ids[1:],
    }


def _distance(candidate: Any, value: Any, flat: int | None) -> float:
    """How far a candidate is from the answer: at element ``flat``, or its largest difference."""
    try:
        a, b = np.asarray(candidate, dtype=float).ravel(), np.asarray(value, dtype=float).ravel()
        with np.errstate(all="ignore"):
            gap = np.abs(a[flat] - b[flat]) if flat is not None else np.max(np.abs(a - b))
    except (TypeError, ValueError, IndexError):
        return math.inf
    return float(gap) if gap == gap else math.inf  # NaN: not comparable
