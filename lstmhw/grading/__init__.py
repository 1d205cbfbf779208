"""Grading answers against a key, the way a careful human grader does (SPEC §4).

For each asked quantity, in order:

1. **correct**: every element within ``atol + rtol·|r|`` of the key, or of the
   key re-solved with every intermediate rounded to 2, 3 or 4 decimals (a
   student working on paper);
2. **correct-ecf**: wrong against the key, but right when the solver is re-run
   with the student's own earlier answers substituted (error carried forward);
3. **incorrect**, with a ``diagnosis`` when a catalogued mistake reproduces the
   answer — re-running the whole chain with the mistake (computed once per key)
   or re-running it from the student's own earlier values;
4. **missing** / **invalid** (unreadable, or the wrong shape).

Matrices are judged element by element with proportional credit.  Everything
that depends only on the key (its trace, the rounded chains, the mistaken
chains) is computed once per key in :class:`KeyProblem`, not per student.
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from lstmhw.errors import LstmhwError
from lstmhw.mistakes import generic_candidates, mistake_traces, patched_ops
from lstmhw.problem import Problem, Tolerance
from lstmhw.reruns import Reruns
from lstmhw.solvers import run, solver_module
from lstmhw.submission import Submission, answer_value
from lstmhw.trace import Trace

HAND_ROUNDING_DECIMALS = (2, 3, 4)

CORRECT, CORRECT_ECF, INCORRECT, MISSING, INVALID = "correct", "correct-ecf", "incorrect", "missing", "invalid"


@dataclass
class Options:
    rtol: float | None = None  # overrides every problem's tolerance when given
    atol: float | None = None
    ecf: bool = True
    diagnose: bool = True


@dataclass
class QuantityResult:
    quantity: str
    verdict: str
    answer: Any
    expected: Any
    points: float
    max_points: float
    diagnosis: dict[str, Any] | None = None
    elements: list[dict[str, Any]] | None = None
    ecf: dict[str, Any] | None = None  # the student's values the ECF value was computed from
    reason: str | None = None  # why an answer is invalid
    read_from: str | None = None  # the student's own name for it, when not written as asked ("h1")


@dataclass
class SubmissionResult:
    student: str
    file: str
    status: str  # "graded" | "error"
    error: str | None
    score: float
    max_score: float
    problems: dict[str, dict[str, QuantityResult]] = field(default_factory=dict)
    variant: int | None = None

    def problem_score(self, problem_id: str) -> float:
        return sum(r.points for r in self.problems.get(problem_id, {}).values())


class KeyProblem:
    """One problem of the key with everything that does not depend on the student."""

    def __init__(self, problem: Problem, options: Options) -> None:
        self.problem = problem
        self.trace: Trace = run(problem)
        base = problem.tolerance
        self.tol = Tolerance(
            rtol=options.rtol if options.rtol is not None else base.rtol,
            atol=options.atol if options.atol is not None else base.atol,
        )
        self.ops = solver_module(problem.solver).OPS
        self.max_score = sum(problem.points_for(q) for q in problem.ask)

    @cached_property
    def rounded(self) -> list[Trace]:
        traces = []
        with np.errstate(all="ignore"):
            for decimals in HAND_ROUNDING_DECIMALS:
                try:
                    traces.append(run(self.problem, decimals=decimals))
                except (ArithmeticError, ValueError, LstmhwError):
                    continue  # a chain rounding makes degenerate (÷0) is not one a student took
        return traces

    @cached_property
    def mistaken(self) -> list[tuple[str, str, Trace]]:
        """Whole chains re-run with each catalogued mistake: once per key, shared by all students."""
        return mistake_traces(self.problem)

    @cached_property
    def patched(self) -> list[tuple[str, Any, Any]]:
        """(mistake id, variant, ops with the mistake) for every mistake that applies: made once per key."""
        return list(patched_ops(self.ops))

    @cached_property
    def graded(self) -> OrderedDict[Any, tuple[dict[str, QuantityResult], int]]:
        """Results (and their rough size) by the exact answers that earned them (see :func:`grade_problem`)."""
        self.graded_bytes = 0
        return OrderedDict()

    @cached_property
    def screens(self) -> dict[str, Any]:
        """Per quantity: the diagnosis candidates that are the same for every student, screened once."""
        return {}

    @cached_property
    def reruns(self) -> Reruns:
        """The solver re-run from students' own values: remembered across students, incremental."""
        return Reruns(self.problem)

    def expected(self, quantity: str) -> Any:
        return self.trace.value(quantity)


