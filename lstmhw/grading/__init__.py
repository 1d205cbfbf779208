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

Any other step of the solution a student gives by name is **the working** (SPEC §4.4):
graded the same way for no points, and used as the student's own values by ECF and
diagnosis; an error is then charged once, at the first asked quantity it reaches
(:mod:`~lstmhw.grading.working`). Which answer is which is :mod:`~lstmhw.grading.names`.

Matrices are judged element by element with proportional credit.  Everything
that depends only on the key (its trace, the rounded chains, the mistaken
chains) is computed once per key in :class:`KeyProblem`, not per student.

This module holds the key (:class:`Key`, :class:`KeyProblem`, :class:`Options`) and
the grading of a submission and of a problem; the package's other modules hold the
parts: :mod:`~lstmhw.grading.verdicts` (coercing answers, the tolerance test, hand
rounding, ECF, per-quantity verdicts), :mod:`~lstmhw.grading.diagnosis` (naming the
mistake) and :mod:`~lstmhw.grading.records` (the result records).
"""

from __future__ import annotations

import copy
import marshal
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmhw.errors import LstmhwError, closest
from lstmhw.grading.names import MatchedAnswers, StepNames, match_answers, match_names, plain_name
from lstmhw.grading.records import QuantityResult, SubmissionResult, WorkingResult
from lstmhw.grading.verdicts import (
    CORRECT,
    HAND_ROUNDING_DECIMALS,
    INCORRECT,
    INVALID,
    MISSING,
    EcfChains,
    _as_given,
    _close_to_key,
    _coerce,
    _grade_transposed,
    _plain,
    _upstream_answers,
    _verdict_after_ecf,
    every,
    numeric_givens,
    shape_of,
)
from lstmhw.grading.verdicts import _close as _close  # re-exported: tests check the tolerance test through it
from lstmhw.memo import BoundedMemo
from lstmhw.mistakes import patched_ops
from lstmhw.problem import Problem, Tolerance
from lstmhw.solvers import run, solver_module
from lstmhw.submission import AnsweredTwice, Submission, claim_reason, written_decimals
from lstmhw.trace import Trace

if TYPE_CHECKING:
    # Imported where used: an answer right against the key needs no diagnosis, re-run or
    # working (`grade KEY ONE.yaml` of a right submission: start-up, issue 18).
    from lstmhw.grading.candidates import MistakenChain, PatchedOps
    from lstmhw.grading.diagnosis import _Screen
    from lstmhw.reruns import Reruns

__all__ = [
    "Key", "KeyProblem", "MatchedAnswers", "Options", "ProblemGrade", "QuantityResult", "SubmissionResult", "WorkingResult",
    "grade_problem", "grade_submission", "match_answers", "match_names", "plain_name",
]


@dataclass
class Options:
    """How a batch is graded: tolerance overrides, and whether ECF and diagnosis run."""

    rtol: float | None = None  # overrides every problem's tolerance when given
    atol: float | None = None
    ecf: bool = True
    diagnose: bool = True


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
    def givens(self) -> list[np.ndarray]:
        """The numeric givens, as float arrays: what an answer copied from the problem is (:func:`trivial`)."""
        return numeric_givens(self.trace)

    @cached_property
    def mistaken(self) -> list[MistakenChain]:
        """Whole chains re-run with each catalogued mistake: once per key, shared by all students,
        and the bases the re-runs from a student's own values start from (one run for both). A
        chain the mistake cannot even compute (a domain error under the patch) is left out, as
        :func:`lstmhw.mistakes.mistake_traces` does: no answer can come from it."""
        from lstmhw.grading.candidates import MistakenChain

        chains = []
        for patched in self.patched:
            try:
                chains.append(MistakenChain(patched.mistake_id, patched.message, self.reruns.whole(patched.ops)))
            except (ArithmeticError, ValueError, np.linalg.LinAlgError):
                continue
        return chains

    @cached_property
    def patched(self) -> list[PatchedOps]:
        """The ops with each mistake that applies patched in: made once per key."""
        from lstmhw.grading.candidates import PatchedOps

        return [PatchedOps(mistake_id, variant.message, ops) for mistake_id, variant, ops in patched_ops(self.problem.solver)]

    @cached_property
    def graded(self) -> BoundedMemo:
        """Results by the exact answers that earned them (see :func:`grade_problem`)."""
        return BoundedMemo(GRADED_MEMO_BYTES)

    def check(self, q: str, raw: Any, decimals: Any) -> KeyCheck:
        """:func:`check_against_key` of one answer, remembered by the exact answer and decimals
        written: a class writes the same h[1] beside many different h[2]s (in the benchmark's
        3,000, 867 different answers among the 2,401 of its different submissions). Bounded as
        the graded memo is; an answer :func:`exact_text` cannot key (written twice) is not remembered."""
        text = exact_text((q, raw, decimals))
        if text is None:
            return check_against_key(self, q, raw, decimals)
        found = self._checks.get(text)
        if found is None:
            found = check_against_key(self, q, raw, decimals)
            self._checks.put(text, found, len(text) + found.size())
        return found

    @cached_property
    def _checks(self) -> BoundedMemo:
        return BoundedMemo(CHECKS_MEMO_BYTES)

    @cached_property
    def screens(self) -> dict[str, tuple[_Screen | None, _Screen | None]]:
        """Per quantity: the diagnosis candidates that are the same for every student, screened once
        (the mistaken whole chains, the generic mistakes; None for booleans and words)."""
        return {}

    @cached_property
    def reruns(self) -> Reruns:
        """The solver re-run from students' own values: remembered across students, incremental."""
        from lstmhw.reruns import Reruns

        return Reruns(self.problem)

    def expected(self, quantity: str) -> Any:
        return self.trace.value(quantity)

    @cached_property
    def names(self) -> StepNames:
        """The names an answer may have: asked, the working (steps not asked), givens."""
        return StepNames.of(self.trace, self.problem.ask)

    @cached_property
    def order(self) -> dict[str, int]:
        """Each step's place in the solution's order."""
        return {name: n for n, name in enumerate(self.trace.steps)}

    def ancestors(self, name: str) -> frozenset[str]:
        """Every step ``name`` is computed from, through any number of steps (remembered per key)."""
        found = self._ancestors.get(name)
        if found is None:
            seen: set[str] = set()
            stack = list(self.trace[name].inputs)
            while stack:
                step = stack.pop()
                if step not in seen:
                    seen.add(step)
                    stack.extend(self.trace[step].inputs)
            found = self._ancestors[name] = frozenset(seen)
        return found

    @cached_property
    def _ancestors(self) -> dict[str, frozenset[str]]:
        return {}

    def upstream(self, name: str, given: frozenset[str]) -> tuple[str, ...]:
        """The steps among ``given`` (the student's values) that ``name`` is computed from, in the
        solution's order (:func:`_upstream_answers`; remembered per key: every re-run of this problem
        has the key's steps and edges, whatever the values)."""
        found = self._upstream.get((name, given))
        if found is None:
            found = self._upstream[name, given] = tuple(_upstream_answers(self.trace, name, given))
        return found

    @cached_property
    def _upstream(self) -> dict[tuple[str, frozenset[str]], tuple[str, ...]]:
        return {}


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


