"""Gradient descent with momentum, in the two conventions homework uses.

For each step k = t, t+1, ... (t is the index of the first step computed)::

    ema (Ng's exponentially weighted average; the default)
        V[k] = β·V[k-1] + (1 − β)·g[k]
        W[k] = W[k-1] − lr·V[k]
      with bias_correction: true
        V_corr[k] = V[k] / (1 − β^k),  W[k] = W[k-1] − lr·V_corr[k]

    heavy-ball (torch.optim.SGD with momentum β, dampening 0)
        V[k] = β·V[k-1] + g[k]
        W[k] = W[k-1] − lr·V[k]
      with nesterov: true
        W[k] = W[k-1] − lr·(g[k] + β·V[k])

PyTorch's first step sets the momentum buffer to g itself; with V[t-1] = 0
(the default when no V is given) β·0 + g is that same value.  With
``weight_decay`` λ (L2, as PyTorch) the gradient is ``g_wd[k] = g[k] + λ·W[k-1]``,
its own step, and it is what V and Nesterov's look-ahead read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.mistakes import Mistake, Variant, one
from lstmhw.problem import Checker
from lstmhw.solvers import optimizer
from lstmhw.solvers.adam import bias_correct, bias_power
from lstmhw.solvers.numbers import num, tex_num
from lstmhw.trace import Tracer

NAME = "momentum"
KEYS = (
    "lr", "beta", "t", "W", "grad", "grads", "steps", "V", "weight_decay", "convention", "bias_correction", "nesterov",
)
ALIASES = {"momentum": "beta"}  # torch.optim.SGD(momentum=0.9)

DEFAULTS = {"lr": 0.001, "beta": 0.9}  # torch.optim.SGD's lr; Ng's β
CONVENTIONS = ("ema", "heavy-ball")


# -- the operations a mistake can change ---------------------------------------
def same_convention(convention: str) -> str:
    return convention


def one_minus(beta: float) -> float:
    """The weight of g in ema's average: 1 − β."""
    return 1.0 - beta


def lookahead(g: Any, v: Any, beta: float) -> Any:
    """Nesterov's step direction: g + β·V[k]."""
    return g + beta * v


@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class MomentumOps:
    """Everything a known mistake changes is one field here (see lstmhw.mistakes)."""

    convention: Callable[[str], str] = same_convention  # the convention asked -> the one V's update follows
    gradient_weight: Callable[[float], float] = one_minus  # the (1 − β) on g in ema's V
    lookahead: Callable[[Any, Any, float], Any] = lookahead  # what Nesterov's W step moves along


OPS = MomentumOps()


# -- the mistakes students make here, each a patch to MomentumOps ----------------
def _as_heavy_ball(convention: str) -> str:
    return "heavy-ball"


def _as_ema(convention: str) -> str:
    return "ema"


def _whole_gradient(beta: float) -> float:
    return 1.0


def _velocity_only(g: Any, v: Any, beta: float) -> Any:
    return v


MISTAKES: tuple[Mistake, ...] = (
    one("momentum-missing-one-minus-beta",
        "V updated as β·V[k−1] + g instead of Ng's β·V[k−1] + (1 − β)·g: the (1 − β) on the gradient is missing",
        gradient_weight=_whole_gradient),
    Mistake("momentum-convention-swapped", (
        Variant({"convention": _as_heavy_ball},
                "PyTorch's heavy-ball V = β·V[k−1] + g where Ng's average V = β·V[k−1] + (1 − β)·g was asked"),
        Variant({"convention": _as_ema},
                "Ng's average V = β·V[k−1] + (1 − β)·g where PyTorch's heavy-ball V = β·V[k−1] + g was asked"),
    )),
    one("nesterov-lookahead-missed",
        "W[k−1] − lr·V[k] (plain heavy-ball) instead of Nesterov's W[k−1] − lr·(g + β·V[k]): the look-ahead is missing",
        lookahead=_velocity_only),
)
REDRAW = ("W", "grad", "grads", "V")  # not lr, beta, t, weight_decay
degenerate = optimizer.no_degeneracy  # W[k] is linear in the data: no denominator can come near zero


@dataclass(frozen=True)
class MomentumParams(optimizer.Run):
    """A momentum problem: the shared optimizer run, β, the velocity V and its convention."""

    beta: float
    V: np.ndarray  # V[t-1]
    convention: str  # ema | heavy-ball
    bias_correction: bool  # ema only
    nesterov: bool  # heavy-ball only


# -- reading a problem -----------------------------------------------------------
def read(c: Checker) -> MomentumParams | None:
    frame = optimizer.read_frame(c, lr=DEFAULTS["lr"])
    beta = c.number((optimizer.aliased_key(c, "beta", "momentum"),), default=DEFAULTS["beta"], minimum=0, below=1)
    convention = c.text(("convention",), default="ema", choices=CONVENTIONS)
    bias_correction = c.boolean(("bias_correction",), default=False)
    nesterov = c.boolean(("nesterov",), default=False)
    if bias_correction and convention == "heavy-ball":
        c.fail(("bias_correction",), "true with convention heavy-ball, expected bias_correction only with convention: ema "
               "(torch.optim.SGD corrects no bias)")
    if nesterov and convention == "ema":
        c.fail(("nesterov",), "true with convention ema, expected nesterov only with convention: heavy-ball "
               "(torch.optim.SGD's Nesterov momentum)")
    # W, V given; per step g, V, W, and g_wd, V_corr
    per_step = 3 + (1 if frame["weight_decay"] else 0) + (1 if bias_correction else 0)
    found = optimizer.read_run(c, frame, {"V": "V"}, per_step=per_step, given=2)
    if found is None:
        return None
    run, states = found
    params = MomentumParams(
        **run,
        beta=float(beta),
        V=optimizer.or_zeros(states["V"], run["W"]),
        convention=convention,
        bias_correction=bool(bias_correction),
        nesterov=bool(nesterov),
    )
    return params if optimizer.finite_run(c, solve, OPS, params, decay=params.weight_decay) else None


