"""The working (SPEC §4.4): an error is charged once, where it happened.

A student may give any step of the solution by name.  Every value they give (asked or
not) that is wrong against the key *and* against what it should have been from their own
inputs to it is an **origin**: an error made at that step.  Asked quantities are then
taken in the solution's order:

- an asked quantity that follows from the student's own values (``correct-ecf``, or right
  from them at the precision written) but carries an origin not yet charged is
  ``incorrect``: it is the first asked quantity the error reaches, and its diagnosis
  points at the step where the error happened (and the mistake that explains it, if one
  does);
- every origin an asked quantity carries is charged there, so later quantities that
  follow from it correctly keep their ``correct-ecf``.

So one early slip is reported once, where it happened, and charged once; a slip in an
unasked step is never free.  Without working the rule changes nothing: the only origins
are then wrong asked answers, each charged at itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lstmhw.grading.verdicts import CORRECT, CORRECT_ECF, INCORRECT, _plain

if TYPE_CHECKING:
    from lstmhw.grading import Answers, KeyProblem
    from lstmhw.grading.records import QuantityResult


def charge_once(
    kp: KeyProblem,
    results: dict[str, QuantityResult],
    steps: dict[str, QuantityResult],
    answers: Answers,
    ecf_credit: float = 1.0,
) -> str | None:
    """Apply the charged-once rule to ``results`` (asked) given the working ``steps``; returns the
    first wrong step of everything the student gave, in the solution's order."""
    given = {**results, **steps}
    origins = [
        name
        for name in sorted(given, key=kp.order.__getitem__)
        if given[name].verdict == INCORRECT and name not in answers.follows
    ]
    first_wrong = origins[0] if origins else None
    if not origins:
        return first_wrong
    chain = _StudentChain(kp, answers, given)
    charged: set[str] = set()
    for q in sorted(results, key=kp.order.__getitem__):
        result = results[q]
        if result.verdict not in (CORRECT_ECF, INCORRECT):
            continue
        # An element the student got right against the key carries no error, whatever its inputs.
        open_ = np.array([e["verdict"] != CORRECT for e in result.elements]) if result.elements else True
        reaching = {}
        for origin in origins:
            if origin != q and origin not in charged and origin in kp.ancestors(q):
                where = chain.reaches(origin, q) & open_
                if where.any():
                    reaching[origin] = where
        if reaching:
            _charge(result, reaching, given, follows=result.verdict == CORRECT_ECF or q in answers.follows,
                    ecf_credit=ecf_credit)
        charged.update(reaching)
        if result.verdict == INCORRECT and q not in answers.follows:
            charged.add(q)
    return first_wrong


class _StudentChain:
    """The solution re-run from the student's own values, to see where an error made at one step
    reaches: the values they gave that follow from their own earlier values are recomputed (an
    error upstream flows through them), the others — right, or wrong in themselves — stay as
    written (an error upstream of a value written right stops there)."""

    def __init__(self, kp: KeyProblem, answers: Answers, given: dict[str, QuantityResult]) -> None:
        self._kp = kp
        self._fixed = {
            name: value
            for name, value in answers.coerced.items()
            if name not in answers.follows and np.shape(value) == np.shape(kp.expected(name))
        }
        self._given = given

    def reaches(self, origin: str, q: str) -> Any:
        """Flat booleans: the elements of ``q`` that change when ``origin`` is what it should have
        been from the student's own values. Where that cannot be computed, every element."""
        from lstmhw.errors import LstmhwError

        kp, result = self._kp, self._given[origin]
        size = int(np.size(kp.expected(q)))
        right = result.should_be if result.should_be is not None else kp.expected(origin)
        if origin not in self._fixed:
            return np.ones(size, dtype=bool)
        try:
            shape = np.shape(kp.expected(origin))
            fixed_value = np.asarray(right, dtype=float).reshape(shape)
            if result.elements:  # only the wrong elements corrected: the others are the student's, as written
                wrong = np.array([e["verdict"] == INCORRECT for e in result.elements]).reshape(shape)
                fixed_value = np.where(wrong, fixed_value, np.asarray(self._fixed[origin], dtype=float))
            with np.errstate(all="ignore"):
                as_written = kp.reruns.own(q, self._fixed)
                corrected = kp.reruns.own(q, {**self._fixed, origin: fixed_value})
        except (ArithmeticError, ValueError, TypeError, LstmhwError):
            return np.ones(size, dtype=bool)
        if isinstance(as_written, (bool, str, np.bool_)):
            return np.array([as_written != corrected])
        a = np.asarray(as_written, dtype=float).reshape(-1)
        b = np.asarray(corrected, dtype=float).reshape(-1)
        return ~np.isclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True)


def _charge(
    result: QuantityResult, reaching: dict[str, Any], given: dict[str, QuantityResult], *, follows: bool, ecf_credit: float
) -> None:
    """``result`` carries the errors of ``reaching`` ({step: the elements it reaches}), charged here:
    credit carried forward from them is withdrawn where they reach, and where the answer follows
    from the student's own values its diagnosis points at the first of them."""
    reached = np.logical_or.reduce(list(reaching.values()))
    if result.elements:
        for flat, element in enumerate(result.elements):
            if element["verdict"] == CORRECT_ECF and reached[flat]:
                element["verdict"] = INCORRECT
        right = sum(e["verdict"] == CORRECT for e in result.elements)
        carried = sum(e["verdict"] == CORRECT_ECF for e in result.elements)
        result.points = result.max_points * (right + ecf_credit * carried) / len(result.elements)
        if carried == 0:
            result.ecf = None
        if result.verdict == CORRECT_ECF and carried < len(result.elements) - right:
            result.verdict = INCORRECT
    elif result.verdict == CORRECT_ECF:
        result.verdict, result.points, result.ecf = INCORRECT, 0.0, None
    if result.verdict != INCORRECT or not follows:
        # Still credited; or wrong in itself too, not only from the earlier error: its own
        # diagnosis stands, or none (it does not follow from that step, so it may not say so).
        return
    step = next(iter(reaching))
    origin = given[step]
    result.reason = None
    # No value of the key in the message (a Gradescope student reads it): what the step should have
    # been is the working's own record (should_be).
    found = origin.diagnosis
    message = f"follows from your {step} = {_plain(origin.answer)}, which is wrong from your own values: "
    message += f"the error is made at {step}"
    if found is not None:
        message += f" ({found['message']})"
    result.diagnosis = {"mistake": found["mistake"] if found else None, "message": message, "step": step}
    if found and found.get("alternatives"):
        result.diagnosis["alternatives"] = list(found["alternatives"])
