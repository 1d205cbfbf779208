"""Adam (Kingma & Ba 2015, Algorithm 1), one step at a time as a student works it.

For each step k = t, t+1, ... (t is the index of the first step computed)::

    V[k]      = β1·V[k-1] + (1 − β1)·g[k]
    S[k]      = β2·S[k-1] + (1 − β2)·g[k]²
    V_corr[k] = V[k] / (1 − β1^k)
    S_corr[k] = S[k] / (1 − β2^k)
    W[k]      = W[k-1] − lr·V_corr[k] / (√S_corr[k] + ε)

which is what ``torch.optim.Adam`` does (ε outside the square root).  The
options follow PyTorch too, each as its own step:

- ``weight_decay`` λ (L2): ``g_wd[k] = g[k] + λ·W[k-1]`` enters V and S;
- ``decoupled: true`` (AdamW): ``W_wd[k] = W[k-1] − lr·λ·W[k-1]``, then the
  Adam step starts from ``W_wd[k]`` and λ stays out of the moments;
- ``amsgrad: true``: ``S_max[k] = max(S_max[k-1], S[k])`` is bias-corrected
  in place of ``S[k]``.

Hyper-parameters are each step's data (they are printed in the formulas); every
matrix that flows from step to step is a named step, so grading can
substitute a student's own values for any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.limits import MAX_STEP_INDEX
from lstmhw.mathops import identity
from lstmhw.mistakes import Mistake, Variant, one
from lstmhw.problem import Checker
from lstmhw.solvers.numbers import num as _num
from lstmhw.solvers.numbers import tex_num as _tex_num
from lstmhw.solvers.optimizer import (
    aliased_key,
    each_step,
    finite_run,
    near_zero_denominator,
    plain,
    read_data,
    record_adaptive,
    record_average,
    record_bias_corrected,
    root_plus_eps,
    scaled_step,
    start,
)
from lstmhw.trace import Trace, Tracer, numeric

NAME = "adam"
KEYS = (
    "lr", "beta1", "beta2", "eps", "t", "W", "grad", "grads", "steps", "V", "S",
    "weight_decay", "decoupled", "amsgrad", "S_max",
)
ALIASES = {"m": "V", "v": "S"}  # PyTorch's and the paper's names for the moments

DEFAULTS = {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}  # the paper's


# -- the operations a mistake can change ---------------------------------------
def same_order(first: Any, second: Any) -> tuple[Any, Any]:
    return first, second


def bias_power(beta: float, k: int) -> float:
    """β^k, where k is the index of the step being computed."""
    return float(beta) ** k


def bias_correct(moment: Any, power: float) -> Any:
    """moment / (1 − β^k); a zero denominator (only from a patched power) gives inf, not a warning."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(moment, dtype=float) / (1.0 - power)


@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class AdamOps:
    """Everything a known mistake changes is one field here (see lstmhw.mistakes)."""

    betas: Callable[[float, float], tuple[float, float]] = same_order  # (β1, β2) -> the pair V and S use
    previous: Callable[[str, str], tuple[str, str]] = same_order  # (V[k-1], S[k-1]) names -> what V's and S's updates read
    square: Callable[[Any], Any] = np.square  # g² in S's update
    bias_power: Callable[[float, int], float] = bias_power  # β^k in the bias correction
    bias_correct: Callable[[Any, float], Any] = bias_correct  # moment / (1 − β^k)
    sqrt: Callable[[Any], Any] = np.sqrt  # √S_corr in the update


OPS = AdamOps()


# -- the mistakes students make here, each a patch to AdamOps -------------------
def _swap(first: Any, second: Any) -> tuple[Any, Any]:
    return second, first


def _uncorrected(moment: Any, power: float) -> np.ndarray:
    return np.asarray(moment, dtype=float)


def _power_at(shift: int) -> Callable[[float, int], float]:
    return lambda beta, k: float(beta) ** (k + shift)