# --------------------------------------------------------------------------- grading
def grade_submission(key: Key, submission: Submission, options: Options | None = None) -> SubmissionResult:
    """Grade every asked quantity of every key problem for one submission, and its working."""
    options = options or key.options
    if submission.error is not None:
        return SubmissionResult(submission.student, submission.file, "error", submission.error, 0.0, key.max_score)
    try:
        graded_key = key.for_variant(submission.variant)
    except LstmhwError as exc:
        return SubmissionResult(
            submission.student, submission.file, "error", f"variant {submission.variant}: {exc}", 0.0, key.max_score
        )
    problems, working = {}, {}
    ignored: list[dict[str, Any]] = [
        {"problem": pid, "name": None, "did_you_mean": closest(pid, graded_key.ids)} for pid in submission.ignored_problems
    ]
    for pid, kp in graded_key.problems.items():
        matched = match_answers(submission.answers.get(pid, {}), kp.names)
        written = submission.decimals.get(pid, {})
        decimals = {q: written.get(matched.renamed.get(q, q)) for q in matched.asked}
        working_decimals = {w: written.get(matched.renamed.get(w, w)) for w in matched.working}
        graded = grade_problem(kp, matched.asked, options, decimals, matched.working, working_decimals)
        problems[pid] = graded.results
        if graded.working is not None:
            working[pid] = graded.working
        steps = graded.working.steps if graded.working is not None else {}
        for name, as_written in matched.renamed.items():
            result = problems[pid].get(name) or steps.get(name)
            if result is not None:
                result.read_from = as_written
        ignored.extend({"problem": pid, "name": i.name, "did_you_mean": i.did_you_mean} for i in matched.ignored)
    score = sum(r.points for results in problems.values() for r in results.values())
    return SubmissionResult(
        submission.student, submission.file, "graded", None, score, graded_key.max_score, problems, submission.variant,
        working=working, ignored=ignored,
    )


