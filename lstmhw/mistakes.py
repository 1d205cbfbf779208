"""The catalog of known mistakes, each a small patch to the operations a solver uses.

A solver does its arithmetic through an ``OPS`` dataclass (``gate``,
``candidate``, ``sqrt``, ...).  A mistake replaces one or two of those fields;
re-running the solver with the patched ops reproduces exactly what a student
who made that mistake would have computed.  A mistake applies to every solver
whose ops have all the fields it patches, so ``wrong-reduction`` serves both
``mse`` and ``lstm-forward`` without being written twice.

Some mistakes come in variants (the wrong reduction may be a sum or a
half-sum; the wrong t may be t−1 or t+1); each variant is tried.

Generic mistakes (sign, decimal point, transpose) do not re-run anything: they
transform the expected value itself.

Ids are stable and used in reports: a new mistake gets a new id, and an id
is never reused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.mathops import identity, sigmoid, tanh


@dataclass(frozen=True)
class Variant:
    patch: dict[str, Any]  # ops field -> replacement
    message: str


@dataclass(frozen=True)
class Mistake:
    id: str
    variants: tuple[Variant, ...]

    def applies_to(self, ops: Any) -> bool:
        fields = {f.name for f in dataclasses.fields(ops)}
        return all(set(v.patch) <= fields for v in self.variants)


def one(mistake_id: str, message: str, **patch: Any) -> Mistake:
    return Mistake(mistake_id, (Variant(patch, message),))


def _drop_recurrent(W: np.ndarray, x: np.ndarray, U: np.ndarray, h: np.ndarray, b: np.ndarray) -> np.ndarray:
    return W @ x + b


def _drop_bias(W: np.ndarray, x: np.ndarray, U: np.ndarray, h: np.ndarray, b: np.ndarray) -> np.ndarray:
    return W @ x + U @ h


def _swapped_cell(f: np.ndarray, i: np.ndarray, c_prev: np.ndarray, c_tilde: np.ndarray) -> np.ndarray:
    return i * c_prev + f * c_tilde


def _reduce_as(wrong: str) -> Callable[[Any, str], float]:
    from lstmhw.solvers.mse import reduce_squares

    return lambda squares, reduction: reduce_squares(squares, wrong)


def _swap(first: Any, second: Any) -> tuple[Any, Any]:
    return second, first


def _uncorrected(moment: Any, power: float) -> np.ndarray:
    return np.asarray(moment, dtype=float)


def _power_at(shift: int) -> Callable[[float, int], float]:
    return lambda beta, k: float(beta) ** (k + shift)


def _constant_derivative(value: float) -> Callable[[str, Any], np.ndarray]:
    return lambda name, z: np.full(np.shape(z), value)


_REDUCTION_WORDS = {"mean": "the mean (1/n)Σ", "sum": "the plain sum Σ", "half-sum": "the half sum ½Σ"}

CATALOG: tuple[Mistake, ...] = (
    # --- LSTM --------------------------------------------------------------
    one(
        "sigmoid-sign-flipped",
        "σ(z) computed as 1/(1+e^z): the sign of the exponent is flipped",
        gate=lambda z: sigmoid(-np.asarray(z, dtype=float)),
    ),
    one("tanh-for-gate", "tanh used for the gates f, i, o where σ belongs", gate=tanh),
    one("sigmoid-for-candidate", "σ used for the candidate c̃ where tanh belongs", candidate=sigmoid),
    one("h-without-tanh", "h computed as o⊙c: the tanh of the cell state is missing", squash=identity),
    one(
        "recurrent-term-dropped",
        "the recurrent term U·h[t−1] is missing from the pre-activations",
        preactivation=_drop_recurrent,
    ),
    one("bias-dropped", "the bias b is missing from the pre-activations", preactivation=_drop_bias),
    one(
        "f-i-swapped",
        "forget and input gates swapped: c = i⊙c[t−1] + f⊙c̃ instead of f⊙c[t−1] + i⊙c̃",
        cell=_swapped_cell,
    ),
    # --- Adam --------------------------------------------------------------
    one(
        "no-bias-correction",
        "no bias correction: V and S used as they are instead of V/(1−β1^k) and S/(1−β2^k)",
        bias_correct=_uncorrected,
    ),
    Mistake(
        "bias-correction-wrong-t",
        (
            Variant({"bias_power": _power_at(-1)}, "bias correction with β^(k−1) instead of β^k: the step index is off by one"),
            Variant({"bias_power": _power_at(+1)}, "bias correction with β^(k+1) instead of β^k: the step index is off by one"),
        ),
    ),
    one("missing-sqrt", "divided by S_corr instead of √S_corr: the square root is missing", sqrt=identity),
    one("grad-not-squared", "S updated with g instead of g²: the gradient is not squared", square=identity),
    one("betas-swapped", "β1 and β2 swapped: V averaged with β2 and S with β1", betas=_swap),
    one(
        "moments-swapped",
        "V[k−1] and S[k−1] swapped: each moment was updated from the other's previous value",
        previous=_swap,
    ),
    # --- RNN gradient --------------------------------------------------------
    Mistake(
        "derivative-at-zero-wrong",
        (
            Variant({"derivative": _constant_derivative(0.5)}, "φ′ taken as 1/2 (σ′(0) = σ(0)(1−σ(0)) = 1/4)"),
            Variant({"derivative": _constant_derivative(1.0)}, "φ′ taken as 1 (σ′(0) = σ(0)(1−σ(0)) = 1/4)"),
        ),
    ),
    one(
        "target-exponent-inverted",
        "target^(−1/steps) instead of target^(1/steps): the exponent's sign is inverted, which swaps W_vanish and W_explode",
        exponent=lambda steps: -1.0 / steps,
    ),
    # --- MSE (also the loss of lstm-forward) -------------------------------
    Mistake(
        "wrong-reduction",
        tuple(
            Variant(
                {"reduce": _reduce_as(wrong)},
                f"the squared errors were reduced with {_REDUCTION_WORDS[wrong]}, not as the problem asks",
            )
            for wrong in ("mean", "sum", "half-sum")
        ),
    ),
)

GENERIC_IDS = ("sign-flipped", "decimal-shift", "transposed")
DECIMAL_SHIFTS = (-3, -2, -1, 1, 2, 3)


def mistakes_for(ops: Any) -> list[Mistake]:
    return [m for m in CATALOG if m.applies_to(ops)]


def patched_ops(ops: Any) -> Iterator[tuple[str, Variant, Any]]:
    """(mistake id, variant, ops with the mistake) for every catalog mistake that applies."""
    for mistake in mistakes_for(ops):
        for variant in mistake.variants:
            yield mistake.id, variant, dataclasses.replace(ops, **variant.patch)


def mistake_traces(problem: Any) -> list[tuple[str, str, Any]]:
    """(mistake id, message, whole-chain trace) for every mistake that applies to ``problem``.

    A chain the mistake cannot even compute (a domain error under the patch)
    is skipped: no student answer can come from it.
    """
    from lstmhw.solvers import run, solver_module

    out = []
    with np.errstate(all="ignore"):
        for mistake_id, variant, ops in patched_ops(solver_module(problem.solver).OPS):
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
