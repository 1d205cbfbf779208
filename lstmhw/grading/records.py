"""The records grading hands around.

- :class:`SubmissionResult` and :class:`QuantityResult`: what grading found, as the
  reports (:mod:`lstmhw.render.report`) show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