@dataclass
class ProblemGrade:
    """One problem of one submission, graded: its asked quantities and the working shown."""

    results: dict[str, QuantityResult]  # every asked quantity, in the problem's order
    working: WorkingResult | None = None  # the steps given that are not asked, if any


def grade_problem(
    kp: KeyProblem,
    raw_answers: dict[str, Any],
    options: Options,
    decimals: dict[str, Any] | None = None,
    working: dict[str, Any] | None = None,
    working_decimals: dict[str, Any] | None = None,
) -> ProblemGrade:
    """Every asked quantity of one problem, and its working; the same answers are graded once per key.

    Students who write the same answers get the same verdicts (a class repeats itself: the
    right answer to every digit, the same rounding, the same mistake), so results are
    remembered per key problem under the exact answers and options, and each student gets
    their own copy. Bounded: answers of many numbers are not remembered, and the results
    remembered per key problem hold about GRADED_MEMO_BYTES at most (oldest first out).
    Submissions with working are rarer and not remembered.
    """
    decimals = decimals or {}
    if working:
        return _grade_problem(kp, raw_answers, options, decimals, working, working_decimals or {})
    memo_key = _answers_key(kp, raw_answers, options, decimals)
    if memo_key is None:
        return _grade_problem(kp, raw_answers, options, decimals)
    found = kp.graded.get(memo_key)
    if found is not None:
        return ProblemGrade({q: _thawed(r) for q, r in found.items()})
    results = _grade_problem(kp, raw_answers, options, decimals).results
    kp.graded.put(memo_key, {q: _remembered(r) for q, r in results.items()}, sum(_result_size(r) for r in results.values()))
    return ProblemGrade(results)


GRADED_MEMO_BYTES = 16 * 1024 * 1024  # roughly, results remembered per key problem
GRADED_MEMO_KEY_BYTES = 4096  # answers longer than this marshalled (some 400 numbers: big matrices) are not remembered


def _result_size(result: QuantityResult) -> int:
    """Roughly the bytes a remembered result holds: its values and per-element verdicts."""
    return (
        600
        + 40 * (int(np.size(result.expected)) if isinstance(result.expected, list) else 1)
        + 250 * len(result.elements or ())
    )


