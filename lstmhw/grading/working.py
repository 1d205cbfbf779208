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

from typing import TYPE_CHECKING

from lstmhw.grading.verdicts import CORRECT, CORRECT_ECF, INCORRECT, _plain

if TYPE_CHECKING:
    from lstmhw.grading import Answers, KeyProblem
    from lstmhw.grading.records import QuantityResult


def charge_once(
    kp: KeyProblem, results: dict[str, QuantityResult], steps: dict[str, QuantityResult], answers: Answers
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
    charged: set[str] = set()
    for q in sorted(results, key=kp.order.__getitem__):
        result = results[q]
        if result.verdict not in (CORRECT_ECF, INCORRECT):
            continue
        carried = [o for o in origins if o != q and o in kp.ancestors(q)]
        uncharged = [o for o in carried if o not in charged]
        if result.verdict == INCORRECT and q not in answers.follows:
            charged.update(carried)
            charged.add(q)
            continue
        if uncharged:
            _charge(result, uncharged[0], given[uncharged[0]])
        charged.update(carried)
    return first_wrong


def _charge(result: QuantityResult, step: str, origin: QuantityResult) -> None:
    """``result`` follows from the student's own values, but carries the error first made at ``step``."""
    if result.verdict == CORRECT_ECF:
        result.verdict = INCORRECT
        right = [e for e in result.elements or () if e["verdict"] == CORRECT]
        result.points = result.max_points * len(right) / len(result.elements) if result.elements else 0.0
        for element in result.elements or ():
            if element["verdict"] == CORRECT_ECF:
                element["verdict"] = INCORRECT
        result.ecf = None
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
