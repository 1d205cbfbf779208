"""Verdicts, one quantity at a time (SPEC §4).

- :func:`_coerce`: a student's answer in the key's type and shape, or why it is invalid;
- :func:`within`: the one tolerance test, ``|a − r| ≤ atol + rtol·|r|``; :func:`_close`
  applies it to any two answers (booleans and words by equality);
- :func:`_close_to_key`: right against the key or the key re-solved with hand rounding;
- :class:`EcfChains` and :func:`_verdict_after_ecf`: error carried forward, and the
  verdict and proportional credit of an answer that missed the key;
- :func:`_grade_transposed`: a matrix written transposed.

What grades a whole problem (and calls the diagnosis) is in :mod:`lstmhw.grading`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmhw.errors import LstmhwError
from lstmhw.grading.records import QuantityResult
from lstmhw.render.values import jsonable
from lstmhw.submission import AnsweredTwice, answer_value

if TYPE_CHECKING:
    from lstmhw.grading import KeyProblem, Options
    from lstmhw.problem import Tolerance
    from lstmhw.trace import Trace

HAND_ROUNDING_DECIMALS = (2, 3, 4)

CORRECT, CORRECT_ECF, INCORRECT, MISSING, INVALID = "correct", "correct-ecf", "incorrect", "missing", "invalid"


# --------------------------------------------------------------------------- tolerance
def within(a: float | np.ndarray, r: float | np.ndarray, tol: Tolerance) -> bool | np.ndarray:
    """Is ``a`` the reference ``r`` up to ``tol``: ``|a − r| ≤ atol + rtol·|r|``, with ``r`` finite.

    Elementwise, with NumPy broadcasting, for arrays (and NumPy scalars: a NumPy bool);
    two Python floats take a plain-float path (a bool), the same IEEE arithmetic in a
    fraction of the time.  An infinite ``r`` (a chain that overflowed) is never within:
    rtol·∞ would admit any answer.  A NaN on either side is never within.
    """
    if type(a) is float and type(r) is float:
        return abs(a - r) <= tol.atol + tol.rtol * abs(r) and math.isfinite(r)
    with np.errstate(all="ignore"):  # inf − inf is NaN, which is not within: no warning needed
        return (np.abs(a - r) <= tol.atol + tol.rtol * np.abs(r)) & np.isfinite(r)


def _close(answer: Any, candidate: Any, tol: Tolerance) -> np.ndarray:
    """Elementwise and flat: :func:`within` for numbers, equality for booleans and words."""
    if type(answer) is float and type(candidate) is float:  # two scalars, as most quantities are: no NumPy until the result
        return np.array([within(answer, candidate, tol)])
    if isinstance(answer, (bool, str)) or isinstance(candidate, (bool, str, np.bool_)):
        return np.array([answer == candidate])
    a = np.asarray(answer, dtype=float)
    r = np.asarray(candidate, dtype=float)
    if a.shape != r.shape:
        return np.zeros(a.size, dtype=bool)
    if a.size == 1:
        # One number, the common case: within's Python-float path, a tenth of the time of its array one.
        return np.array([within(a.item(), r.item(), tol)])
    return within(a, r, tol).reshape(-1)


def every(flags: np.ndarray) -> bool:
    """``flags.all()`` of flat per-element booleans. Most quantities are one number, and there
    NumPy's reduction costs eight times Python's ``all`` of the list (2.5 µs against 0.3)."""
    return all(flags.tolist()) if flags.ndim == 1 and flags.size <= 16 else bool(flags.all())


def some(flags: np.ndarray) -> bool:
    """``flags.any()`` of flat per-element booleans (see :func:`every`)."""
    return any(flags.tolist()) if flags.ndim == 1 and flags.size <= 16 else bool(flags.any())


def count(flags: np.ndarray) -> int:
    """How many of the booleans are true: ``flags.sum()`` as a Python int, in a third of its time."""
    return int(np.count_nonzero(flags))


# --------------------------------------------------------------------------- written precision (SPEC §4.2)
ZERO_KEY = 1e-12  # a key element this small, relative to the quantity's largest, counts as zero


def _figures_shown(x: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """Elementwise: do ``decimals`` decimals show at least two significant figures of ``x`` (x ≠ 0)?"""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x != 0) & (decimals >= 1 - np.floor(np.log10(np.abs(x))))


def _half_unit(decimals: np.ndarray) -> np.ndarray:
    """:func:`half_unit` of each element; nan if unknown."""
    with np.errstate(invalid="ignore", over="ignore"):
        return half_unit(decimals)


def half_unit(decimals: Any) -> Any:
    """Half a unit of the last of ``decimals`` written decimals, a hair more for the binary
    representation (relative slack only: no floor that a tiny value could hide in). One number
    (a Python float: |decimals| ≤ 300, or it overflows) or elementwise for an array."""
    return 0.5 * 10.0**-decimals * (1 + 1e-9)


def shows_two_figures(x: float, decimals: float) -> bool:
    """Do ``decimals`` decimals show at least two significant figures of ``x`` (not 0)?
    :func:`_figures_shown` for one number."""
    return decimals >= 1 - math.floor(math.log10(abs(x)))


def matches_exact(answer: Any, decimals: Any, reference: Any, tol: Tolerance) -> np.ndarray:
    """Flat: is each element the exact ``reference`` by rule (a) — within the tolerance — or (b) —
    the reference rounded to the decimals written, which show two significant figures of it
    (a reference that is zero, relative to its largest element, needs none)?"""
    ok = _close(answer, reference, tol)
    if every(ok) or decimals is None or isinstance(reference, (bool, str, np.bool_)):
        return ok
    operands = _operands(answer, decimals, reference)
    if operands is None:
        return ok
    a, d, r = operands
    if type(a) is float:  # one number: plain floats
        return np.array([rounded_one(a, d, r)])
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.max(np.abs(r)) if r.size else 0.0
        zero = np.abs(r) <= ZERO_KEY * scale
        rounded = np.isfinite(d) & (np.abs(a - r) <= _half_unit(d)) & (zero | _figures_shown(r, d))
    return ok | rounded


def _operands(answer: Any, decimals: Any, reference: Any) -> tuple[Any, Any, Any] | None:
    """An answer, its written decimals and a reference as three Python floats when each is one
    number, else as flat float arrays; None when the arrays' sizes differ."""
    a1, d1, r1 = _one_number(answer), _one_number(decimals), _one_number(reference)
    if a1 is not None and d1 is not None and r1 is not None:
        return a1, d1, r1
    a = np.asarray(answer, dtype=float).reshape(-1)
    r = np.asarray(reference, dtype=float).reshape(-1)
    d = np.asarray(decimals, dtype=float).reshape(-1)
    if a.shape != r.shape or d.shape != a.shape:
        return None
    return a, d, r