def _answers_key(kp: KeyProblem, raw_answers: dict[str, Any], options: Options, decimals: dict[str, Any]) -> Any:
    """The exact answers to the asked quantities, as written (their decimals), and every option,
    hashable; None if not remembered (:func:`exact_text`)."""
    text = exact_text([(q, raw_answers[q], decimals.get(q)) for q in kp.problem.ask if q in raw_answers])
    return None if text is None else (tuple(vars(options).items()), text)


def exact_text(data: Any) -> bytes | None:
    """Raw answers as a memo key: marshalled, version 2 (no back-references: the same data gives
    the same bytes), which tells apart everything grading could: types (1 from 1.0, true from 1),
    every bit of a float (0.0 from -0.0), the order of a mapping. None for what is not plain data
    (an answer written twice) or is longer than GRADED_MEMO_KEY_BYTES (big matrices)."""
    try:
        text = marshal.dumps(data, 2)
    except ValueError:
        return None
    return text if len(text) <= GRADED_MEMO_KEY_BYTES else None


class _Remembered:
    """A result as the memo keeps it (:func:`_remembered`): its fields, with each list or dict
    among them (nested plain data: numbers, words, lists and dicts) marshalled, so that a
    student's copy is a dict update and a C call per such field (:func:`_thawed`).  A plain
    class: a dataclass costs a millisecond at import, on every ``grade`` of one submission."""

    __slots__ = ("fields", "marshalled")

    def __init__(self, fields: dict[str, Any], marshalled: dict[str, bytes]) -> None:
        self.fields = fields  # every field, in order; a marshalled one is None here
        self.marshalled = marshalled


_IMMUTABLE = (str, int, float, bool, type(None))


def _remembered(result: QuantityResult) -> _Remembered | QuantityResult:
    """``result`` as the memo keeps it: a :class:`_Remembered`, or, for a result holding
    anything else (an array, a subclass of a plain type), a deep copy."""
    if type(result) is not QuantityResult:
        return _copy_result(result)
    fields = dict(vars(result))
    marshalled = {}
    for name, value in fields.items():
        kind = type(value)
        if kind is list or kind is dict:
            try:
                marshalled[name] = marshal.dumps(value)
            except ValueError:  # not marshallable: an array inside
                return _copy_result(result)
            fields[name] = None
        elif kind not in _IMMUTABLE:
            return _copy_result(result)
    return _Remembered(fields, marshalled)


def _thawed(entry: _Remembered | QuantityResult) -> QuantityResult:
    """A student's own copy of a remembered result (:func:`_remembered`), sharing nothing with it."""
    if type(entry) is not _Remembered:
        return _copy_result(entry)
    new = object.__new__(QuantityResult)
    own = new.__dict__
    own.update(entry.fields)  # words, numbers and None: shared, since they cannot change
    for name, data in entry.marshalled.items():
        own[name] = marshal.loads(data)
    return new


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


def _grade_problem(
    kp: KeyProblem,
    raw_answers: dict[str, Any],
    options: Options,
    decimals: dict[str, Any],
    working: dict[str, Any] | None = None,
    working_decimals: dict[str, Any] | None = None,
) -> ProblemGrade:
    """Asked quantities first against the key; what misses it, asked or working, then gets ECF and
    diagnosis in one pass (so the working's values are the student's own values for both)."""
    problem = kp.problem
    answers = Answers()
    results: dict[str, QuantityResult] = {}
    for q in problem.ask:
        expected, max_points = kp.expected(q), problem.points_for(q)
        if q not in raw_answers or raw_answers[q] is None:
            results[q] = QuantityResult(q, MISSING, None, _plain(expected), 0.0, max_points)
        else:
            results[q] = answers.grade_against_key(kp, q, raw_answers[q], decimals.get(q), max_points, options)
    steps: dict[str, QuantityResult] = {}
    for name, raw in (working or {}).items():
        if raw is not None:
            steps[name] = answers.grade_against_key(kp, name, raw, (working_decimals or {}).get(name), 0.0, options)
    if answers.pending:
        overrides = {q: v for q, v in answers.coerced.items() if shape_of(v) == shape_of(kp.expected(q))}
        graded = {**results, **steps}
        _settle(kp, answers, overrides, graded, options, with_working=bool(working))
        for q in answers.pending:
            (results if q in results else steps)[q] = graded[q]
            graded[q].answer = _as_given(answers.raw[q])
    for result in (*results.values(), *steps.values()):
        result.note = answers.notes.get(result.quantity)
        result.explanation = answers.explanations.get(result.quantity)
    if not working:
        return ProblemGrade(results)
    from lstmhw.grading.working import charge_once

    first_wrong = charge_once(kp, results, steps, answers, problem.ecf_credit)
    return ProblemGrade(results, WorkingResult(steps, first_wrong))