class Key:
    """The answer key: problems by id, and their variants on demand."""

    def __init__(self, problems: Sequence[Problem], options: Options) -> None:
        self.options = options
        self.problems = {p.id: KeyProblem(p, options) for p in problems}
        self.ids = list(self.problems)
        self._variants: dict[int, Key] = {}

    @property
    def max_score(self) -> float:
        return sum(kp.max_score for kp in self.problems.values())

    def for_variant(self, seed: int | None) -> "Key":
        if seed is None:
            return self
        if seed not in self._variants:
            from lstmhw.variant import variant_problem

            variants = [variant_problem(kp.problem, seed) for kp in self.problems.values()]
            for original, variant in zip(self.ids, variants, strict=True):
                variant.id = original  # answers are keyed by the original ids
            self._variants[seed] = Key(variants, self.options)
        return self._variants[seed]


# --------------------------------------------------------------------------- values
def _coerce(raw: Any, expected: Any) -> tuple[Any, str | None]:
    """The student's answer in the key's type and shape, or (None, why it is invalid)."""
    value = answer_value(raw)
    if isinstance(expected, (bool, np.bool_)):
        if isinstance(value, bool):
            return value, None
        return None, f"{raw!r}, expected true or false"
    if isinstance(expected, str):
        if isinstance(value, str):
            return value.strip().lower(), None
        return None, f"{raw!r}, expected one of the words the problem uses (e.g. {expected!r})"
    if value is None or isinstance(value, (bool, str)):
        return None, f"{raw!r}, expected a number" + ("" if np.ndim(expected) == 0 else " or a list of numbers")
    words = _words(value)
    if words:  # [0.5298, oops]; and NumPy would read '1e999', 'nan' or 400 digits as inf/nan
        return None, f"{_short(words[0])} in a list, expected numbers only"
    try:
        array = np.asarray(value, dtype=float)
    except ValueError:
        return None, "a ragged list, expected a rectangular list of numbers"
    target = np.asarray(expected, dtype=float)
    if array.shape != target.shape:
        if array.size == target.size and np.squeeze(array).shape == np.squeeze(target).shape:
            array = array.reshape(target.shape)  # 0.2174 for [0.2174], [[1, 2]] for [1, 2]
        elif array.ndim == 2 and array.shape == target.shape[::-1]:
            return array, None  # transposed: graded (and diagnosed) by _grade_transposed
        else:
            return None, f"shape {array.shape}, expected {target.shape}"
    if target.ndim == 0:
        return float(array), None
    return array, None


def _short(word: str) -> str:
    text = repr(word)
    return text if len(text) <= 40 else text[:37] + "...'"


