"""The mistake machinery: each mistake is a small patch to the operations a solver uses.

A solver does its arithmetic through an ``OPS`` dataclass (``gate``,
``candidate``, ``sqrt``, ...).  A mistake replaces one or two of those fields;
re-running the solver with the patched ops reproduces exactly what a student
who made that mistake would have computed.

Each mistake belongs to the solvers it is written for: a solver module lists
its own in ``MISTAKES``, each in that solver's words (a GRU student never reads
about "the gates f, i, o").  A solver may list another's mistake where it is
the same mistake (lstm-forward lists mse's ``wrong-reduction`` for its loss).

Some mistakes come in variants (the wrong reduction may be a sum or a
half-sum; the wrong t may be t−1 or t+1); each variant is tried.

Generic mistakes (sign, decimal point, transpose) do not re-run anything: they
transform the expected value itself.

Ids are stable and used in reports: a new mistake gets a new id, and an id
is never reused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Variant:
    """One way of making a mistake: the ops fields it replaces, and what it tells the student."""

    patch: dict[str, Any]  # ops field -> replacement
    message: str


@dataclass(frozen=True)
class Mistake:
    """A catalog entry: a named mistake and the variants that make it (each a patch to a solver's ops)."""

    id: str
    variants: tuple[Variant, ...]


def one(mistake_id: str, message: str, **patch: Any) -> Mistake:
    return Mistake(mistake_id, (Variant(patch, message),))


def catalog() -> tuple[Mistake, ...]:
    """Every solver's mistakes, each id once, in registry order."""
    from lstmhw.solvers import SOLVERS, solver_module

    seen: dict[str, Mistake] = {}
    for name in SOLVERS:
        for mistake in solver_module(name).MISTAKES:
            seen.setdefault(mistake.id, mistake)
    return tuple(seen.values())


GENERIC_IDS = ("sign-flipped", "decimal-shift", "transposed")
DECIMAL_SHIFTS = (-3, -2, -1, 1, 2, 3)


def patched_ops(solver: str) -> Iterator[tuple[str, Variant, Any]]:
    """(mistake id, variant, the solver's ops with the mistake) for every mistake it lists."""
    from lstmhw.solvers import solver_module

    module = solver_module(solver)
    for mistake in module.MISTAKES:
        for variant in mistake.variants:
            yield mistake.id, variant, dataclasses.replace(module.OPS, **variant.patch)


def mistake_traces(problem: Any) -> list[tuple[str, str, Any]]:
    """(mistake id, message, whole-chain trace) for every mistake that applies to ``problem``.

    A chain the mistake cannot even compute (a domain error under the patch)
    is skipped: no student answer can come from it.
    """
    from lstmhw.solvers import run

    out = []
    with np.errstate(all="ignore"):
        for mistake_id, variant, ops in patched_ops(problem.solver):
            try:
                out.append((mistake_id, variant.message, run(problem, ops=ops)))
            except (ArithmeticError, ValueError, np.linalg.LinAlgError):
                continue
    return out


def generic_candidates(expected: Any) -> list[tuple[str, str, Any]]:
    """(id, message, value) for the generic mistakes applied to an expected value."""
    if isinstance(expected, (bool, np.bool_, str)) or expected is None:
        return []
    array = np.asarray(expected, dtype=float)
    out: list[tuple[str, str, Any]] = []
    if np.any(array != 0):
        out.append(("sign-flipped", "the sign is flipped", -array))
    for k in DECIMAL_SHIFTS:
        out.append(("decimal-shift", f"a misplaced decimal point: off by a factor of 10^{k}", array * 10.0**k))
    # A non-square transpose has the wrong shape and is caught before diagnosis (grading._grade_transposed).
    if array.ndim == 2 and array.shape[0] == array.shape[1] > 1 and not np.allclose(array, array.T):
        out.append(("transposed", "the matrix is transposed", array.T))
    return out
