"""Mean squared error, term by term: ``err[k]``, ``sq_err[k]``, ``mse``.

The loss steps are shared with lstm-forward (:func:`loss_steps`), so both
solvers write the same names and formulas and a mistake in the reduction is
diagnosed the same way in either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.limits import MAX_TRACE_STEPS
from lstmhw.mistakes import Mistake, Variant
from lstmhw.problem import Checker, shape_text
from lstmhw.trace import Trace, Tracer

NAME = "mse"
KEYS = ("pred", "y", "reduction")
REDUCTIONS = ("mean", "sum", "half-sum")

_FLOAT64 = np.dtype(float)
_REDUCTION_TEXT = {"mean": "(1/{n})·", "sum": "", "half-sum": "½·"}
_REDUCTION_TEX = {"mean": r"\frac{{1}}{{{n}}}", "sum": "", "half-sum": r"\frac{{1}}{{2}}"}


def reduce_squares(squares: Sequence[np.ndarray], reduction: str) -> float:
    """Σ of every squared error, divided by n (mean), by 2 (half-sum) or not at all."""
    # np.sum / np.size of a Python float (each term of a scalar loss) are np.float64(s) and 1, of an
    # array its .sum() and .size: written out, the same values and float64 arithmetic (an overflow
    # raises as NumPy's does) without np.sum's dispatch.
    total = 0
    n = 0
    for s in squares:
        kind = type(s)
        if kind is float:
            total += np.float64(s)
            n += 1
        elif kind is np.ndarray and s.size == 1 and s.dtype is _FLOAT64:
            total += np.float64(0.0 + s.item())  # add.reduce of one number: 0.0 + it (-0.0 becomes 0.0)
            n += 1
        elif kind is np.ndarray:
            total += s.sum()
            n += s.size
        else:
            total += np.sum(s)
            n += np.size(s)
    total = float(total)
    if reduction == "mean":
        return total / n
    if reduction == "half-sum":
        return total / 2
    return total


@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class MseOps:
    """The operations an MSE solve calls, which a mistake may replace (the reduction)."""

    reduce: Any = reduce_squares


OPS = MseOps()

_REDUCTION_WORDS = {"mean": "the mean (1/n)Σ", "sum": "the plain sum Σ", "half-sum": "the half sum ½Σ"}


def _reduce_as(wrong: str) -> Callable[[Any, str], float]:
    return lambda squares, reduction: reduce_squares(squares, wrong)


MISTAKES: tuple[Mistake, ...] = (
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
REDRAW = ("pred", "y")


def degenerate(trace: Trace, original: Trace) -> str | None:
    return None  # the generic checks of lstmhw.variant are enough


@dataclass(frozen=True)
class MseParams:
    """An MSE problem: predictions, targets and the reduction (mean, sum or half-sum)."""

    pred: np.ndarray  # (n,) or (n, m): one row per term k
    y: np.ndarray  # same shape as pred
    reduction: str = "mean"


def read_reduction(c: Checker, path: tuple) -> str | None:
    return c.text(path, default="mean", choices=REDUCTIONS)


def read(c: Checker) -> MseParams | None:
    pred = c.array(("pred",))
    y = c.array(("y",))
    reduction = read_reduction(c, ("reduction",))
    if pred is None or y is None:
        return None
    pred = pred.reshape(1) if pred.ndim == 0 else pred
    y = y.reshape(1) if y.ndim == 0 else y
    if pred.shape != y.shape:
        c.fail(("y",), f"shape {shape_text(y.shape)}, expected {shape_text(pred.shape)} like pred")
        return None
    steps = 4 * pred.shape[0] + 1  # pred[k], y[k], err[k], sq_err[k] per term, then mse
    if steps > MAX_TRACE_STEPS:
        most = (MAX_TRACE_STEPS - 1) // 4
        c.fail(("pred",), f"{pred.shape[0]:,} terms, expected at most {most:,} (a solution of at most {MAX_TRACE_STEPS:,} steps)")
        return None
    return MseParams(pred=pred, y=y, reduction=reduction or "mean")


def default_ask(params: MseParams) -> list[str]:
    return ["mse"]


def loss_steps(
    tracer: Tracer,
    preds: Sequence[str],
    targets: np.ndarray,
    reduction: str,
    *,
    group: str = "loss",
) -> float:
    """``err[k] = pred_k − y[k]``, ``sq_err[k] = err[k]²`` and the reduced ``mse``."""
    squares = []
    for k, (pred, target) in enumerate(zip(preds, targets, strict=True), start=1):
        tracer.given(f"y[{k}]", _plain(target), group=group)
        tracer.step(
            f"err[{k}]",
            f"{pred} − y[{k}]",
            rf"{_tex(pred)} - y_{{{k}}}",
            [pred, f"y[{k}]"],
            lambda ops, p, t: _plain(np.subtract(p, t)),
            group=group,
        )
        tracer.step(
            f"sq_err[{k}]",
            f"err[{k}]²",
            rf"\left(e_{{{k}}}\right)^2",
            [f"err[{k}]"],
            lambda ops, e: _plain(np.square(e)),
            group=group,
        )
        squares.append(f"sq_err[{k}]")
    n = int(sum(np.size(t) for t in targets))
    terms = " + ".join(squares) if len(squares) <= 4 else f"{squares[0]} + … + {squares[-1]}"
    tex_terms = r"\sum_{k=1}^{" + str(len(squares)) + r"} e_k^2"
    return tracer.step(
        "mse",
        _REDUCTION_TEXT[reduction].format(n=n) + f"({terms})",
        _REDUCTION_TEX[reduction].format(n=n) + tex_terms,
        squares,
        lambda ops, *sq, reduction: ops.reduce(sq, reduction),
        uses=("reduce",),
        data={"reduction": reduction},
        group=group,
    )


def _plain(value: Any) -> Any:
    """Scalars as Python floats, arrays as arrays (what JSON and grading expect)."""
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array


def _tex(name: str) -> str:
    base, _, index = name.partition("[")
    return f"{base}_{{{index.rstrip(']')}}}" if index else base


def solve(params: MseParams, tracer: Tracer) -> None:
    preds = []
    for k, value in enumerate(params.pred, start=1):
        tracer.given(f"pred[{k}]", _plain(value), group="loss")
        preds.append(f"pred[{k}]")
    loss_steps(tracer, preds, params.y, params.reduction)


TEMPLATE = """\
# A mean squared error, term by term.  Check with: lstmhw check FILE
# id: loss   # optional: without it the id is the file's name, so templates never clash
title: MSE of two predictions
solver: mse
pred: [0.21741, -0.18988]   # predictions (a list, or one row per term)
y: [0.5, 0.8]               # targets, the same shape as pred
reduction: mean             # mean: (1/n)Σ(pred−y)² | sum: Σ | half-sum: ½Σ
ask: [mse]                  # also err[k], sq_err[k]
"""