def _words(value: Any) -> list[str]:
    """The words in a (nested) list answer, in order."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [w for item in value for w in _words(item)]
    return []


def _close(answer: Any, candidate: Any, tol: Tolerance) -> np.ndarray:
    """Elementwise: |a − r| ≤ atol + rtol·|r| for numbers, equality for booleans and words."""
    if isinstance(answer, (bool, str)) or isinstance(candidate, (bool, str, np.bool_)):
        return np.array([answer == candidate])
    a = np.asarray(answer, dtype=float)
    r = np.asarray(candidate, dtype=float)
    if a.shape != r.shape:
        return np.zeros(a.size, dtype=bool)
    if a.size == 1:
        # One number, the common case: the same test in Python floats (IEEE doubles, as in
        # NumPy), a tenth of the time of the array expression below.
        x, y = a.item(), r.item()
        return np.array([abs(x - y) <= tol.atol + tol.rtol * abs(y) and math.isfinite(y)])
    with np.errstate(all="ignore"):
        # An infinite candidate (a chain that overflowed) matches nothing: rtol·∞ would admit any answer.
        return ((np.abs(a - r) <= tol.atol + tol.rtol * np.abs(r)) & np.isfinite(r)).reshape(-1)


def _as_given(raw: Any) -> Any:
    """The answer as the student wrote it (0.013, not [0.013]), for reports."""
    value = answer_value(raw)
    return _plain(value if value is not None else raw)


def _plain(value: Any) -> Any:
    from lstmhw.render.values import jsonable

    return jsonable(value)


# --------------------------------------------------------------------------- grading
def grade_submission(key: Key, submission: Submission, options: Options | None = None) -> SubmissionResult:
    """Grade every asked quantity of every key problem for one submission."""
    options = options or key.options
    if submission.error is not None:
        return SubmissionResult(submission.student, submission.file, "error", submission.error, 0.0, key.max_score)
    try:
        graded_key = key.for_variant(submission.variant)
    except LstmhwError as exc:
        return SubmissionResult(
            submission.student, submission.file, "error", f"variant {submission.variant}: {exc}", 0.0, key.max_score
        )
    problems = {}
    for pid, kp in graded_key.problems.items():
        answers, renamed = match_names(submission.answers.get(pid, {}), kp.problem.ask)
        problems[pid] = grade_problem(kp, answers, options)
        for quantity, written in renamed.items():
            problems[pid][quantity].read_from = written
    score = sum(r.points for results in problems.values() for r in results.values())
    return SubmissionResult(
        submission.student, submission.file, "graded", None, score, graded_key.max_score, problems, submission.variant
    )


def _plain_name(name: str) -> str:
    """``h[1]``, ``H1`` and ``h_1`` all become ``h1``: what a name says without its punctuation."""
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def match_names(answers: dict[str, Any], asked: Sequence[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers under the asked names, reading ``h1`` or ``H[1]`` as ``h[1]`` when that is unambiguous.

    A careful grader reads the student's ``h1`` as h[1] instead of marking it missing.
    Only a name that is not itself asked, whose plain form matches exactly one asked
    quantity that has no answer of its own, is read this way.  Returns the answers and
    {quantity: the name the student wrote}.
    """
    unanswered = [q for q in asked if q not in answers]
    if not unanswered:
        return answers, {}
    by_plain: dict[str, list[str]] = {}
    for q in asked:
        by_plain.setdefault(_plain_name(q), []).append(q)
    matched = dict(answers)
    renamed: dict[str, str] = {}
    for written in answers:
        if written in asked:
            continue
        candidates = by_plain.get(_plain_name(written), [])
        if len(candidates) == 1 and candidates[0] in unanswered and candidates[0] not in renamed:
            matched[candidates[0]] = answers[written]
            renamed[candidates[0]] = written
    return matched, renamed


def grade_problem(kp: KeyProblem, raw_answers: dict[str, Any], options: Options) -> dict[str, QuantityResult]:
    """Every asked quantity of one problem; the same answers are graded once per key.

    Students who write the same answers get the same verdicts (a class repeats itself: the
    right answer to every digit, the same rounding, the same mistake), so results are
    remembered per key problem under the exact answers and options, and each student gets
    their own copy. Bounded: answers of many numbers are not remembered, and the results
    remembered per key problem hold about GRADED_MEMO_BYTES at most (oldest first out).
    """
    memo_key = _answers_key(kp, raw_answers, options)
    if memo_key is None:
        return _grade_problem(kp, raw_answers, options)
    found = kp.graded.get(memo_key)
    if found is not None:
        kp.graded.move_to_end(memo_key)
        return {q: _copy_result(r) for q, r in found[0].items()}
    results = _grade_problem(kp, raw_answers, options)
    size = sum(_result_size(r) for r in results.values())
    kp.graded[memo_key] = ({q: _copy_result(r) for q, r in results.items()}, size)
    kp.graded_bytes += size
    while kp.graded_bytes > GRADED_MEMO_BYTES and len(kp.graded) > 1:
        kp.graded_bytes -= kp.graded.popitem(last=False)[1][1]
    return results


