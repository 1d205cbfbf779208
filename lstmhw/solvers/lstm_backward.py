"""The LSTM of lstm-forward, then its gradients by backpropagation through time.

The forward steps are lstm-forward's own (:func:`lstmhw.solvers.lstm_forward.cell_steps`)
and the loss is mse's (``err[t]``, ``sq_err[t]``, ``mse``).  Then, t = T…1::

    dh[t]       = c·err[t] + Σ_g U_gᵀ dz_g[t+1]         (c: 2/n, 2 or 1 for mean, sum, half-sum; no carry at t = T)
    do[t]       = dh[t] ⊙ tanh(c[t])
    dc[t]       = dh[t] ⊙ o[t] ⊙ (1 − tanh²(c[t])) + dc[t+1] ⊙ f[t+1]
    df[t]       = dc[t] ⊙ c[t-1]      di[t] = dc[t] ⊙ c_tilde[t]      dc_tilde[t] = dc[t] ⊙ i[t]
    dz_g[t]     = dg[t] ⊙ g[t](1 − g[t]) for the gates f, i, o;  dz_c[t] = dc_tilde[t] ⊙ (1 − c_tilde[t]²)

and ``dW_g = Σ_t dz_g[t] x[t]ᵀ``, ``dU_g = Σ_t dz_g[t] h[t-1]ᵀ``, ``db_g = Σ_t dz_g[t]``
for g in f, i, o, c, with ``dh[0] = Σ_g U_gᵀ dz_g[1]`` and ``dc[0] = dc[1] ⊙ f[1]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.limits import MAX_TRACE_ELEMENTS
from lstmhw.mathops import identity, tanh
from lstmhw.mistakes import Mistake, one
from lstmhw.problem import Checker
from lstmhw.solvers import lstm_forward
from lstmhw.solvers.lstm_forward import GATES, LSTM_MISTAKES, LstmOps, LstmParams
from lstmhw.solvers.mse import MISTAKES as LOSS_MISTAKES
from lstmhw.solvers.rnn_bptt import Term, carried_step, factor_text, loss_factor, outer_sum_step, sum_over_time, sum_step
from lstmhw.trace import Trace, Tracer

NAME = "lstm-backward"
KEYS = lstm_forward.KEYS
BACKWARD_PER_STEP = 10  # dh, do, dc, df, di, dc_tilde, dz_f, dz_i, dz_o, dz_c
BACKWARD_FIXED = 3 * len(GATES) + 2  # dW_g, dU_g, db_g for each gate, dh[0], dc[0]


# -- the operations a mistake can change ---------------------------------------
def tanh_derivative(value: Any) -> Any:
    """tanh′ from the value of tanh itself: 1 − tanh²."""
    return 1.0 - np.square(value)


def sigmoid_derivative(value: Any) -> Any:
    """σ′ from the value of σ itself: σ(1 − σ)."""
    return value * (1.0 - value)


def cell_carry(dc_next: Any, f_next: Any) -> Any:
    """The cell gradient carried back from step t+1: dc[t+1] ⊙ f[t+1]."""
    return dc_next * f_next


def hidden_carry(terms: Sequence[np.ndarray]) -> np.ndarray:
    """The hidden gradient carried back from step t+1: Σ_g U_gᵀ dz_g[t+1] (the terms already multiplied)."""
    return np.sum(np.stack(terms), axis=0)


@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class LstmBackwardOps(LstmOps):
    """lstm-forward's operations (so its mistakes patch the forward steps here too), and the backward ones."""

    output_squash: Callable[[Any], Any] = tanh  # tanh(c[t]) in do[t]
    tanh_derivative: Callable[[Any], Any] = tanh_derivative  # in dc[t] and dz_c[t]
    sigmoid_derivative: Callable[[Any], Any] = sigmoid_derivative  # in dz_f, dz_i, dz_o
    cell_carry: Callable[[Any, Any], Any] = cell_carry
    hidden_carry: Callable[[Sequence[np.ndarray]], np.ndarray] = hidden_carry
    accumulate: Callable[..., np.ndarray] = sum_over_time  # Σ_t in dW_g, dU_g, db_g


OPS = LstmBackwardOps()


# -- the mistakes students make here, each a patch to LstmBackwardOps ------------
def _no_cell_carry(dc_next: Any, f_next: Any) -> Any:
    return np.zeros_like(np.asarray(dc_next, dtype=float))


def _no_hidden_carry(terms: Sequence[np.ndarray]) -> np.ndarray:
    return np.zeros_like(np.asarray(terms[0], dtype=float))