def shape_of(x: Any) -> tuple[int, ...]:
    """``np.shape(x)``, without its dispatch for an array or a Python number (grading asks it of
    every answer, key value and candidate: ~0.7 µs saved each)."""
    kind = type(x)
    if kind is np.ndarray:
        return x.shape
    if kind is float or kind is int or kind is bool:
        return ()
    return np.shape(x)


def _one_number(x: Any) -> float | None:
    """``x`` as a Python float when it is a single number (a float or a 1-element array), else None."""
    if type(x) is float:
        return x
    if isinstance(x, np.ndarray) and x.size == 1 and x.dtype.kind == "f":
        return x.item()
    return None


def within_half_unit(a: float, d: float, r: float) -> bool:
    """One number: is ``a`` ``r`` to half a unit of its last written digit (``d`` decimals, nan if unknown)?
    :func:`_half_unit` in plain floats."""
    return math.isfinite(d) and d >= -300 and math.isfinite(r) and abs(a - r) <= half_unit(d)


# Rules (a)-(c) of one number in plain floats (``d``: the decimals written, nan if unknown, None if
# not read): the one-number branches of matches_exact and near_as_written, and what decides a
# one-number answer without the arrays (_one_close_to_key, lstmhw.grading.diagnosis.agrees).
def rounded_one(a: float, d: float, r: float) -> bool:
    """Rule (b) of one number: ``r`` rounded to the ``d`` decimals written, which show two figures of it."""
    return within_half_unit(a, d, r) and (r == 0 or shows_two_figures(r, d))