GRADED_MEMO_BYTES = 16 * 1024 * 1024  # roughly, results remembered per key problem
GRADED_MEMO_NUMBERS = 256  # answers with more numbers than this (big matrices) are not remembered


def _result_size(result: QuantityResult) -> int:
    """Roughly the bytes a remembered result holds: its values and per-element verdicts."""
    return (
        600
        + 40 * (int(np.size(result.expected)) if isinstance(result.expected, list) else 1)
        + 250 * len(result.elements or ())
    )


class _Unremembered(Exception):
    pass


def _answers_key(kp: KeyProblem, raw_answers: dict[str, Any], options: Options) -> Any:
    """The exact answers to the asked quantities and every option, hashable; None if not remembered."""
    try:
        count = [0]
        answers = tuple((q, _frozen(raw_answers[q], count)) for q in kp.problem.ask if q in raw_answers)
        key = (tuple(vars(options).items()), answers)
        hash(key)
    except (_Unremembered, TypeError):
        return None
    return key


def _frozen(value: Any, count: list[int]) -> Any:
    """A raw YAML answer as a hashable value that tells apart everything grading could (1 from 1.0, 0.0 from -0.0)."""
    count[0] += 1
    if count[0] > GRADED_MEMO_NUMBERS:
        raise _Unremembered
    kind = type(value)
    if kind is float:
        return ("float", value.hex())
    if kind in (int, bool, str) or value is None:
        return (kind.__name__, value)
    if kind is list:
        return ("list", *(_frozen(v, count) for v in value))
    if kind is dict:
        return ("dict", *((k, _frozen(v, count)) for k, v in value.items()))
    raise _Unremembered


def _copy_result(result: QuantityResult) -> QuantityResult:
    """A copy sharing no list, dict or array with ``result`` (whatever fields it has)."""
    new = object.__new__(type(result))
    new.__dict__.update({name: _copy_data(value) for name, value in vars(result).items()})
    return new