def _tanh_derivative_unsquared(value: Any) -> Any:
    return 1.0 - np.asarray(value, dtype=float)


def _sigmoid_derivative_as_sigmoid(value: Any) -> Any:
    return np.asarray(value, dtype=float)


def _not_carried(mistake_id: str, step: str, term: str, gradient: str, **patch: Any) -> Mistake:
    """``step`` without ``term``, the cell or hidden ``gradient`` that step t+1 carries back."""
    return one(mistake_id, f"{step} without {term}: the {gradient} gradient carried back from the next step is missing", **patch)


BACKWARD_MISTAKES: tuple[Mistake, ...] = (
    _not_carried("cell-gradient-not-carried", "dc[t]", "dc[t+1]⊙f[t+1]", "cell", cell_carry=_no_cell_carry),
    _not_carried("hidden-gradient-not-carried", "dh[t]", "Σ_g U_gᵀ·dz_g[t+1]", "hidden", hidden_carry=_no_hidden_carry),
    one(
        "output-gate-gradient-uses-c",
        "do[t] = dh[t]⊙c[t] instead of dh[t]⊙tanh(c[t]): the tanh of the cell state is missing",
        output_squash=identity,
    ),
    one(
        "tanh-derivative-wrong",
        "tanh′ taken as 1 − tanh instead of 1 − tanh² (in dc[t] and dz_c[t])",
        tanh_derivative=_tanh_derivative_unsquared,
    ),
    one(
        "sigmoid-derivative-wrong",
        "σ′ taken as σ instead of σ(1 − σ) (in dz_f[t], dz_i[t], dz_o[t])",
        sigmoid_derivative=_sigmoid_derivative_as_sigmoid,
    ),
)
MISTAKES: tuple[Mistake, ...] = BACKWARD_MISTAKES + LSTM_MISTAKES + LOSS_MISTAKES
ROUNDED_OPS = ("squash", "output_squash")  # tanh(c[t]), written down where it is used
REDRAW = lstm_forward.REDRAW


def degenerate(trace: Trace, original: Trace) -> str | None:
    return None  # the generic checks of lstmhw.variant are enough


# -- reading a problem -----------------------------------------------------------
def read(c: Checker) -> LstmParams | None:
    """lstm-forward's keys, checked by lstm-forward's own reading, with ``y`` required."""
    if not c.has(("y",)):
        c.fail((), "missing key 'y', expected targets for h[t]: the gradients are those of the loss")
    params = lstm_forward.read(c, more_per_step=BACKWARD_PER_STEP, more_steps=BACKWARD_FIXED)
    if params is None or params.y is None:
        return None
    T, H, D = params.x.shape[0], params.weights.hidden, params.weights.inputs
    per_step = 2 + 4 * len(GATES) + 3 + 1 + BACKWARD_PER_STEP  # every step t holds about this many vectors
    if T * per_step * max(H, D) > MAX_TRACE_ELEMENTS:
        c.fail(
            ("x",),
            f"{T:,} time steps of hidden size {H:,}, expected at most {MAX_TRACE_ELEMENTS:,} values in the solution "
            "(fewer steps or a smaller hidden size)",
        )
        return None
    return params


def default_ask(params: LstmParams) -> list[str]:
    asked = ["mse"]
    for g in GATES:
        asked += [f"dW_{g}", f"dU_{g}", f"db_{g}"]
    return asked + ["dh[0]", "dc[0]"]


# -- the step functions: fn(ops, *inputs, **data), reading nothing else -----------
def _vector(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=float)


def _dh_last(ops: LstmBackwardOps, e: Any, reduction: str, n: int) -> np.ndarray:
    return _vector(loss_factor("squared", reduction, n) * _vector(e))


def _dh(
    ops: LstmBackwardOps, e: Any, dz_f: Any, dz_i: Any, dz_o: Any, dz_c: Any,
    reduction: str, n: int, U_f: np.ndarray, U_i: np.ndarray, U_o: np.ndarray, U_c: np.ndarray,
) -> np.ndarray:
    carried = ops.hidden_carry([U_f.T @ _vector(dz_f), U_i.T @ _vector(dz_i), U_o.T @ _vector(dz_o), U_c.T @ _vector(dz_c)])
    return _dh_last(ops, e, reduction, n) + _vector(carried)


def _do(ops: LstmBackwardOps, dh: Any, c: Any) -> np.ndarray:
    return _vector(_vector(dh) * ops.output_squash(c))


def _dc_last(ops: LstmBackwardOps, dh: Any, o: Any, c: Any) -> np.ndarray:
    return _vector(_vector(dh) * o * ops.tanh_derivative(np.tanh(_vector(c))))