def _decimals_like(decimals: Any, value: Any) -> np.ndarray | None:
    """The written decimals as a float array of the answer's shape, or None (not known)."""
    if decimals is None or isinstance(value, (bool, str)):
        return None
    try:
        array = np.asarray(decimals, dtype=float)
    except (ValueError, TypeError):
        return None
    if array.size != np.size(value):
        return None
    return array.reshape(np.shape(value))


class Answers:
    """One student's answers to one problem as grading reads them: coerced to the key's shape,
    with their written decimals, and those not (yet) settled as correct."""

    __slots__ = ("raw", "coerced", "written", "pending", "notes", "explanations", "follows")

    def __init__(self) -> None:
        self.raw: dict[str, Any] = {}
        self.coerced: dict[str, Any] = {}
        self.written: dict[str, Any] = {}  # decimals of each coerced answer, in its shape (None if unknown)
        self.pending: dict[str, np.ndarray] = {}  # answers that missed the key: where they are right, in solution order
        self.notes: dict[str, str] = {}
        self.explanations: dict[str, str] = {}
        self.follows: set[str] = set()  # answers that follow from the student's own values (ECF, or at their precision)

    def grade_against_key(
        self, kp: KeyProblem, q: str, raw: Any, decimals: Any, max_points: float, options: Options
    ) -> QuantityResult:
        """Correct, invalid or transposed against the key; otherwise left pending for :func:`_settle`
        (the returned placeholder is replaced there)."""
        expected = kp.expected(q)
        self.raw[q] = raw
        check = kp.check(q, raw, decimals)
        if check.why is not None:
            shown = list(raw.values) if isinstance(raw, AnsweredTwice) else raw
            return QuantityResult(q, INVALID, _plain(shown), _plain(expected), 0.0, max_points, reason=check.why)
        if check.note is not None:
            self.notes[q] = check.note
        reason = claim_reason(raw) if isinstance(expected, (bool, np.bool_)) else None
        if reason is not None:
            self.explanations[q] = reason
        # The student's own copies: the check is remembered for the next student who writes the same.
        value = self.coerced[q] = _own(check.value)
        if check.ok_key is None:  # transposed matrix
            return _grade_transposed(q, value, expected, max_points, kp.tol, options)
        self.written[q] = _own(check.written)
        if check.right:
            return QuantityResult(q, CORRECT, _as_given(raw), _plain(expected), max_points, max_points)
        self.pending[q] = check.ok_key.copy()
        return QuantityResult(q, INCORRECT, None, _plain(expected), 0.0, max_points)


CHECKS_MEMO_BYTES = 8 * 1024 * 1024  # roughly, key checks remembered per key problem


class KeyCheck:
    """One answer against the key, as far as it depends on the answer alone (:func:`check_against_key`):
    ``why`` it is invalid, or its ``value`` in the key's shape (``note``: how it was read, when not as
    written), its written decimals in that shape, and ``ok_key``, where it is right (None: transposed).
    A plain class: a dataclass costs a millisecond at import, on every ``grade`` of one submission."""

    __slots__ = ("why", "value", "note", "written", "ok_key", "right")

    def __init__(
        self, why: str | None, value: Any = None, note: str | None = None, written: Any = None, ok_key: np.ndarray | None = None
    ) -> None:
        self.why, self.value, self.note, self.written, self.ok_key = why, value, note, written, ok_key
        self.right = ok_key is not None and every(ok_key)

    def size(self) -> int:
        """Roughly the bytes it holds."""
        return 300 + sum(8 * int(np.size(x)) for x in (self.value, self.written, self.ok_key) if isinstance(x, np.ndarray))