def _copy_data(value: Any) -> Any:
    if type(value) is dict:
        return {k: _copy_data(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy_data(v) for v in value]
    if isinstance(value, (dict, list, set, np.ndarray)):
        return copy.deepcopy(value)
    return value


def _grade_problem(kp: KeyProblem, raw_answers: dict[str, Any], options: Options) -> dict[str, QuantityResult]:
    problem, tol = kp.problem, kp.tol
    results: dict[str, QuantityResult] = {}
    coerced: dict[str, Any] = {}
    pending: list[str] = []  # numeric/boolean answers not yet settled as correct
    for q in problem.ask:
        expected, max_points = kp.expected(q), problem.points_for(q)
        if q not in raw_answers or raw_answers[q] is None:
            results[q] = QuantityResult(q, MISSING, None, _plain(expected), 0.0, max_points)
            continue
        value, why = _coerce(raw_answers[q], expected)
        if why is not None:
            results[q] = QuantityResult(q, INVALID, _plain(raw_answers[q]), _plain(expected), 0.0, max_points, reason=why)
            continue
        coerced[q] = value
        if np.shape(value) != np.shape(expected):  # transposed matrix
            results[q] = _grade_transposed(q, value, expected, max_points, tol, options)
            continue
        ok = _close(value, expected, tol)
        for rounded in kp.rounded if not ok.all() else ():
            ok |= _close(value, rounded.value(q), tol)
        if ok.all():
            results[q] = QuantityResult(q, CORRECT, _as_given(raw_answers[q]), _plain(expected), max_points, max_points)
        else:
            results[q] = None  # type: ignore[assignment]
            pending.append(q)
    if pending:
        overrides = {q: v for q, v in coerced.items() if np.shape(v) == np.shape(kp.expected(q))}
        _settle(kp, pending, coerced, overrides, results, options)
        for q in pending:
            results[q].answer = _as_given(raw_answers[q])
    return {q: results[q] for q in problem.ask}


def _settle(
    kp: KeyProblem,
    pending: list[str],
    coerced: dict[str, Any],
    overrides: dict[str, Any],
    results: dict[str, QuantityResult],
    options: Options,
) -> None:
    """ECF and diagnosis for answers that did not match the key (only they pay for re-runs)."""
    problem, tol = kp.problem, kp.tol
    ecf_traces: list[Trace] = []
    if options.ecf and overrides:
        with np.errstate(all="ignore"):
            for decimals in (None, *HAND_ROUNDING_DECIMALS):
                try:
                    ecf_traces.append(kp.reruns.run(overrides=overrides, decimals=decimals))
                except (ArithmeticError, ValueError, LstmhwError):
                    continue
    memo: list[list[tuple[str, str, Trace]]] = []

    def own_mistaken() -> list[tuple[str, str, Trace]]:
        """Computed at most once per student and problem, and only if a diagnosis needs it."""
        if not memo:
            memo.append(_mistaken_from_own_values(kp, overrides))
        return memo[0]

    for q in pending:
        value, expected, max_points = coerced[q], kp.expected(q), problem.points_for(q)
        ok_key = _close(value, expected, tol)
        for rounded in kp.rounded:
            ok_key |= _close(value, rounded.value(q), tol)
        ok_ecf = np.zeros_like(ok_key)
        used: dict[str, Any] = {}
        if ecf_traces:
            upstream = _upstream_answers(ecf_traces[0], q, overrides)
            if upstream:
                for trace in ecf_traces:
                    ok_ecf |= _close(value, trace[q].own, tol)
                ok_ecf &= ~ok_key
                if ok_ecf.any():
                    used = {name: _plain(overrides[name]) for name in upstream}
        credit = (ok_key.sum() + problem.ecf_credit * ok_ecf.sum()) / ok_key.size
        points = float(max_points * credit)
        wrong = ~(ok_key | ok_ecf)
        if not wrong.any():
            verdict = CORRECT_ECF
        else:
            verdict = INCORRECT
        result = QuantityResult(q, verdict, _plain(value), _plain(expected), points, max_points)
        if used:
            result.ecf = {"from": used, "expected": _plain(ecf_traces[0][q].own)}
        if ok_key.size > 1:
            result.elements = _elements(value, expected, ok_key, ok_ecf)
        if verdict == INCORRECT and options.diagnose:
            _diagnose(kp, q, value, expected, wrong, overrides, own_mistaken, result)
        results[q] = result


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
    a = np.asarray(value, dtype=float)
    r = np.asarray(expected, dtype=float)
    out = []
    for flat, index in enumerate(np.ndindex(r.shape)):
        verdict = CORRECT if ok_key[flat] else CORRECT_ECF if ok_ecf[flat] else INCORRECT
        out.append({"index": list(index), "verdict": verdict, "answer": float(a[index]), "expected": float(r[index])})
    return out


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


# --------------------------------------------------------------------------- diagnosis
def _mistaken_from_own_values(kp: KeyProblem, overrides: dict[str, Any]) -> list[tuple[str, str, Trace]]:
    """Every mistaken chain re-run from the student's own answers: once per student and problem.

    A step's ``own`` value ignores its own override, so one run serves every quantity.
    """
    out = []
    with np.errstate(all="ignore"):
        for mistake_id, variant, ops in kp.patched:
            try:
                trace = kp.reruns.run(ops=ops, overrides=overrides)
            except (ArithmeticError, ValueError, LstmhwError, np.linalg.LinAlgError):
                continue
            out.append((mistake_id, variant.message + " (from your own earlier values)", trace))
    return out


def _candidates(
    kp: KeyProblem, q: str, expected: Any, overrides: dict[str, Any], own_mistaken: Callable[[], list[tuple[str, str, Trace]]]
) -> list[tuple[str, str, Any, bool]]:
    """(mistake id, message, value, specific?) for every way a known mistake yields ``q``."""
    out = [(mistake_id, message, trace.value(q), True) for mistake_id, message, trace in kp.mistaken]
    if _upstream_answers(kp.trace, q, {name: v for name, v in overrides.items() if name != q}):
        out.extend((mistake_id, message, trace[q].own, True) for mistake_id, message, trace in own_mistaken())
    out.extend((mid, msg, value, False) for mid, msg, value in generic_candidates(expected))
    return out


def _diagnose(
    kp: KeyProblem,
    q: str,
    value: Any,
    expected: Any,
    wrong: np.ndarray,
    overrides: dict[str, Any],
    own_mistaken: Callable[[], list[tuple[str, str, Trace]]],
    result: QuantityResult,
) -> None:
    """Name the mistake that reproduces the wrong elements; say so when several do."""
    whole: list[tuple[str, str, bool]] = []  # candidates explaining every wrong element
    per_element: dict[int, list[tuple[str, str, bool]]] = {}
    for mistake_id, message, specific, match in _matches(kp, q, value, expected, wrong, overrides, own_mistaken):
        if match.sum() == wrong.sum():
            whole.append((mistake_id, message, specific))
        for flat in np.flatnonzero(match):
            per_element.setdefault(int(flat), []).append((mistake_id, message, specific))
    if whole:
        result.diagnosis = _describe(whole)
    elif len(per_element) == 1 and wrong.sum() == 1:
        result.diagnosis = _describe(next(iter(per_element.values())))
    if result.elements is not None:
        for flat, found in per_element.items():
            result.elements[flat]["diagnosis"] = _describe(found)


def _matches(
    kp: KeyProblem,
    q: str,
    value: Any,
    expected: Any,
    wrong: np.ndarray,
    overrides: dict[str, Any],
    own_mistaken: Callable[[], list[tuple[str, str, Trace]]],
) -> Iterator[tuple[str, str, bool, np.ndarray]]:
    """(mistake id, message, specific?, match) for each candidate of :func:`_candidates`, in its
    order, that reproduces some wrong element; ``match`` marks the wrong elements it reproduces.

    A candidate must have the key's shape and finite values, and an element it reproduces
    must differ from the key there (a mistake that changes nothing explains nothing).
    Numbers are compared all candidates at once; what is the same for every student (the
    mistaken whole chains, the generic mistakes) is screened once per key and quantity.
    """
    tol = kp.tol
    if q not in kp.screens:
        mistaken = [(mistake_id, message, trace.value(q), True) for mistake_id, message, trace in kp.mistaken]
        generic = [(mid, msg, v, False) for mid, msg, v in generic_candidates(expected)]
        kp.screens[q] = (_screen(mistaken, expected, tol), _screen(generic, expected, tol))
    key_chains, generic = kp.screens[q]
    if key_chains is None or generic is None:  # booleans or words
        yield from _one_by_one(_candidates(kp, q, expected, overrides, own_mistaken), value, expected, wrong, tol)
        return
    blocks = [key_chains]
    if _upstream_answers(kp.trace, q, {name: v for name, v in overrides.items() if name != q}):
        own = [(mistake_id, message, trace[q].own, True) for mistake_id, message, trace in own_mistaken()]
        screened = _screen(own, expected, tol)
        if screened is None:  # not all numbers: the same order, these one by one
            yield from key_chains.matches(value, wrong, tol)
            yield from _one_by_one(own, value, expected, wrong, tol)
            yield from generic.matches(value, wrong, tol)
            return
        blocks.append(screened)
    blocks.append(generic)
    yield from _Screen.joined(blocks).matches(value, wrong, tol)


def _one_by_one(
    candidates: list[tuple[str, str, Any, bool]], value: Any, expected: Any, wrong: np.ndarray, tol: Tolerance
) -> Iterator[tuple[str, str, bool, np.ndarray]]:
    for mistake_id, message, candidate, specific in candidates:
        if np.shape(candidate) != np.shape(expected):
            continue
        if isinstance(candidate, (np.ndarray, float)) and not np.all(np.isfinite(candidate)):
            continue
        match = _close(value, candidate, tol) & ~_close(candidate, expected, tol) & wrong
        if match.any():
            yield mistake_id, message, specific, match


@dataclass
class _Screen:
    """Numeric candidates of the key's shape and finite: labels, values (k×n), where each differs from the key."""

    labels: list[tuple[str, str, bool]]
    values: np.ndarray
    differs: np.ndarray

    @staticmethod
    def joined(screens: list["_Screen"]) -> "_Screen":
        if len(screens) == 1:
            return screens[0]
        return _Screen(
            [label for s in screens for label in s.labels],
            np.concatenate([s.values for s in screens]),
            np.concatenate([s.differs for s in screens]),
        )

    def matches(self, value: Any, wrong: np.ndarray, tol: Tolerance) -> Iterator[tuple[str, str, bool, np.ndarray]]:
        if not self.labels:
            return
        # _close(value, candidate) for every candidate at once: the same elementwise arithmetic.
        r = self.values
        a = np.asarray(value, dtype=float).reshape(1, -1)
        with np.errstate(all="ignore"):
            close = (np.abs(a - r) <= tol.atol + tol.rtol * np.abs(r)) & np.isfinite(r)
        match = close & self.differs & wrong.reshape(1, -1)
        for row in np.flatnonzero(match.any(axis=1)):
            yield (*self.labels[row], match[row])


def _screen(candidates: list[tuple[str, str, Any, bool]], expected: Any, tol: Tolerance) -> _Screen | None:
    """The numeric candidates of the key's shape with finite values, with where each differs from
    the key; None when a candidate is not a number (booleans, words) or the key is not."""
    if isinstance(expected, (bool, np.bool_, str)):
        return None
    shape, n = np.shape(expected), int(np.size(expected))
    kept = []
    for candidate in candidates:
        value = candidate[2]
        if isinstance(value, (bool, np.bool_, str)) or not isinstance(value, (np.ndarray, float, int, np.number)):
            return None
        if isinstance(value, np.ndarray) and value.dtype.kind not in "fiu":
            return None
        if np.shape(value) == shape:
            kept.append(candidate)
    values = np.array([np.asarray(c[2], dtype=float).reshape(-1) for c in kept], dtype=float).reshape(len(kept), n)
    # A candidate with an infinite or NaN element is dropped (it could match nothing there anyway).
    finite = np.isfinite(values).all(axis=1)
    # ~_close(candidate, expected) for every candidate at once: the same elementwise arithmetic.
    r = np.asarray(expected, dtype=float).reshape(1, n)
    with np.errstate(all="ignore"):
        differs = ~((np.abs(values - r) <= tol.atol + tol.rtol * np.abs(r)) & np.isfinite(r))
    return _Screen([(c[0], c[1], c[3]) for c, ok in zip(kept, finite, strict=True) if ok], values[finite], differs[finite])


def _describe(found: list[tuple[str, str, bool]]) -> dict[str, Any]:
    """Specific mistakes over generic ones; several equally good ones are all named."""
    specific = [f for f in found if f[2]]
    chosen = specific or found
    ids: list[str] = []
    messages: list[str] = []
    for mistake_id, message, _ in chosen:
        if mistake_id not in ids:
            ids.append(mistake_id)
            messages.append(message)
    if len(ids) == 1:
        return {"mistake": ids[0], "message": messages[0]}
    return {
        "mistake": ids[0],
        "message": "these mistakes give the same value here, so it cannot tell which: " + "; or ".join(messages),
        "alternatives": ids[1:],
    }
