"""The records the diagnosis (:mod:`lstmhw.grading.diagnosis`) passes between its steps:
:class:`MistakenChain`, :class:`PatchedOps`, :class:`Candidate` and :class:`Match`, named
instead of positional tuples. They are made in the diagnosis loops, so they are slotted
(cheaper to make and read).

They are apart from :mod:`lstmhw.grading.records` for start-up (issue 18): building a
dataclass costs ~0.6 ms here, and ``grade KEY ONE.yaml`` of a submission right against the
key never diagnoses, so it does not import this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from lstmhw.trace import Trace


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
