"""RMSprop (Hinton's lecture 6e; as torch.optim.RMSprop), one step at a time.

For each step k = t, t+1, ... (t is the index of the first step computed)::

    S[k] = β·S[k-1] + (1 − β)·g[k]²
    W[k] = W[k-1] − lr·g[k] / (√S[k] + ε)

β is PyTorch's ``alpha`` (Ng writes β2); ε is outside the square root, as
PyTorch (TensorFlow puts it inside).  With ``centered: true`` (PyTorch; Graves
2013) the running mean of g is kept too and the denominator uses the variance::

    G[k] = β·G[k-1] + (1 − β)·g[k]
    W[k] = W[k-1] − lr·g[k] / (√(S[k] − G[k]²) + ε)

With ``weight_decay`` λ (L2) the gradient is ``g_wd[k] = g[k] + λ·W[k-1]``,
its own step, and it is what S, G and the step read.  PyTorch's ``momentum``
option of RMSprop is not offered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.mathops import identity
from lstmhw.mistakes import Mistake, one
from lstmhw.problem import Checker
from lstmhw.solvers import optimizer
from lstmhw.solvers.numbers import num, tex_num
from lstmhw.trace import Trace, Tracer, numeric

NAME = "rmsprop"
KEYS = ("lr", "beta", "eps", "t", "W", "grad", "grads", "steps", "S", "G", "centered", "weight_decay")
ALIASES = {"alpha": "beta"}  # torch.optim.RMSprop(alpha=0.99)

DEFAULTS = {"lr": 0.01, "beta": 0.99, "eps": 1e-8}  # torch.optim.RMSprop's


# -- the operations a mistake can change ---------------------------------------
@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class RMSpropOps:
    """Everything a known mistake changes is one field here (see lstmhw.mistakes)."""

    square: Callable[[Any], Any] = np.square  # g² in S's update
    sqrt: Callable[[Any], Any] = np.sqrt  # the root of S (or of S − G²) in the step
    denominator: Callable[..., Any] = optimizer.root_plus_eps  # (sqrt, S, ε) -> √S + ε


OPS = RMSpropOps()

MISTAKES: tuple[Mistake, ...] = (
    one("rmsprop-missing-sqrt", "divided by S + ε instead of √S + ε: the square root of the mean square is missing",
        sqrt=identity),
    one("rmsprop-grad-not-squared", "S updated with g instead of g²: the running mean is of the gradient, not of its square",
        square=identity),
    one("eps-inside-sqrt",
        "divided by √(S + ε) instead of √S + ε: ε inside the square root (TensorFlow's RMSprop), not added after it",
        denominator=optimizer.root_of_sum),
)
ROUNDED_OPS = ("sqrt",)  # √S[k], written down before the division
REDRAW = ("W", "grad", "grads", "S", "G")  # not lr, beta, eps, t, weight_decay


def _worst_step(trace: Trace) -> float:
    """The largest |g| / √S (centered: / √(S − G²)) of any step: how far one step moves per unit of lr."""
    ratios = [0.0]
    for step in trace:
        if step.name.startswith("W[") and not step.given:
            g, s = numeric(trace.value(step.inputs[1])), numeric(trace.value(step.inputs[2]))
            if len(step.inputs) == 4:  # centered
                G = numeric(trace.value(step.inputs[3]))
                s = None if s is None or G is None else s - G**2
            if g is not None and s is not None:
                ratios.append(float(np.max(np.abs(g) / (np.sqrt(np.abs(s)) + 1e-12))))
    return max(ratios)


def degenerate(trace: Trace, original: Trace) -> str | None:
    """No near-zero denominator: |g| / √S (centered: √(S − G²)) stays moderate.

    Without ``centered`` it cannot exceed 1/√(1 − β) (S[k] holds (1 − β)·g²); centered, the
    variance S − G² comes near zero where the gradient barely changes.
    """
    return optimizer.near_zero_denominator(trace, original, _worst_step, "|g|/√S")


@dataclass(frozen=True)
class RMSpropParams(optimizer.Run):
    """An RMSprop problem: the shared optimizer run, β, eps, the squares S, and G if centered."""

    beta: float
    eps: float
    S: np.ndarray  # S[t-1]
    centered: bool
    G: np.ndarray | None  # G[t-1] (centered only)


# -- reading a problem -----------------------------------------------------------
def read(c: Checker) -> RMSpropParams | None:
    frame = optimizer.read_frame(c, lr=DEFAULTS["lr"])
    beta = c.number((optimizer.aliased_key(c, "beta", "alpha"),), default=DEFAULTS["beta"], minimum=0, below=1)
    eps = c.number(("eps",), default=DEFAULTS["eps"], minimum=0)
    centered = c.boolean(("centered",), default=False)
    if c.has(("G",)) and not centered:
        c.fail(("G",), "given without centered: true, expected G (the running mean of g) only with centered")
    # W, S (and G) given; per step g, S, W, and g_wd, G
    per_step = 3 + (1 if frame["weight_decay"] else 0) + (1 if centered else 0)
    found = optimizer.read_run(
        c, frame, {"S": "S", "G": "G"}, per_step=per_step, given=3 if centered else 2,
        nonnegative={"S": "a running mean of squares"},
    )
    if found is None:
        return None
    run, states = found
    S, G = optimizer.or_zeros(states["S"], run["W"]), optimizer.or_zeros(states["G"], run["W"]) if centered else None
    if G is not None:
        with np.errstate(over="ignore"):  # S = G² as written (0.09 and 0.3) may be a rounding below G² in float64
            below = np.any(S < G**2 * (1 - 1e-12))
        if below:
            c.fail(("S",) if c.has(("S",)) else ("G",), "an entry with S < G², expected S ≥ G² (a mean of squares is at "
                   "least the square of the mean; S defaults to zeros)")
            return None
    params = RMSpropParams(**run, beta=float(beta), eps=float(eps), S=S, centered=bool(centered), G=G)
    zero = "S[{k}] − G[{k}]² has a zero entry (no variance in the gradient there)" if centered else (
        "S[{k}] has a zero entry (no gradient there yet)")
    ok = optimizer.finite_run(c, solve, OPS, params, decay=params.weight_decay, eps=params.eps, zero=zero, example="1e-8")
    return params if ok else None


def default_ask(params: RMSpropParams) -> list[str]:
    k = params.last
    return [f"S[{k}]", *([f"G[{k}]"] if params.centered else []), f"W[{k}]"]


# -- the solution ----------------------------------------------------------------
def mean_square(ops: RMSpropOps, s: Any, g: Any, beta: float) -> Any:
    """S[k] = β·S[k-1] + (1 − β)·g²."""
    return optimizer.plain(beta * s + (1 - beta) * ops.square(g))


def mean(ops: RMSpropOps, G: Any, g: Any, beta: float) -> Any:
    """G[k] = β·G[k-1] + (1 − β)·g."""
    return optimizer.plain(beta * G + (1 - beta) * g)


def descend(ops: RMSpropOps, W: Any, g: Any, s: Any, lr: float, eps: float) -> Any:
    """W[k] = W[k-1] − lr·g / (√S[k] + ε)."""
    return optimizer.scaled_step(W, g, s, lr, eps, ops.sqrt, ops.denominator)


def centered_descend(ops: RMSpropOps, W: Any, g: Any, s: Any, G: Any, lr: float, eps: float) -> Any:
    """W[k] = W[k-1] − lr·g / (√(S[k] − G[k]²) + ε).

    S − G² is a variance: where the gradient has not varied, rounding can leave it a hair below
    zero, and it is taken as 0 there (PyTorch would take the root of the negative number).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        variance = np.maximum(np.asarray(s, dtype=float) - np.square(G), 0.0)
    return optimizer.scaled_step(W, g, variance, lr, eps, ops.sqrt, ops.denominator)