def _dc(ops: LstmBackwardOps, dh: Any, o: Any, c: Any, dc_next: Any, f_next: Any) -> np.ndarray:
    return _dc_last(ops, dh, o, c) + _vector(ops.cell_carry(_vector(dc_next), _vector(f_next)))


def _product(ops: LstmBackwardOps, a: Any, b: Any) -> np.ndarray:
    return _vector(_vector(a) * _vector(b))


def _through_sigmoid(ops: LstmBackwardOps, d: Any, s: Any) -> np.ndarray:
    return _vector(_vector(d) * ops.sigmoid_derivative(_vector(s)))


def _through_tanh(ops: LstmBackwardOps, d: Any, value: Any) -> np.ndarray:
    return _vector(_vector(d) * ops.tanh_derivative(_vector(value)))


def _dh0(ops: LstmBackwardOps, dz_f: Any, dz_i: Any, dz_o: Any, dz_c: Any, U_f: Any, U_i: Any, U_o: Any, U_c: Any) -> np.ndarray:
    return _vector(U_f.T @ _vector(dz_f) + U_i.T @ _vector(dz_i) + U_o.T @ _vector(dz_o) + U_c.T @ _vector(dz_c))


# -- the solution ----------------------------------------------------------------
def _carried_text(t: int) -> tuple[str, str]:
    text = " + ".join(f"U_{g}ᵀ·dz_{g}[{t}]" for g in GATES)
    return text, rf"\sum_{{g \in \{{f,i,o,c\}}}} U_g^\top dz_{{g,{t}}}"


@dataclass(frozen=True)
class LocalGradient:
    """The step ``name[t] = gradient[t] ⊙ factor``: the gradient arriving at a node, times that node's
    local factor, which reads the forward step ``factor_input``. The templates are in t and p = t − 1."""

    name: str  # "df"
    gradient: str  # the step of the arriving gradient: "dc"
    factor_input: str  # "c[{p}]"
    factor: str  # the local factor as text: "c[{p}]"
    tex_factor: str  # and as LaTeX: "c_{{{p}}}"
    fn: Callable[..., np.ndarray]  # fn(ops, gradient, factor input)
    uses: tuple[str, ...] = ()  # the OPS fields fn calls


TEX_GRADIENTS = {"dh": "dh", "dc": "dc", "df": "df", "di": "di", "do": "do", "dc_tilde": r"d\tilde{c}"}  # the arriving ones
# The local gradients of step t (the module's docstring), in the order they are worked: do[t] from dh[t],
# before dc[t] (a carried_step: it adds what step t+1 carries back), then the rest.
BEFORE_DC = (LocalGradient("do", "dh", "c[{t}]", "tanh(c[{t}])", r"\tanh(c_{{{t}}})", _do, ("output_squash",)),)
AFTER_DC = (
    LocalGradient("df", "dc", "c[{p}]", "c[{p}]", "c_{{{p}}}", _product),
    LocalGradient("di", "dc", "c_tilde[{t}]", "c̃[{t}]", r"\tilde{{c}}_{{{t}}}", _product),
    LocalGradient("dc_tilde", "dc", "i[{t}]", "i[{t}]", "i_{{{t}}}", _product),
    LocalGradient("dz_f", "df", "f[{t}]", "f[{t}]·(1 − f[{t}])", "f_{{{t}}} (1 - f_{{{t}}})",
                  _through_sigmoid, ("sigmoid_derivative",)),
    LocalGradient("dz_i", "di", "i[{t}]", "i[{t}]·(1 − i[{t}])", "i_{{{t}}} (1 - i_{{{t}}})",
                  _through_sigmoid, ("sigmoid_derivative",)),
    LocalGradient("dz_o", "do", "o[{t}]", "o[{t}]·(1 − o[{t}])", "o_{{{t}}} (1 - o_{{{t}}})",
                  _through_sigmoid, ("sigmoid_derivative",)),
    LocalGradient("dz_c", "dc_tilde", "c_tilde[{t}]", "(1 − c̃[{t}]²)", r"\left(1 - \tilde{{c}}_{{{t}}}^2\right)",
                  _through_tanh, ("tanh_derivative",)),
)