def exact_one(a: float, d: float | None, r: float, tol: Tolerance) -> bool:
    """:func:`matches_exact` of one number: rule (a), within the tolerance, or rule (b)."""
    return within(a, r, tol) or (d is not None and rounded_one(a, d, r))


def near_one(a: float, d: float, r: float) -> bool:
    """:func:`near_as_written` of one number: a nonzero answer ``r`` to half a unit of its last written digit."""
    return a != 0 and within_half_unit(a, d, r)


def paper_one(a: float, d: float, v: float) -> bool:
    """:func:`matches_paper` of one number, rule (c): near the chain's ``v`` as written, two figures shown."""
    return near_one(a, d, v) and shows_two_figures(a, d)


def near_as_written(answer: Any, decimals: Any, reference: Any) -> np.ndarray:
    """Flat: is each element of a nonzero answer ``reference`` to half a unit of its last written digit?"""
    operands = _operands(answer, decimals, reference)
    if operands is None:
        return np.zeros(np.size(answer), dtype=bool)
    a, d, r = operands
    if type(a) is float:  # one number: plain floats
        return np.array([near_one(a, d, r)])
    with np.errstate(invalid="ignore", over="ignore"):
        return (a != 0) & np.isfinite(d) & np.isfinite(r) & (np.abs(a - r) <= _half_unit(d))


def near_any_as_written(answer: Any, decimals: Any, references: Sequence[Any]) -> np.ndarray:
    """Flat: :func:`near_as_written` of any of ``references``, element by element (for one
    number, the answer and its decimals are read once, not once a reference)."""
    a, d = _one_number(answer), _one_number(decimals)
    if a is not None and d is not None:
        floats = [_one_number(r) for r in references]
        if None not in floats:
            return np.array([any(near_one(a, d, r) for r in floats)])  # type: ignore[arg-type]
    found = near_as_written(answer, decimals, references[0])
    for reference in references[1:]:
        found |= near_as_written(answer, decimals, reference)
    return found


def matches_paper(answer: Any, decimals: Any, chain_value: Any) -> np.ndarray:
    """Flat: rule (c) — is each element the hand-rounded chain's value to half a unit of its last
    written digit (:func:`near_as_written`), and does the answer itself show two significant
    figures? Never a tolerance."""
    if decimals is None or isinstance(chain_value, (bool, str, np.bool_)):
        return np.zeros(np.size(answer), dtype=bool)
    near = near_as_written(answer, decimals, chain_value)
    if not some(near):
        return near
    a1, d1 = _one_number(answer), _one_number(decimals)
    if a1 is not None and d1 is not None:  # one number (near: a1 ≠ 0)
        return np.array([shows_two_figures(a1, d1)])
    with np.errstate(invalid="ignore", over="ignore"):
        return near & _figures_shown(np.asarray(answer, dtype=float).reshape(-1), np.asarray(decimals, dtype=float).reshape(-1))


def _close_to_key(kp: KeyProblem, q: str, value: Any, decimals: Any = None) -> np.ndarray:
    """Where ``value`` is the key's by rules (a) and (b), or the key re-solved as on paper (every value
    written down rounded to 2, 3 or 4 decimals) by rule (c)."""
    one = _one_close_to_key(kp, q, value, decimals)
    if one is not None:
        return np.array([one])
    ok = matches_exact(value, decimals, kp.expected(q), kp.tol)
    if not every(ok) and decimals is not None:  # the rounded chains are solved only once an answer needs them
        for rounded in kp.rounded:
            ok |= matches_paper(value, decimals, rounded.value(q))
    return ok


def _one_close_to_key(kp: KeyProblem, q: str, value: Any, decimals: Any) -> bool | None:
    """:func:`_close_to_key` of a one-number answer (in the key's shape, as :func:`_coerce` gives it)
    in plain floats: rules (a), (b) and (c) as :func:`matches_exact` and :func:`matches_paper`
    decide them for one number (most quantities are one number, and their NumPy path is ~40 µs of
    fixed cost). None where that path must decide."""
    a, key = _one_number(value), _one_number(kp.expected(q))
    d = _one_number(decimals) if decimals is not None else None
    if a is None or key is None or (decimals is not None and d is None):
        return None
    if exact_one(a, d, key, kp.tol):  # (a) or (b)
        return True
    if d is None:
        return False
    chains = [_one_number(trace.value(q)) for trace in kp.rounded]  # (c): the chains are solved only now
    if None in chains:
        return None
    return any(paper_one(a, d, v) for v in chains)