def check_against_key(kp: KeyProblem, q: str, raw: Any, decimals: Any) -> KeyCheck:
    """``raw`` read in the key's type and shape (SPEC §4.1) and checked against the key by rules
    (a)-(c); ``decimals`` as written (None: answers given in code, their floats' own text)."""
    expected = kp.expected(q)
    reading = _coerce(raw, expected)
    if reading.why is not None:
        return KeyCheck(reading.why)
    value = reading.value
    if shape_of(value) != shape_of(expected):  # transposed matrix
        return KeyCheck(None, value, reading.note)
    if decimals is None:
        decimals = written_decimals(raw, (), None)
    written = _decimals_like(decimals, value)
    return KeyCheck(None, value, reading.note, written, _close_to_key(kp, q, value, written))


def _own(x: Any) -> Any:
    """A copy of an array (a student's own), anything else as it is (numbers, words: immutable)."""
    return x.copy() if isinstance(x, np.ndarray) else x


def _settle(
    kp: KeyProblem,
    answers: Answers,
    overrides: dict[str, Any],
    results: dict[str, QuantityResult],
    options: Options,
    with_working: bool = False,
) -> None:
    """ECF and diagnosis for answers that did not match the key (only they pay for re-runs)."""
    from lstmhw.grading.diagnosis import OwnChains, Suspect, _diagnose, agrees

    ecf_chains = EcfChains(kp, overrides) if options.ecf and overrides else None
    own = OwnChains(kp, overrides, answers.written)
    coarse: dict[str, dict[str, Any]] = {}
    for q in sorted(answers.pending, key=kp.order.__getitem__):
        ok_key, value, written = answers.pending[q], answers.coerced[q], answers.written.get(q)
        max_points = results[q].max_points
        result, wrong = _verdict_after_ecf(kp, q, value, ok_key, overrides, ecf_chains, written, max_points)
        results[q] = result
        if result.verdict != INCORRECT:
            answers.follows.add(q)
            continue
        own_value = _own_value(kp, q, overrides, ecf_chains)
        if own_value is not None and every(agrees(value, written, own_value, kp.tol)):
            answers.follows.add(q)
        if with_working:  # what the step should have been: read only by the working's reports and its charges
            result.should_be = _plain(own_value if own_value is not None else kp.expected(q))
        if options.diagnose:
            suspect = Suspect(q, value, kp.expected(q), overrides, own, written, own_value)
            found = _diagnose(kp, suspect, wrong, result)
            if found is not None:
                coarse[q] = found
    # A one-figure answer's diagnosis stands where the same mistake is certain in another answer
    # of the problem (seed 000's h[2] = 0.005 beside its h[1] = 0.013); alone, it is a guess.
    certain = {
        mistake
        for r in results.values()
        if r.diagnosis
        for mistake in (r.diagnosis["mistake"], *r.diagnosis.get("alternatives", []))
    }
    for q, found in coarse.items():
        if {found["mistake"], *found.get("alternatives", [])} & certain:
            results[q].diagnosis = found


def _own_value(kp: KeyProblem, q: str, overrides: dict[str, Any], ecf_chains: EcfChains | None) -> Any:
    """What ``q`` is from the student's own earlier values (None when none of them feeds it)."""
    from lstmhw.grading.diagnosis import _from_own_values

    if ecf_chains is None or not _from_own_values(kp, q, overrides):
        return None
    return ecf_chains.exact(q)