MISTAKES: tuple[Mistake, ...] = (
    one(
        "no-bias-correction",
        "no bias correction: V and S used as they are instead of V/(1−β1^k) and S/(1−β2^k)",
        bias_correct=_uncorrected,
    ),
    Mistake(
        "bias-correction-wrong-t",
        tuple(
            Variant(
                {"bias_power": _power_at(shift)},
                f"bias correction with β^(k{sign}1) instead of β^k: the step index is off by one",
            )
            for shift, sign in ((-1, "−"), (+1, "+"))
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
)
ROUNDED_OPS = ("sqrt",)  # √S_corr[k], written down before the division
REDRAW = ("W", "grad", "grads", "V", "S")  # not lr, betas, eps, t, weight_decay


def degenerate(trace: Trace, original: Trace) -> str | None:
    """No near-zero denominator: |V̂[k]| / (√Ŝ[k] + ε) stays moderate."""

    def worst(t: Trace) -> float:
        ratios = [0.0]
        for step in t:
            if step.name.startswith("V_corr[") and step.name.replace("V_corr", "S_corr") in t:
                v = numeric(step.value)
                s = numeric(t.value(step.name.replace("V_corr", "S_corr")))
                if v is not None and s is not None:
                    ratios.append(float(np.max(np.abs(v) / (np.sqrt(np.abs(s)) + 1e-12))))
        return max(ratios)

    return near_zero_denominator(trace, original, worst, "|V_corr|/√S_corr")


@dataclass(frozen=True)
class AdamParams:
    """An Adam problem: hyper-parameters, W, the gradients of each step, and the moments V and S."""

    lr: float
    beta1: float
    beta2: float
    eps: float
    t: int  # index of the first step computed
    W: np.ndarray  # W[t-1]; every matrix below has its shape
    grads: tuple[np.ndarray, ...]  # g[t], g[t+1], ...
    V: np.ndarray  # V[t-1]
    S: np.ndarray  # S[t-1]
    weight_decay: float = 0.0
    decoupled: bool = False
    amsgrad: bool = False
    S_max: np.ndarray | None = None  # S_max[t-1] (amsgrad only)

    @property
    def last(self) -> int:
        return self.t + len(self.grads) - 1


# -- reading a problem -----------------------------------------------------------
def read(c: Checker) -> AdamParams | None:
    numbers = {
        "lr": c.number(("lr",), default=DEFAULTS["lr"], above=0),
        "beta1": c.number(("beta1",), default=DEFAULTS["beta1"], minimum=0, below=1),
        "beta2": c.number(("beta2",), default=DEFAULTS["beta2"], minimum=0, below=1),
        "eps": c.number(("eps",), default=DEFAULTS["eps"], minimum=0),
        "weight_decay": c.number(("weight_decay",), default=0.0, minimum=0),
    }
    t = c.number(("t",), default=1, integer=True, minimum=1, maximum=MAX_STEP_INDEX)
    decoupled = c.boolean(("decoupled",), default=False)
    amsgrad = c.boolean(("amsgrad",), default=False)
    if decoupled and numbers["weight_decay"] == 0:
        c.fail(("decoupled",), "true with weight_decay 0, expected weight_decay > 0 (AdamW's decay rate λ)")
    if c.has(("S_max",)) and not amsgrad:
        c.fail(("S_max",), "given without amsgrad: true, expected S_max only with amsgrad")
    V_key, S_key = aliased_key(c, "V", "m"), aliased_key(c, "S", "v")

    # W, V, S (and S_max) given; per step g, V, S, V_corr, S_corr, W, and g_wd or W_wd, S_max
    per_step = 6 + (1 if numbers["weight_decay"] else 0) + (1 if amsgrad else 0)
    data = read_data(
        c,
        {"V": V_key, "S": S_key, "S_max": "S_max"},
        per_step=per_step,
        given=4,
        nonnegative={"S": "a running mean of squares", "S_max": "a running maximum of S"},
    )
    if data is None:
        return None
    W, grads = data.W, data.grads
    V, S, S_max = data.states["V"], data.states["S"], data.states["S_max"]
    if c.errors or not grads or any(v is None for v in numbers.values()) or t is None:
        return None
    zeros = np.zeros_like(W)
    S = zeros if S is None else S
    params = AdamParams(
        lr=float(numbers["lr"]),
        beta1=float(numbers["beta1"]),
        beta2=float(numbers["beta2"]),
        eps=float(numbers["eps"]),
        t=t,
        W=W,
        grads=tuple(grads),
        V=zeros if V is None else V,
        S=S,
        weight_decay=float(numbers["weight_decay"]),
        decoupled=bool(decoupled),
        amsgrad=bool(amsgrad),
        # Without its history, the running maximum so far is taken to be S[t-1] itself.
        S_max=(S if S_max is None else S_max) if amsgrad else None,
    )
    return params if _finite_run(c, params) else None


def _finite_run(c: Checker, params: AdamParams) -> bool:
    """Solve once quietly: a value that would be inf or NaN becomes a located error now."""
    return finite_run(
        c,
        solve,
        OPS,
        params,
        decay=0.0 if params.decoupled else params.weight_decay,  # AdamW's λ·W never enters V and S
        eps=params.eps,
        zero="S_corr[{k}] has a zero entry (no gradient there yet)",
        example="1e-8",
        state=("S_max",),
    )


def default_ask(params: AdamParams) -> list[str]:
    k = params.last
    return [f"V[{k}]", f"S[{k}]", f"W[{k}]"]


# -- the solution ----------------------------------------------------------------
def update(W: Any, V_corr: Any, S_corr: Any, lr: float, eps: float, sqrt: Callable[[Any], Any]) -> Any:
    """W − lr·V_corr/(√S_corr + ε); a student's zero or negative S_corr gives inf/NaN quietly."""
    return scaled_step(W, V_corr, S_corr, lr, eps, sqrt, root_plus_eps)


def first_moment(ops: AdamOps, v: Any, g: Any, beta1: float, beta2: float) -> Any:
    """V[k] = β1·V[k-1] + (1 − β1)·g."""
    b1, _ = ops.betas(beta1, beta2)
    return plain(b1 * v + (1 - b1) * g)


def second_moment(ops: AdamOps, s: Any, g: Any, beta1: float, beta2: float) -> Any:
    """S[k] = β2·S[k-1] + (1 − β2)·g²."""
    _, b2 = ops.betas(beta1, beta2)
    return plain(b2 * s + (1 - b2) * ops.square(g))


def corrected(ops: AdamOps, moment: Any, k: int, beta1: float, beta2: float, which: int) -> Any:
    """moment / (1 − β^k), with β1 (which = 0) or β2 (which = 1)."""
    beta = ops.betas(beta1, beta2)[which]
    return plain(ops.bias_correct(moment, ops.bias_power(beta, k)))


def solve(params: AdamParams, tracer: Tracer) -> None:
    ops = tracer.ops  # for the text only: betas-swapped writes β2 where β1 belongs, moments-swapped rewires V and S
    b1, b2 = ops.betas(params.beta1, params.beta2)
    betas = {"beta1": params.beta1, "beta2": params.beta2}
    lr, eps, lam = params.lr, params.eps, params.weight_decay
    LR, LAM = _num(lr), _num(lam)
    first = params.t - 1
    given = {"W": params.W, "V": params.V, "S": params.S}
    start(tracer, first, {**given, "S_max": params.S_max} if params.amsgrad else given)

    # L2 (not AdamW): the decay enters the gradient, so V and S see it
    for k, group, grad in each_step(tracer, params.t, params.grads, 0.0 if params.decoupled else lam):
        p = k - 1
        v_prev, s_prev = ops.previous(f"V[{p}]", f"S[{p}]")
        record_average(tracer, f"V[{k}]", b1, v_prev, grad, first_moment, uses=("betas", "previous"), data=betas, group=group)
        record_average(
            tracer, f"S[{k}]", b2, s_prev, grad, second_moment, uses=("betas", "square", "previous"), data=betas,
            group=group, squared=True,
        )
        second = f"S[{k}]"
        if params.amsgrad:  # PyTorch: the maximum of the raw S so far, then bias-corrected
            tracer.step(
                f"S_max[{k}]",
                f"max(S_max[{p}], S[{k}])",
                rf"\max\left(S^{{\max}}_{{{p}}}, S_{{{k}}}\right)",
                [f"S_max[{p}]", f"S[{k}]"],
                lambda ops, m, s: plain(np.maximum(m, s)),
                group=group,
            )
            second = f"S_max[{k}]"
        corrections = ("betas", "bias_correct", "bias_power")
        record_bias_corrected(
            tracer, f"V_corr[{k}]", f"V[{k}]", b1, k, corrected, uses=corrections, data={"k": k, **betas, "which": 0},
            group=group,
        )
        record_bias_corrected(
            tracer, f"S_corr[{k}]", second, b2, k, corrected, uses=corrections, data={"k": k, **betas, "which": 1},
            group=group,
        )
        base = f"W[{p}]"
        if lam and params.decoupled:  # AdamW: shrink W itself, outside the moments
            tracer.step(
                f"W_wd[{k}]",
                f"W[{p}] − {LR}·{LAM}·W[{p}]",
                rf"W_{{{p}}} - {_tex_num(lr)} \cdot {_tex_num(lam)}\, W_{{{p}}}",
                [f"W[{p}]"],
                lambda ops, W, lr, lam: plain(W - lr * lam * W),
                data={"lr": lr, "lam": lam},
                group=group,
            )
            base = f"W_wd[{k}]"
        record_adaptive(
            tracer, f"W[{k}]", base, f"V_corr[{k}]", f"S_corr[{k}]",
            lambda ops, W, v, s, lr, eps: plain(update(W, v, s, lr, eps, ops.sqrt)),
            lr=lr, eps=eps, uses=("sqrt",), group=group,
        )


TEMPLATE = """\
# One or more Adam steps (Kingma & Ba, Algorithm 1; the same as torch.optim.Adam).
# Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: adam   # optional: without it the id is the file's name, so templates never clash
title: One Adam step
solver: adam
lr: 0.1          # learning rate (> 0; default 0.001)
beta1: 0.9       # decay of the first moment V (0 <= beta1 < 1; default 0.9)
beta2: 0.999     # decay of the second moment S (0 <= beta2 < 1; default 0.999)
eps: 1.0e-8      # added to sqrt(S_corr) (>= 0; default 1e-8)
t: 2             # index of the step computed; bias correction uses beta**t (default 1)
W: [[-0.22, 0.33, 0.67], [0.49, -0.86, -0.90]]   # the weights W[t-1]
grad: [[0.78, 0.02, 0.04], [-0.88, -0.14, 1.01]] # the gradient g[t]; or grads: [g_t, g_t+1, ...]
# steps: 3       # optional: apply the same grad for this many steps
V: [[-0.27, 0.27, -0.07], [-0.12, -0.02, 0.12]]  # first moment V[t-1] (alias m; default zeros)
S: [[0.01, 0.07, 0.11], [0.14, 0.17, 0.02]]      # second moment S[t-1] (alias v; default zeros)
# weight_decay: 0.01   # optional λ: L2, g + λ·W[t-1] enters V and S
# decoupled: true      # with weight_decay: AdamW, W ← W − lr·λ·W before the step
# amsgrad: true        # use max(S_max[k-1], S[k]) (S_max[t-1] defaults to S)
ask: ["V[2]", "S[2]", "W[2]"]   # also g_wd[k], S_max[k], V_corr[k], S_corr[k], W_wd[k]
"""