# --------------------------------------------------------------------------- answers
@dataclass(slots=True)
class Reading:
    """A student's answer read in the key's type and shape: ``value``, or ``why`` it is invalid;
    ``note`` says how it was read when that was not as written (a flat list in row order)."""

    value: Any
    why: str | None = None
    note: str | None = None


def _coerce(raw: Any, expected: Any) -> Reading:
    """The student's answer in the key's type and shape (SPEC §4.1), or why it is invalid."""
    if isinstance(raw, AnsweredTwice):
        return Reading(None, str(raw))
    value = answer_value(raw)
    if isinstance(expected, (bool, np.bool_)):
        if isinstance(value, bool):
            return Reading(value)
        if type(value) is float and value in (0.0, 1.0):  # 1/0 for true/false
            return Reading(value == 1.0)
        return Reading(None, f"{raw!r}, expected true or false")
    if isinstance(expected, str):
        if isinstance(value, str):
            return Reading(value.strip().lower())
        # No example word: it would be the key's (students read this reason on Gradescope).
        return Reading(None, f"{raw!r}, expected one of the words the problem uses")
    if value is None or isinstance(value, (bool, str)):
        return Reading(None, f"{raw!r}, expected a number" + ("" if np.ndim(expected) == 0 else " or a list of numbers"))
    words = _words(value)
    if words:  # [0.5298, oops]; and NumPy would read '1e999', 'nan' or 400 digits as inf/nan
        return Reading(None, f"{_short(words[0])} in a list, expected numbers only")
    try:
        array = np.asarray(value, dtype=float)
    except ValueError:
        return Reading(None, "a ragged list, expected a rectangular list of numbers")
    target = np.asarray(expected, dtype=float)
    note = None
    if array.shape != target.shape:
        if array.size == target.size and np.squeeze(array).shape == np.squeeze(target).shape:
            array = array.reshape(target.shape)  # 0.2174 for [0.2174], [[1, 2]] for [1, 2]
        elif array.ndim == 2 and array.shape == target.shape[::-1]:
            return Reading(array)  # transposed: graded (and diagnosed) by _grade_transposed
        elif array.ndim == 1 and target.ndim == 2 and array.size == target.size:
            array = array.reshape(target.shape)
            rows, cols = target.shape
            note = f"a flat list of {array.size} numbers, read row by row as a {rows}×{cols} matrix"
        else:
            return Reading(None, f"shape {array.shape}, expected {target.shape}")
    if target.ndim == 0:
        return Reading(float(array))
    return Reading(array, None, note)


def _short(word: str) -> str:
    text = repr(word)
    return text if len(text) <= 40 else text[:37] + "...'"


