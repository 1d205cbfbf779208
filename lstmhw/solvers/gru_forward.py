"""The GRU forward pass, one gate at a time, as a student writes it on paper.

Per step t (``b_U`` are the optional second biases on the U·h side, PyTorch's b_h*)::

    z_u[t] = W_u x[t] + U_u h[t-1] + b_u + b_U,u        u[t] = σ(z_u[t])   (update gate)
    z_r[t] = W_r x[t] + U_r h[t-1] + b_r + b_U,r        r[t] = σ(z_r[t])   (reset gate)
    z_h[t] = W_h x[t] + U_h (r[t] ⊙ h[t-1]) + b_h + b_U,h        reset: before (Cho et al. 2014, d2l, Keras reset_after=False)
           = W_h x[t] + b_h + r[t] ⊙ (U_h h[t-1] + b_U,h)        reset: after  (PyTorch, Keras' default)
    h_tilde[t] = tanh(z_h[t])
    h[t] = u[t] ⊙ h[t-1] + (1 − u[t]) ⊙ h_tilde[t]              update: old (Cho, PyTorch, d2l)
         = u[t] ⊙ h_tilde[t] + (1 − u[t]) ⊙ h[t-1]              update: new (Ng's Γu, Chung et al. 2014)

then, with targets ``y``, the loss steps of :mod:`lstmhw.solvers.mse` (as lstm-forward).
The weights are read by lstm-forward's :func:`read_weights`, over the gates u, r, h,
with ``z`` accepted for ``u`` (PyTorch's and d2l's name for the update gate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.limits import MAX_HIDDEN, MAX_TRACE_ELEMENTS, MAX_TRACE_STEPS
from lstmhw.mathops import sigmoid, tanh
from lstmhw.mistakes import Mistake, one
from lstmhw.problem import Checker, fit, shape_text
from lstmhw.solvers.lstm_forward import (
    Weights,
    activation_steps,
    read_inputs,
    read_reduction,
    read_targets,
    read_weights,
    recurrent_term_dropped,
    sigmoid_sign_flipped,
    tanh_for_gate,
)
from lstmhw.solvers.mse import MISTAKES as LOSS_MISTAKES
from lstmhw.solvers.mse import loss_steps, reduce_squares
from lstmhw.trace import Trace, Tracer

NAME = "gru-forward"
KEYS = ("W", "U", "b", "b_U", "convention", "x", "h0", "y", "loss")
GATES = ("u", "r", "h")  # update gate, reset gate, candidate: the order they are worked on paper
GATE_ALIASES = {"z": "u"}  # in every gate mapping: PyTorch's and d2l's z for the update gate
UPDATES = ("old", "new")  # which term u[t] multiplies: h[t-1] (old) or h_tilde[t] (new)
RESETS = ("before", "after")  # r[t] applied to h[t-1] before U_h, or to U_h·h[t-1] after it
DEFAULT_UPDATE, DEFAULT_RESET = "old", "before"


# -- the operations a mistake can change ---------------------------------------
def input_term(W: np.ndarray, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """W·x + b: the input side of a pre-activation."""
    return W @ x + b


def recurrent_term(U: np.ndarray, h: np.ndarray, b_U: np.ndarray) -> np.ndarray:
    """U·h + b_U: the hidden side of a pre-activation (b_U is zeros unless the problem gives it)."""
    return U @ h + b_U


def same_convention(name: str) -> str:
    return name


@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class GruOps:
    """The operations of the forward pass; a mistake replaces one or two of them."""

    gate: Any = sigmoid  # σ for u and r
    candidate: Any = tanh  # tanh for h_tilde
    input_term: Any = input_term  # W·x + b
    recurrent_term: Any = recurrent_term  # U·h + b_U
    reset_gate: Any = np.asarray  # r[t] as it enters z_h
    # The conventions as the student applied them (solve writes each step's formula by them):
    update_rule: Any = same_convention  # "old" | "new"
    reset_placement: Any = same_convention  # "before" | "after"
    reduce: Any = reduce_squares  # the loss (mse's)


OPS = GruOps()


# -- the mistakes students make here, each a patch to GruOps --------------------
def _the_other(conventions: tuple[str, str]) -> Callable[[str], str]:
    """The other of two conventions: the one a student applied where the problem asked for one."""
    first, second = conventions
    return lambda name: second if name == first else first


def _reset_ignored(r: Any) -> np.ndarray:
    return np.ones_like(np.asarray(r, dtype=float))


def _without_recurrent(U: np.ndarray, h: np.ndarray, b_U: np.ndarray) -> np.ndarray:
    return np.asarray(b_U, dtype=float)


def _input_without_bias(W: np.ndarray, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    return W @ x


def _recurrent_without_bias(U: np.ndarray, h: np.ndarray, b_U: np.ndarray) -> np.ndarray:
    return U @ h


# New Mistake objects with the GRU's own words (a GRU student never reads about the LSTM's
# gates); the ids are the LSTM's where the mistake is the same kind of slip.
GRU_MISTAKES: tuple[Mistake, ...] = (
    one(
        "update-convention-swapped",
        "the update gate on the wrong term: u and 1 − u swapped between h[t−1] and h̃[t] (the other update convention)",
        update_rule=_the_other(UPDATES),
    ),
    one(
        "reset-placement-swapped",
        "the reset gate on the wrong side of U_h: r⊙(U_h·h[t−1]) and U_h·(r⊙h[t−1]) swapped (the other reset convention)",
        reset_placement=_the_other(RESETS),
    ),
    one("reset-gate-ignored", "the reset gate left out of z_h: r taken as 1", reset_gate=_reset_ignored),
    sigmoid_sign_flipped("u, r"),
    tanh_for_gate("u, r"),
    recurrent_term_dropped("z_u, z_r, z_h", recurrent_term=_without_recurrent),
    one(
        "bias-dropped",
        "the biases are missing from the pre-activations z_u, z_r, z_h",
        input_term=_input_without_bias,
        recurrent_term=_recurrent_without_bias,
    ),
)
MISTAKES: tuple[Mistake, ...] = GRU_MISTAKES + LOSS_MISTAKES  # the loss is mse's, with its mistake
REDRAW = ("W", "U", "b", "b_U", "x", "h0", "y")  # not the convention or the loss


def degenerate(trace: Trace, original: Trace) -> str | None:
    return None  # the generic checks of lstmhw.variant are enough


@dataclass(frozen=True)
class GruParams:
    """A GRU forward pass: the gate weights, the inputs, h0, optional targets, and the conventions used."""

    weights: Weights  # W, U, b over u, r, h
    b_U: dict[str, np.ndarray] | None  # the second biases, if the problem gives them
    x: np.ndarray  # T×D, one row per time step
    h0: np.ndarray  # H
    y: np.ndarray | None  # T×H targets for h[t]
    update: str = DEFAULT_UPDATE
    reset: str = DEFAULT_RESET
    reduction: str = "mean"


# -- reading a problem -----------------------------------------------------------
def _read_convention(c: Checker) -> tuple[str, str]:
    """``convention: {update, reset}``; a field not named keeps its default."""
    update, reset = DEFAULT_UPDATE, DEFAULT_RESET
    if c.has(("convention",)) and c.mapping(("convention",), ["update", "reset"]) is not None:
        update = c.text(("convention", "update"), default=DEFAULT_UPDATE, choices=UPDATES) or DEFAULT_UPDATE
        reset = c.text(("convention", "reset"), default=DEFAULT_RESET, choices=RESETS) or DEFAULT_RESET
    return update, reset


def read(c: Checker) -> GruParams | None:
    x = c.array(("x",))
    h0 = c.array(("h0",), default=None)
    weights, H, D = read_weights(c, x=x, extra_h=(h0,), gates=GATES, aliases=GATE_ALIASES, optional=("b_U",))
    update, reset = _read_convention(c)
    reduction = read_reduction(c)
    # Each check below needs only the sizes it names, so a wrong W does not hide a wrong x, h0 or y.
    ok = weights is not None and x is not None
    sized = H is not None and D is not None and 1 <= H <= MAX_HIDDEN and 1 <= D <= MAX_HIDDEN
    x, T = read_inputs(c, x, D if sized else None)
    ok = ok and (x is None or T is not None)
    state = None
    if sized:
        state = np.zeros(H) if h0 is None else fit(h0, H, None)
        if state is None:
            c.fail(("h0",), f"shape {shape_text(h0.shape)}, expected ({H},) for hidden size {H}")
            ok = False
    y, y_ok = read_targets(c, T, H if sized else None)
    ok = ok and y_ok
    if T is not None:
        # h[0]; per step x[t], z_u, z_r, u, r, z_h, h_tilde, h; per target y[k], err[k], sq_err[k]; mse
        targets = c.has(("y",))
        per_step = 8 + (3 if targets else 0)
        if 1 + per_step * T + targets > MAX_TRACE_STEPS:
            most = (MAX_TRACE_STEPS - 2) // per_step
            c.fail(("x",), f"{T:,} time steps, expected at most {most:,} (a solution of at most {MAX_TRACE_STEPS:,} steps)")
            return None
        if sized and per_step * T * H > MAX_TRACE_ELEMENTS:
            c.fail(("x",), f"{T:,} time steps of hidden size {H}, expected at most {MAX_TRACE_ELEMENTS:,} values in all")
            return None
    if not ok or not sized or T is None or state is None:
        return None
    return GruParams(weights, weights.extra.get("b_U"), x, state, y, update, reset, reduction)


def default_ask(params: GruParams) -> list[str]:
    asked = [f"h[{t}]" for t in range(1, params.x.shape[0] + 1)]
    return asked + (["mse"] if params.y is not None else [])


# -- the solution ----------------------------------------------------------------
def gate_preactivation(ops: GruOps, x: Any, h: Any, W: Any, U: Any, b: Any, b_U: Any) -> np.ndarray:
    """z_u[t], z_r[t] = W·x[t] + U·h[t-1] + b (+ b_U)."""
    return ops.input_term(W, x, b) + ops.recurrent_term(U, h, b_U)


def candidate_reset_before(ops: GruOps, x: Any, h: Any, r: Any, W: Any, U: Any, b: Any, b_U: Any) -> np.ndarray:
    """z_h[t] = W_h·x[t] + U_h·(r[t]⊙h[t-1]) + b_h (+ b_U,h)."""
    return ops.input_term(W, x, b) + ops.recurrent_term(U, ops.reset_gate(r) * h, b_U)


def candidate_reset_after(ops: GruOps, x: Any, h: Any, r: Any, W: Any, U: Any, b: Any, b_U: Any) -> np.ndarray:
    """z_h[t] = W_h·x[t] + b_h + r[t]⊙(U_h·h[t-1] (+ b_U,h))."""
    return ops.input_term(W, x, b) + ops.reset_gate(r) * ops.recurrent_term(U, h, b_U)


def state_update_old(ops: GruOps, u: Any, h_prev: Any, h_tilde: Any) -> np.ndarray:
    """h[t] = u⊙h[t-1] + (1 − u)⊙h_tilde[t]."""
    return np.asarray(u * h_prev + (1 - u) * h_tilde, dtype=float)


def state_update_new(ops: GruOps, u: Any, h_prev: Any, h_tilde: Any) -> np.ndarray:
    """h[t] = u⊙h_tilde[t] + (1 − u)⊙h[t-1]."""
    return np.asarray(u * h_tilde + (1 - u) * h_prev, dtype=float)


# (formula, LaTeX, function) of z_u[t] and z_r[t]; of z_h[t] by the reset convention and of h[t] by the
# update convention, as applied. The formulas are templates in t and p = t − 1, the pre-activations' also
# in the gate g and the optional b_U term (as text and LaTeX).
GATE_PREACTIVATION = (
    "W_{g}·x[{t}] + U_{g}·h[{p}] + b_{g}{bias}",
    r"W_{g} x_{{{t}}} + U_{g} h_{{{p}}} + b_{g}{bias_tex}",
    gate_preactivation,
)
CANDIDATES = {
    "before": (
        "W_h·x[{t}] + U_h·(r[{t}]⊙h[{p}]) + b_h{bias}",
        r"W_h x_{{{t}}} + U_h (r_{{{t}}} \odot h_{{{p}}}) + b_h{bias_tex}",
        candidate_reset_before,
    ),
    "after": (
        "W_h·x[{t}] + b_h + r[{t}]⊙(U_h·h[{p}]{bias})",
        r"W_h x_{{{t}}} + b_h + r_{{{t}}} \odot (U_h h_{{{p}}}{bias_tex})",
        candidate_reset_after,
    ),
}
NEW_STATES = {
    "old": (
        "u[{t}]⊙h[{p}] + (1 − u[{t}])⊙h̃[{t}]",
        r"u_{{{t}}} \odot h_{{{p}}} + (1 - u_{{{t}}}) \odot \tilde{{h}}_{{{t}}}",
        state_update_old,
    ),
    "new": (
        "u[{t}]⊙h̃[{t}] + (1 − u[{t}])⊙h[{p}]",
        r"u_{{{t}}} \odot \tilde{{h}}_{{{t}}} + (1 - u_{{{t}}}) \odot h_{{{p}}}",
        state_update_new,
    ),
}


def solve(params: GruParams, tracer: Tracer) -> None:
    # The conventions as applied (a convention mistake writes, and computes, the other formula).
    update = tracer.ops.update_rule(params.update)
    reset = tracer.ops.reset_placement(params.reset)
    tracer.given("h[0]", params.h0, group="t = 0")
    for t in range(1, params.x.shape[0] + 1):
        gru_steps(tracer, params, t, update, reset)
    if params.y is not None:
        T = params.x.shape[0]
        loss_steps(tracer, [f"h[{t}]" for t in range(1, T + 1)], params.y, params.reduction)


# (step, gate of its pre-activation, OPS field, function as text and LaTeX), as lstm-forward's ACTIVATED
GATE_ACTIVATIONS = (("u", "u", "gate", "σ", r"\sigma"), ("r", "r", "gate", "σ", r"\sigma"))
CANDIDATE_ACTIVATION = (("h_tilde", "h", "candidate", "tanh", r"\tanh"),)  # after z_h, which reads r[t]


def _preactivation_step(
    tracer: Tracer, params: GruParams, g: str, t: int, template: tuple[str, str, Callable[..., np.ndarray]], group: str,
    *, reads: Sequence[str] = (), uses: Sequence[str] = (),
) -> None:
    """``z_g[t]`` by ``template`` (GATE_PREACTIVATION's or a CANDIDATES entry) from x[t], h[t-1] and ``reads``,
    with gate g's weights; its b_U term is written only where the problem gives b_U (else it adds zeros)."""
    w, prev = params.weights, t - 1
    formula, latex, fn = template
    bias, bias_tex = (f" + b_U,{g}", rf" + b_{{U,{g}}}") if params.b_U else ("", "")
    b_U = params.b_U[g] if params.b_U else np.zeros(w.hidden)
    tracer.step(
        f"z_{g}[{t}]",
        formula.format(g=g, t=t, p=prev, bias=bias),
        latex.format(g=g, t=t, p=prev, bias_tex=bias_tex),
        [f"x[{t}]", f"h[{prev}]", *reads],
        fn,
        uses=("input_term", "recurrent_term", *uses),
        data={"W": w.W[g], "U": w.U[g], "b": w.b[g], "b_U": b_U},
        group=group,
    )


def gru_steps(tracer: Tracer, params: GruParams, t: int, update: str, reset: str) -> str:
    """One GRU step t from x[t] and h[t-1] (already in the trace); returns h[t]'s name."""
    group, prev = f"t = {t}", t - 1
    tracer.given(f"x[{t}]", params.x[t - 1], group=group)
    for g in ("u", "r"):
        _preactivation_step(tracer, params, g, t, GATE_PREACTIVATION, group)
    activation_steps(tracer, GATE_ACTIVATIONS, t, group)
    # z_h reads r[t] too; reset_placement chose its function (and formula): a mistake there touches this step
    _preactivation_step(
        tracer, params, "h", t, CANDIDATES[reset], group, reads=[f"r[{t}]"], uses=("reset_gate", "reset_placement")
    )
    activation_steps(tracer, CANDIDATE_ACTIVATION, t, group)
    formula, latex, new_state = NEW_STATES[update]
    tracer.step(
        f"h[{t}]",
        formula.format(t=t, p=prev),
        latex.format(t=t, p=prev),
        [f"u[{t}]", f"h[{prev}]", f"h_tilde[{t}]"],
        new_state,
        uses=("update_rule",),  # it chose the function above
        group=group,
    )
    return f"h[{t}]"


TEMPLATE = """\
# A GRU forward pass.  Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: gru   # optional: without it the id is the file's name, so templates never clash
title: GRU forward pass with an MSE loss
solver: gru-forward
# Weights per gate: u (update gate; `z` is accepted for it, as PyTorch and d2l write),
# r (reset gate), h (candidate h_tilde).  W_g is H×D (hidden size × input size), U_g is H×H,
# b_g has H entries.  A flat list is a single row; a lone number is a 1×1.
W: {u: [[1, 0]], r: [[0, 1]], h: [[1, 1]]}
U: {u: [[0.5]],  r: [[-1]],   h: [[2]]}
b: {u: [0.1],    r: [0.0],    h: [-0.2]}
# b_U: {u: [0], r: [0], h: [0]}   # optional second biases on the U·h side (PyTorch's b_hz, b_hr, b_hn)
# update: old  h = u⊙h[t-1] + (1-u)⊙h_tilde (Cho, PyTorch, d2l) | new  h = u⊙h_tilde + (1-u)⊙h[t-1] (Ng)
# reset: before  z_h = W_h x + U_h (r⊙h[t-1]) + b_h (Cho, d2l) | after  z_h = W_h x + b_h + r⊙(U_h h[t-1]) (PyTorch)
convention: {update: old, reset: before}
x: [[1, 0], [0.5, -1]]   # one row of D inputs per time step
h0: [0]                  # initial hidden state (default zeros)
y: [0.5, 0.8]            # optional: targets for h[t]; then the loss is computed
loss: {reduction: mean}  # mean (default) | sum | half-sum
ask: ["h[1]", "h[2]", mse]   # any of z_u[t], z_r[t], u[t], r[t], z_h[t], h_tilde[t], h[t], mse
"""