def solve(params: RMSpropParams, tracer: Tracer) -> None:
    beta, lr, eps = params.beta, params.lr, params.eps
    LR, EPS, tlr, teps = num(lr), num(eps), tex_num(lr), tex_num(eps)
    first = params.t - 1
    given = {"W": params.W, "S": params.S}
    optimizer.start(tracer, first, {**given, "G": params.G} if params.centered else given)

    for k, group, grad in optimizer.each_step(tracer, params.t, params.grads, params.weight_decay):
        p = k - 1
        optimizer.record_average(
            tracer, f"S[{k}]", beta, f"S[{p}]", grad, mean_square, uses=("square",), data={"beta": beta}, group=group,
            squared=True,
        )
        if not params.centered:
            optimizer.record_adaptive(
                tracer, f"W[{k}]", f"W[{p}]", grad, f"S[{k}]", descend, lr=lr, eps=eps, uses=("sqrt", "denominator"), group=group
            )
            continue
        optimizer.record_average(tracer, f"G[{k}]", beta, f"G[{p}]", grad, mean, data={"beta": beta}, group=group)
        tracer.step(
            f"W[{k}]",
            f"W[{p}] − {LR}·{grad} / (√(S[{k}] − G[{k}]²) + {EPS})",
            rf"W_{{{p}}} - {tlr}\, \frac{{{optimizer.tex_name(grad)}}}{{\sqrt{{S_{{{k}}} - G_{{{k}}}^2}} + {teps}}}",
            [f"W[{p}]", grad, f"S[{k}]", f"G[{k}]"],
            centered_descend,
            uses=("sqrt", "denominator"),
            data={"lr": lr, "eps": eps},
            group=group,
        )


TEMPLATE = """\
# One or more RMSprop steps (as torch.optim.RMSprop: ε outside the square root).
# Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: rmsprop   # optional: without it the id is the file's name, so templates never clash
title: One RMSprop step
solver: rmsprop
lr: 0.01         # learning rate (> 0; default 0.01)
beta: 0.9        # decay of the mean square S (0 <= beta < 1; default 0.99; alias alpha, PyTorch's name)
eps: 1.0e-8      # added to sqrt(S) (>= 0; default 1e-8)
t: 3             # index of the step computed (default 1)
W: [[0.42, -0.73, 0.15]]   # the weights W[t-1]
grad: [[0.36, 0.08, -0.54]]   # the gradient g[t]; or grads: [g_t, g_t+1, ...], or grad with steps: N
S: [[0.05, 0.02, 0.11]]    # the mean square S[t-1] (PyTorch's square_avg; default zeros)
# centered: true   # keep G, the running mean of g, and divide by sqrt(S − G²) + ε
# G: [[0.1, 0.0, -0.2]]   # with centered: G[t-1] (PyTorch's grad_avg; default zeros)
# weight_decay: 0.01      # optional λ: L2, g + λ·W[k-1] is the gradient wherever g appears
ask: ["S[3]", "W[3]"]   # also g_wd[k], G[k]
"""