def _local_gradient_steps(tracer: Tracer, rows: Sequence[LocalGradient], t: int, group: str) -> None:
    """Each row's step at t: ``name[t] = gradient[t] ⊙ factor``."""
    p = t - 1
    for row in rows:
        gradient = f"{row.gradient}[{t}]"
        tracer.step(
            f"{row.name}[{t}]",
            f"{gradient} ⊙ {row.factor.format(t=t, p=p)}",
            rf"{TEX_GRADIENTS[row.gradient]}_{{{t}}} \odot {row.tex_factor.format(t=t, p=p)}",
            [gradient, row.factor_input.format(t=t, p=p)],
            row.fn,
            uses=row.uses,
            group=group,
        )


def solve(params: LstmParams, tracer: Tracer) -> None:
    lstm_forward.solve(params, tracer)  # the forward steps and the loss, exactly as lstm-forward writes them
    T = params.x.shape[0]
    U = {f"U_{g}": params.weights.U[g] for g in GATES}
    n, reduction = int(np.size(params.y)), params.reduction
    factor, tex_factor = factor_text("squared", reduction, n)
    last = f"∂mse/∂h[{T}] alone: nothing is carried back from a step after the last"
    for t in range(T, 0, -1):
        group, nxt = f"backward t = {t}", t + 1
        hidden = None
        if t < T:
            carried, tex_carried = _carried_text(nxt)
            hidden = Term(carried, tex_carried, [f"dz_{g}[{nxt}]" for g in GATES], ("hidden_carry",), U)
        error = Term(f"{factor}err[{t}]", rf"{tex_factor}e_{{{t}}}", [f"err[{t}]"], data={"reduction": reduction, "n": n})
        carried_step(tracer, f"dh[{t}]", error, hidden, _dh_last, _dh, group=group, note_last=last)
        _local_gradient_steps(tracer, BEFORE_DC, t, group)
        local = Term(
            f"dh[{t}] ⊙ o[{t}] ⊙ (1 − tanh²(c[{t}]))",
            rf"dh_{{{t}}} \odot o_{{{t}}} \odot \left(1 - \tanh^2(c_{{{t}}})\right)",
            [f"dh[{t}]", f"o[{t}]", f"c[{t}]"],
            ("tanh_derivative",),
        )
        cell = None
        if t < T:
            cell = Term(f"dc[{nxt}] ⊙ f[{nxt}]", rf"dc_{{{nxt}}} \odot f_{{{nxt}}}", [f"dc[{nxt}]", f"f[{nxt}]"], ("cell_carry",))
        carried_step(tracer, f"dc[{t}]", local, cell, _dc_last, _dc, group=group)
        _local_gradient_steps(tracer, AFTER_DC, t, group)
    _gradients(params, tracer, U)


def _gradients(params: LstmParams, tracer: Tracer, U: dict[str, np.ndarray]) -> None:
    T, group = params.x.shape[0], "gradients"
    for g in GATES:
        outer_sum_step(tracer, f"dW_{g}", f"dz_{g}", "x", 0, "dz_{{" + g + r",{t}}} x_{{{t}}}^\top", T, group)
        outer_sum_step(tracer, f"dU_{g}", f"dz_{g}", "h", -1, "dz_{{" + g + r",{t}}} h_{{{p}}}^\top", T, group)
        sum_step(tracer, f"db_{g}", f"dz_{g}", "dz_{{" + g + ",{t}}}", T, group)
    carried, tex_carried = _carried_text(1)
    tracer.step(
        "dh[0]",
        carried,
        tex_carried,
        [f"dz_{g}[1]" for g in GATES],
        _dh0,
        data=U,
        group=group,
        note="the gradient of the loss with respect to the initial hidden state h[0]",
    )
    tracer.step(
        "dc[0]",
        "dc[1] ⊙ f[1]",
        r"dc_{1} \odot f_{1}",
        ["dc[1]", "f[1]"],
        _product,
        group=group,
        note="the gradient of the loss with respect to the initial cell state c[0]",
    )


TEMPLATE = """\
# An LSTM forward pass, an MSE loss, and the gradients by backpropagation through time.
# Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: lstm-bptt   # optional: without it the id is the file's name, so templates never clash
title: LSTM backward pass
solver: lstm-backward
""" + lstm_forward.TEMPLATE_LSTM + """\
y: [0.5, 0.8]            # required: targets for h[t]
loss: {reduction: mean}  # mean (default, over all T·H terms) | sum | half-sum
ask: ["dW_f", "dU_o", "db_c", "dh[0]", "dc[0]"]
# also every forward quantity of lstm-forward, mse, and per step t: dh[t], do[t], dc[t], df[t],
# di[t], dc_tilde[t], dz_f[t], dz_i[t], dz_o[t], dz_c[t]; then dW_g, dU_g, db_g for g in f, i, o, c
"""
