"""The records grading hands around: :class:`SubmissionResult`, :class:`QuantityResult` and
:class:`WorkingResult`, what grading found, as the reports (:mod:`lstmhw.render.report`) show it.

What the diagnosis passes between its steps is in :mod:`lstmhw.grading.candidates`: a
submission right against the key never makes one, nor pays for creating their classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class QuantityResult:
    """One asked quantity (or a step of the working) as graded: its verdict, the answer and
    the key's value, the points, and what explains the verdict."""

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
    """One submission as graded (a report row): every problem's results, or why there are none."""

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
