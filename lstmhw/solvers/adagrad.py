"""Adagrad (Duchi et al. 2011; as torch.optim.Adagrad), one step at a time.

For each step k = t, t+1, ... (t is the index of the first step computed)::

    G[k] = G[k-1] + g[k]²
    W[k] = W[k-1] − lr·g[k] / (√G[k] + ε)

G[t-1] is PyTorch's ``sum`` after step t−1; at the start it is PyTorch's
``initial_accumulator_value`` (one number may be given for every entry;
default zeros).  With ``weight_decay`` λ (L2) the gradient is
``g_wd[k] = g[k] + λ·W[k-1]``, its own step, and it is what G and the step
read.  PyTorch's ``lr_decay`` (lr / (1 + (k − 1)·lr_decay)) is not offered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.mistakes import Mistake, one
from lstmhw.problem import Checker
from lstmhw.solvers import optimizer
from lstmhw.trace import Tracer

NAME = "adagrad"
KEYS = ("lr", "eps", "t", "W", "grad", "grads", "steps", "G", "weight_decay")

DEFAULTS = {"lr": 0.01, "eps": 1e-10}  # torch.optim.Adagrad's


# -- the operations a mistake can change ---------------------------------------
def accumulate(G: Any, square: Any) -> Any:
    """G[k-1] + g²: the sum of every squared gradient so far."""
    return G + square


@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class AdagradOps:
    """Everything a known mistake changes is one field here (see lstmhw.mistakes)."""

    accumulate: Callable[[Any, Any], Any] = accumulate  # (G[k-1], g²) -> G[k]
    sqrt: Callable[[Any], Any] = np.sqrt  # √G[k] in the step
    denominator: Callable[..., Any] = optimizer.root_plus_eps  # (sqrt, G, ε) -> √G + ε


OPS = AdagradOps()


def _latest_only(G: Any, square: Any) -> Any:
    return square


MISTAKES: tuple[Mistake, ...] = (
    one("adagrad-not-accumulated",
        "G[k] = g² instead of G[k−1] + g²: the squared gradients are not summed over the steps", accumulate=_latest_only),
    one("eps-inside-sqrt",
        "divided by √(G + ε) instead of √G + ε: ε inside the square root, not added after it", denominator=optimizer.root_of_sum),
)
ROUNDED_OPS = ("sqrt",)  # √G[k], written down before the division
REDRAW = ("W", "grad", "grads", "G")  # not lr, eps, t, weight_decay
degenerate = optimizer.no_degeneracy  # G[k] holds g[k]², so |g|/√G[k] never exceeds 1: no near-zero denominator


@dataclass(frozen=True)
class AdagradParams(optimizer.Run):
    """An Adagrad problem: the shared optimizer run and the accumulated squares G."""

    eps: float
    G: np.ndarray  # G[t-1]


# -- reading a problem -----------------------------------------------------------
def read(c: Checker) -> AdagradParams | None:
    frame = optimizer.read_frame(c, lr=DEFAULTS["lr"])
    eps = c.number(("eps",), default=DEFAULTS["eps"], minimum=0)
    # W, G given; per step g, G, W, and g_wd
    per_step = 3 + (1 if frame["weight_decay"] else 0)
    found = optimizer.read_run(
        c, frame, {"G": "G"}, per_step=per_step, given=2, nonnegative={"G": "a sum of squares"}, broadcast=("G",)
    )
    if found is None:
        return None
    run, states = found
    params = AdagradParams(**run, eps=float(eps), G=optimizer.or_zeros(states["G"], run["W"]))
    ok = optimizer.finite_run(
        c, solve, OPS, params, decay=params.weight_decay, eps=params.eps,
        zero="G[{k}] has a zero entry (no gradient there yet)", example="1e-10",
    )
    return params if ok else None


def default_ask(params: AdagradParams) -> list[str]:
    k = params.last
    return [f"G[{k}]", f"W[{k}]"]


# -- the solution ----------------------------------------------------------------
def sum_of_squares(ops: AdagradOps, G: Any, g: Any) -> Any:
    """G[k] = G[k-1] + g²."""
    return optimizer.plain(ops.accumulate(G, np.square(g)))


def descend(ops: AdagradOps, W: Any, g: Any, G: Any, lr: float, eps: float) -> Any:
    """W[k] = W[k-1] − lr·g / (√G[k] + ε)."""
    return optimizer.scaled_step(W, g, G, lr, eps, ops.sqrt, ops.denominator)


def solve(params: AdagradParams, tracer: Tracer) -> None:
    lr, eps = params.lr, params.eps
    optimizer.start(tracer, params.t - 1, {"W": params.W, "G": params.G})
    for k, group, grad in optimizer.each_step(tracer, params.t, params.grads, params.weight_decay):
        p = k - 1
        tracer.step(
            f"G[{k}]", f"G[{p}] + {grad}²", rf"G_{{{p}}} + {optimizer.tex_name(grad)}^2", [f"G[{p}]", grad], sum_of_squares,
            uses=("accumulate",), group=group,
        )
        optimizer.record_adaptive(
            tracer, f"W[{k}]", f"W[{p}]", grad, f"G[{k}]", descend, lr=lr, eps=eps, uses=("sqrt", "denominator"), group=group
        )


TEMPLATE = """\
# One or more Adagrad steps (Duchi et al.; as torch.optim.Adagrad: ε outside the square root).
# Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: adagrad   # optional: without it the id is the file's name, so templates never clash
title: Two Adagrad steps
solver: adagrad
lr: 0.1          # learning rate (> 0; default 0.01)
eps: 1.0e-10     # added to sqrt(G) (>= 0; default 1e-10)
t: 1             # index of the first step computed (default 1)
W: [[0.63, -0.27], [-0.48, 0.91]]   # the weights W[t-1]
grads: [[[0.42, -0.15], [0.23, 0.37]], [[-0.31, 0.26], [0.18, -0.44]]]   # g[t], g[t+1]; or grad: (with steps: N)
G: 0.1           # the sum of squared gradients G[t-1]: a matrix like W, or one number for every entry
                 # (PyTorch's initial_accumulator_value; default zeros)
# weight_decay: 0.01   # optional λ: L2, g + λ·W[k-1] is the gradient wherever g appears
ask: ["G[2]", "W[2]"]   # also G[1], W[1], g_wd[k]
"""
