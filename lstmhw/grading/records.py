"""The records grading hands around.

- :class:`SubmissionResult` and :class:`QuantityResult`: what grading found, as the
  reports (:mod:`lstmhw.render.report`) show it;
- :class:`MistakenChain`, :class:`PatchedOps`, :class:`Candidate` and :class:`Match`:
  what the diagnosis passes between its steps, named instead of positional tuples.
  They are made in the diagnosis loops, so they are slotted (cheaper to make and read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from lstmhw.trace import Trace


@dataclass
class QuantityResult:
    # Not slotted: grading's memo copies a result field by field through its __dict__.
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
    note: str | None = None  # how the answer was read, when not as written (a flat list, row by row)
    explanation: str | None = None  # the student's reason after a true/false ("False, because ...")
    should_be: Any = None  # a step of the working: its value from the student's own inputs to it


@dataclass
class WorkingResult:
    """The working of one problem (SPEC §4.4): every step the student gave that is not asked,
    graded for no points, and the first wrong step of all they gave, in the solution's order."""

    steps: dict[str, QuantityResult]
    first_wrong: str | None = None


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
    internal: bool = False  # an error row because lstmhw itself failed on this submission (a bug), not its input
    working: dict[str, WorkingResult] = field(default_factory=dict)  # problem id -> its working, where given
    ignored: list[dict[str, Any]] = field(default_factory=list)  # answers matched to nothing: problem, name, did_you_mean

    def problem_score(self, problem_id: str) -> float:
        return sum(r.points for r in self.problems.get(problem_id, {}).values())


@dataclass(slots=True)
class MistakenChain:
    """A problem's whole chain re-run with one catalogued mistake."""

    mistake_id: str
    message: str
    trace: Trace


@dataclass(slots=True)
class PatchedOps:
    """A solver's operations with one catalogued mistake patched in, to re-run from a student's values."""

    mistake_id: str
    message: str
    ops: Any


@dataclass(slots=True)
class Candidate:
    """A value some known mistake gives for a quantity: what a wrong answer is compared with."""

    mistake_id: str
    message: str
    value: Any
    specific: bool  # from this problem's own chain (a catalogued mistake), not a generic slip (sign, decimal point)
    own: bool = False  # re-run from the student's own earlier values, not the whole chain from the givens


@dataclass(slots=True)
class Match:
    """A candidate that reproduces some of a wrong answer's elements."""

    candidate: Candidate
    where: np.ndarray  # flat booleans: the wrong elements it reproduces
    # only at the answer's own coarse precision (one significant figure written): named only if no
    # other mistake matches too (see lstmhw.grading.diagnosis)
    coarse: bool = False