def _words(value: Any) -> list[str]:
    """The words in a (nested) list answer, in order."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        if all(type(item) is float for item in value):
            return []  # a row of numbers
        return [w for item in value for w in _words(item)]
    return []


def _as_given(raw: Any) -> Any:
    """The answer as the student wrote it (0.013, not [0.013]), for reports."""
    value = answer_value(raw)
    return _plain(value if value is not None else raw)


def _plain(value: Any) -> Any:
    return jsonable(value)


# --------------------------------------------------------------------------- verdicts
def _grade_transposed(q: str, value: Any, expected: Any, max_points: float, tol: Tolerance, options: Options) -> QuantityResult:
    r = np.asarray(expected, dtype=float)
    result = QuantityResult(
        q, INVALID, _plain(value), _plain(expected), 0.0, max_points, reason=f"shape {np.shape(value)}, expected {r.shape}"
    )
    if options.diagnose and _close(np.asarray(value).T, r, tol).all():
        result.verdict = INCORRECT
        result.reason = None
        result.diagnosis = {"mistake": "transposed", "message": "the matrix is transposed"}
    return result


class EcfChains:
    """A student's error-carried-forward values: each quantity re-run from the student's own answers
    it is computed from, exactly and with each hand rounding (a rounding that makes the chain
    degenerate, ÷0, is left out), each on first use (:meth:`lstmhw.reruns.Reruns.own`)."""

    def __init__(self, kp: KeyProblem, overrides: dict[str, Any]) -> None:
        self._kp, self._overrides = kp, overrides
        self._exact: dict[str, Any] = {}  # read by the verdict, then by the diagnosis

    def exact(self, q: str) -> Any | None:
        """``q`` from the student's own earlier answers at full precision; None where it cannot be computed."""
        if q not in self._exact:
            self._exact[q] = self._own(q, None)
        return self._exact[q]

    def _own(self, q: str, decimals: int | None) -> Any | None:
        try:  # (under the floating-point rules of a solve: Reruns.own sets them)
            return self._kp.reruns.own(q, self._overrides, decimals=decimals)
        except (ArithmeticError, ValueError, LstmhwError):
            return None

    def rounded(self, q: str, answer: Any, written: Any, where: np.ndarray) -> Iterator[Any]:
        """``q`` from the hand-rounded chains that could match ``answer`` by rule (c) at some element
        ``where`` (see :func:`could_match_rounded`), run as they are reached; the others are never run."""
        for decimals in HAND_ROUNDING_DECIMALS:
            if could_match_rounded(answer, written, where, decimals):
                value = self._own(q, decimals)
                if value is not None:
                    yield value


def could_match_rounded(answer: Any, written: Any, where: np.ndarray, decimals: int) -> bool:
    """Could rule (c) (:func:`matches_paper`) match an element of ``answer`` (where ``where``) against
    a chain that rounds every value to ``decimals`` decimals? A necessary condition, decided
    without running the chain.

    A value rounded so lies on the grid of ``decimals`` decimals (to a float's error), unless it is
    below 10^(1−decimals), where two significant figures take more decimals
    (:func:`lstmhw.trace.round_value`). An answer written with more decimals than that is within
    half a unit of its last digit of a grid point only where its extra digits are (nearly) zeros:
    0.2174 can match no chain of 2 or 3 decimals, 0.2200 and 0.22 can. Where it cannot be told
    (not finite, an exponent out of range, the two-figure range), the answer could match.
    """
    x1, w1 = _one_number(answer), _one_number(written)
    if x1 is not None and w1 is not None and where.size == 1:  # one number: no NumPy
        pairs = [(x1, w1)] if where.item() else []
    else:
        a = np.asarray(answer, dtype=float).reshape(-1)
        if np.size(written) not in (1, a.size):
            return True
        w = np.broadcast_to(np.asarray(written, dtype=float).reshape(-1), a.shape)
        pairs = list(zip(a[where.reshape(-1)].tolist(), w[where.reshape(-1)].tolist(), strict=True))
    for x, digits in pairs:
        if not (math.isfinite(x) and math.isfinite(digits) and -300 <= digits <= 300):
            return True
        half = half_unit(digits)
        if abs(x) <= 1.01 * 10.0 ** (1 - decimals) + half:  # a two-figure value could be near
            return True
        scaled = x * 10.0**decimals
        off_grid = abs(scaled - round(scaled)) / 10.0**decimals
        if off_grid <= half * (1 + 1e-6) + 1e-12 * max(1.0, abs(x)):  # generous: float error, never a miss
            return True
    return False


def trivial(value: Any, givens: Sequence[np.ndarray]) -> bool:
    """An answer no error can be carried forward from: all zeros, or a copy of a given value
    (``givens``: the problem's numeric givens as float arrays, :func:`numeric_givens`)."""
    if isinstance(value, (bool, str, np.bool_)):
        return False
    array = np.asarray(value, dtype=float)
    if array.size == 1:  # one number, the common case: the same comparisons in plain floats
        x = array.item()
        if x == 0:
            return True
        return any(given.shape == array.shape and given.item() == x for given in givens)
    if not np.any(array):
        return True
    return any(given.shape == array.shape and np.array_equal(given, array) for given in givens)


def numeric_givens(trace: Trace) -> list[np.ndarray]:
    """The trace's givens as float arrays, but for Python true/false and words: what
    :func:`trivial` compares an answer with."""
    givens = []
    for step in trace:
        if step.given and not isinstance(step.value, (bool, str)):
            try:
                givens.append(np.asarray(step.value, dtype=float))
            except (TypeError, ValueError):  # not numbers (words in a list): no number is a copy of it
                continue
    return givens