def default_ask(params: MomentumParams) -> list[str]:
    k = params.last
    return [f"V[{k}]", f"W[{k}]"]


# -- the solution ----------------------------------------------------------------
def velocity(ops: MomentumOps, v: Any, g: Any, beta: float, convention: str) -> Any:
    """V[k] = β·V[k-1] + (1 − β)·g (ema) or β·V[k-1] + g (heavy-ball)."""
    weight = ops.gradient_weight(beta) if ops.convention(convention) == "ema" else 1.0
    return optimizer.plain(beta * v + weight * g)


def corrected(ops: MomentumOps, v: Any, k: int, beta: float) -> Any:
    """V_corr[k] = V[k] / (1 − β^k)."""
    return optimizer.plain(bias_correct(v, bias_power(beta, k)))


def descend(ops: MomentumOps, W: Any, v: Any, lr: float) -> Any:
    """W[k] = W[k-1] − lr·V (V[k] or V_corr[k])."""
    return optimizer.plain(W - lr * v)


def nesterov_descend(ops: MomentumOps, W: Any, g: Any, v: Any, lr: float, beta: float) -> Any:
    """W[k] = W[k-1] − lr·(g + β·V[k])."""
    return optimizer.plain(W - lr * ops.lookahead(g, v, beta))


def solve(params: MomentumParams, tracer: Tracer) -> None:
    beta, lr = params.beta, params.lr
    B, LR, tb, tlr = num(beta), num(lr), tex_num(beta), tex_num(lr)
    ema = params.convention == "ema"
    first = params.t - 1
    optimizer.start(tracer, first, {"W": params.W, "V": params.V})

    for k, group, grad in optimizer.each_step(tracer, params.t, params.grads, params.weight_decay):
        p = k - 1
        g_tex = optimizer.tex_name(grad)
        rule = {"uses": ("convention", "gradient_weight"), "data": {"beta": beta, "convention": params.convention}}
        if ema:
            optimizer.record_average(tracer, f"V[{k}]", beta, f"V[{p}]", grad, velocity, **rule, group=group)
        else:
            tracer.step(
                f"V[{k}]", f"{B}·V[{p}] + {grad}", rf"{tb}\, V_{{{p}}} + {g_tex}", [f"V[{p}]", grad], velocity, **rule,
                group=group,
            )
        moved = f"V[{k}]"
        if params.bias_correction:
            optimizer.record_bias_corrected(
                tracer, f"V_corr[{k}]", moved, beta, k, corrected, data={"k": k, "beta": beta}, group=group
            )
            moved = f"V_corr[{k}]"
        if params.nesterov:
            tracer.step(
                f"W[{k}]",
                f"W[{p}] − {LR}·({grad} + {B}·V[{k}])",
                rf"W_{{{p}}} - {tlr} \left({g_tex} + {tb}\, V_{{{k}}}\right)",
                [f"W[{p}]", grad, f"V[{k}]"],
                nesterov_descend,
                uses=("lookahead",),
                data={"lr": lr, "beta": beta},
                group=group,
            )
        else:
            tracer.step(
                f"W[{k}]",
                f"W[{p}] − {LR}·{moved}",
                rf"W_{{{p}}} - {tlr}\, {optimizer.tex_name(moved)}",
                [f"W[{p}]", moved],
                descend,
                data={"lr": lr},
                group=group,
            )


TEMPLATE = """\
# One or more steps of gradient descent with momentum: Ng's average (ema) or torch.optim.SGD's heavy ball.
# Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: momentum   # optional: without it the id is the file's name, so templates never clash
title: Two steps of gradient descent with momentum
solver: momentum
lr: 0.1            # learning rate (> 0; default 0.001, as torch.optim.SGD)
beta: 0.9          # momentum β (0 <= beta < 1; default 0.9; alias momentum)
convention: ema    # ema: V = β·V + (1 − β)·g (Ng; the default) | heavy-ball: V = β·V + g (torch.optim.SGD)
# bias_correction: true   # ema only: W moves along V_corr[k] = V[k] / (1 − β^k)
# nesterov: true          # heavy-ball only: W[k] = W[k-1] − lr·(g + β·V[k]), as SGD(nesterov=True)
t: 2               # index of the first step computed (default 1)
W: [[0.52, -0.31], [0.84, 0.17]]                             # the weights W[t-1]
grads: [[[0.25, -0.43], [0.12, 0.36]], [[0.18, -0.27], [0.31, 0.22]]]  # g[t], g[t+1]; or grad: (with steps: N)
V: [[0.14, -0.06], [-0.21, 0.05]]                            # the velocity V[t-1] (default zeros)
# weight_decay: 0.01   # optional λ: L2, g + λ·W[k-1] is the gradient wherever g appears
ask: ["V[3]", "W[3]"]   # also V[2], W[2], V_corr[k], g_wd[k]
"""