def _verdict_after_ecf(
    kp: KeyProblem,
    q: str,
    value: Any,
    ok_key: np.ndarray,
    overrides: dict[str, Any],
    ecf_chains: EcfChains | None,
    decimals: Any = None,
    max_points: float | None = None,
) -> tuple[QuantityResult, np.ndarray]:
    """The verdict on an answer that missed the key (right only where ``ok_key``, from
    :func:`_close_to_key`): correct-ecf where it follows from the student's own earlier answers
    (``ecf_chains``, None without ECF), else incorrect, with per-element credit.  Returns the
    result and its wrong elements (flat booleans).  ``max_points``: the problem's points for ``q``
    unless given (a step of the working earns none)."""
    problem, tol = kp.problem, kp.tol
    expected = kp.expected(q)
    if max_points is None:
        max_points = problem.points_for(q)
    ok_ecf = np.zeros(ok_key.shape, dtype=bool)
    used: dict[str, Any] = {}
    carried = None  # what q is from the student's own earlier answers
    if ecf_chains is not None:
        upstream = kp.upstream(q, frozenset(overrides))
        # An ECF answer follows from values the student gave: not from zeros or a copied given
        # (one of those among its sources, where it is not the key's own value, is enough to refuse).
        carried_trivial = any(
            trivial(overrides[name], kp.givens) and not every(matches_exact(overrides[name], None, kp.trace.value(name), tol))
            for name in upstream
        )
        carried = ecf_chains.exact(q) if upstream and not carried_trivial and not trivial(value, kp.givens) else None
        if carried is not None:
            ok_ecf |= matches_exact(value, decimals, carried, tol)
            # Rule (c) can only add elements: not needed without written decimals (it matches
            # nothing then) or once every element is right; and only the roundings that could
            # match are run (an answer written to 4 decimals needs no chain of 2).
            if decimals is not None and not every(ok_ecf | ok_key):
                for rounded in ecf_chains.rounded(q, value, decimals, ~(ok_ecf | ok_key)):
                    ok_ecf |= matches_paper(value, decimals, rounded)
                    if every(ok_ecf | ok_key):
                        break
            ok_ecf &= ~ok_key
            if some(ok_ecf):
                used = {name: _plain(overrides[name]) for name in upstream}
    credit = (count(ok_key) + problem.ecf_credit * count(ok_ecf)) / ok_key.size
    points = float(max_points * credit)
    wrong = ~(ok_key | ok_ecf)
    verdict = INCORRECT if some(wrong) else CORRECT_ECF
    result = QuantityResult(q, verdict, _plain(value), _plain(expected), points, max_points)
    if used:
        result.ecf = {"from": used, "expected": _plain(carried)}
    if ok_key.size > 1:
        result.elements = _elements(value, expected, ok_key, ok_ecf)
    return result, wrong


def _upstream_answers(trace: Trace, quantity: str, overrides: dict[str, Any]) -> list[str]:
    """The student's answers that ``quantity`` was computed from (through any number of steps)."""
    seen: set[str] = set()
    stack = list(trace[quantity].inputs)
    found = []
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in overrides:
            found.append(name)
            continue  # the student's value replaces everything above it
        stack.extend(trace[name].inputs)
    return sorted(found, key=list(trace.steps).index)


def _elements(value: Any, expected: Any, ok_key: np.ndarray, ok_ecf: np.ndarray) -> list[dict[str, Any]]:
    """Each element's verdict, in row-major order: its index, verdict, answer and expected value."""
    a = np.asarray(value, dtype=float).reshape(-1).tolist()
    r = np.asarray(expected, dtype=float)
    indices = itertools.product(*(range(n) for n in r.shape))  # np.ndindex's order, without its per-step cost
    return [
        {"index": list(index), "verdict": CORRECT if key else CORRECT_ECF if ecf else INCORRECT, "answer": x, "expected": y}
        for index, key, ecf, x, y in zip(indices, ok_key.tolist(), ok_ecf.tolist(), a, r.reshape(-1).tolist(), strict=True)
    ]
