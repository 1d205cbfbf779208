"""Backpropagation through time for a vanilla RNN, step by step as a student works it.

Forward, t = 1…T::

    z[t]    = W_h h[t-1] + W_x x[t] + b
    h[t]    = φ(z[t])
    yhat[t] = W_y h[t] + b_y                (only with an output layer W_y; else the output is h[t])

then the loss: squared (``err[t]``, ``sq_err[t]``, ``loss`` reduced as mse's mean,
sum or half-sum) or cross-entropy (``p[t] = softmax(yhat[t])``,
``nll[t] = −log p[t][y_t]``, ``loss`` their mean or sum).  Backward, t = T…1::

    dyhat[t] = ∂loss/∂yhat[t]               (c·err[t]; CE: (p[t] − onehot(y_t)), /T for the mean)
    dh[t]    = W_yᵀ dyhat[t] + W_hᵀ dz[t+1]  (the carried term is 0 at t = T; dyhat[t] itself without W_y)
    dz[t]    = dh[t] ⊙ φ′(z[t])

and the gradients ``dW_h = Σ_t dz[t] h[t-1]ᵀ``, ``dW_x = Σ_t dz[t] x[t]ᵀ``,
``db = Σ_t dz[t]``, ``dW_y = Σ_t dyhat[t] h[t]ᵀ``, ``db_y = Σ_t dyhat[t]`` and
``dh[0] = W_hᵀ dz[1]``.  Every step reads only the step before it and the one
after it in time, so the solution is linear in T.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstmhw.limits import MAX_HIDDEN, MAX_TRACE_ELEMENTS, MAX_TRACE_STEPS
from lstmhw.mathops import sigmoid
from lstmhw.mistakes import Mistake, Variant, one
from lstmhw.problem import Checker, fit, shape_text
from lstmhw.solvers.lstm_forward import read_inputs
from lstmhw.solvers.mse import REDUCTIONS, reduce_squares
from lstmhw.solvers.rnn_gradient import ACTIVATIONS, activate, derivative
from lstmhw.trace import Trace, Tracer

NAME = "rnn-bptt"
KEYS = ("activation", "W_h", "W_x", "b", "x", "h0", "W_y", "b_y", "y", "loss")
LOSS_KINDS = ("squared", "cross-entropy")
CE_REDUCTIONS = ("mean", "sum")

PHI_TEXT = {
    "tanh": "tanh({z})",
    "sigmoid": "σ({z})",
    "sigmoid-centered": "σ({z}) − 0.5",
    "relu": "max(0, {z})",
    "linear": "{z}",
}
PHI_TEX = {
    "tanh": r"\tanh({z})",
    "sigmoid": r"\sigma({z})",
    "sigmoid-centered": r"\sigma({z}) - 0.5",
    "relu": r"\max(0, {z})",
    "linear": "{z}",
}
# dz[t] = dh[t] ⊙ φ′(at), written out per activation
PRIME_TEXT = {
    "tanh": "(1 − tanh²({z}))",
    "sigmoid": "σ({z})·(1 − σ({z}))",
    "sigmoid-centered": "σ({z})·(1 − σ({z}))",
    "relu": "[{z} > 0]",
    "linear": "1",
}
PRIME_TEX = {
    "tanh": r"\left(1 - \tanh^2({z})\right)",
    "sigmoid": r"\sigma({z})\left(1 - \sigma({z})\right)",
    "sigmoid-centered": r"\sigma({z})\left(1 - \sigma({z})\right)",
    "relu": r"[{z} > 0]",
    "linear": "1",
}


# -- the operations a mistake can change ---------------------------------------
def pre_activation(z_name: str, h_name: str) -> str:
    """The step φ′ is evaluated at: z[t] (the mistake takes h[t])."""
    return z_name


def carry(W_h_transposed: np.ndarray, dz_next: np.ndarray) -> np.ndarray:
    """The gradient carried back from step t+1: W_hᵀ dz[t+1]."""
    return W_h_transposed @ dz_next


def transpose(W: np.ndarray) -> np.ndarray:
    return W.T


def sum_over_time(terms: Sequence[np.ndarray], partners: Sequence[np.ndarray] | None) -> np.ndarray:
    """Σ_t terms[t]·partners[t]ᵀ (Σ_t terms[t] without partners) in one pass: no T×H×H temporary.

    einsum rather than ``A.T @ B``: a threaded BLAS spends 20–50× the CPU on a 64×1,000 product
    when the machine's cores are busy.
    """
    stacked = np.asarray(np.stack(terms), dtype=float)
    if partners is None:
        return stacked.sum(axis=0)
    return np.einsum("ti,tj->ij", stacked, np.asarray(np.stack(partners), dtype=float))


def loss_factor(kind: str, reduction: str, n: int) -> float:
    """c in ∂loss/∂yhat[t] = c·err[t] (squared) or c·(p[t] − onehot) (cross-entropy)."""
    if kind == "squared":
        return {"mean": 2.0 / n, "sum": 2.0, "half-sum": 1.0}[reduction]
    return 1.0 / n if reduction == "mean" else 1.0


def softmax_grad(p: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """∂(−log p[k])/∂yhat = p − onehot(k)."""
    return p - onehot


@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class BpttOps:
    """Everything a known mistake changes is one field here (see lstmhw.mistakes)."""

    derivative: Callable[[str, Any], Any] = derivative  # φ′
    derivative_at: Callable[[str, str], str] = pre_activation  # which step φ′ is evaluated at
    carry: Callable[[np.ndarray, np.ndarray], np.ndarray] = carry  # W_hᵀ dz[t+1] into dh[t]
    transpose: Callable[[np.ndarray], np.ndarray] = transpose  # W_h → W_hᵀ (in the carry and in dh[0])
    accumulate: Callable[..., np.ndarray] = sum_over_time  # Σ_t over the time steps in dW_h, dW_x, db, dW_y, db_y
    loss_factor: Callable[[str, str, int], float] = loss_factor
    softmax_grad: Callable[[np.ndarray, np.ndarray], np.ndarray] = softmax_grad


OPS = BpttOps()


# -- the mistakes students make here, each a patch to BpttOps --------------------
def _derivative_half_done(name: str, z: Any) -> Any:
    """1 − tanh for 1 − tanh²; σ for σ(1 − σ); ReLU′ and the linear 1 have no such slip."""
    z = np.asarray(z, dtype=float)
    if name == "tanh":
        return 1.0 - np.tanh(z)
    if name in ("sigmoid", "sigmoid-centered"):
        return sigmoid(z)
    return derivative(name, z)


def _at_output(z_name: str, h_name: str) -> str:
    return h_name


def _dropped(W_h_transposed: np.ndarray, dz_next: np.ndarray) -> np.ndarray:
    return np.zeros(W_h_transposed.shape[0])


def _not_transposed(W: np.ndarray) -> np.ndarray:
    return W


def last_step_only(terms: Sequence[np.ndarray], partners: Sequence[np.ndarray] | None) -> np.ndarray:
    last = np.asarray(terms[-1], dtype=float)
    return last if partners is None else np.outer(last, partners[-1])


def _factor_without_two(kind: str, reduction: str, n: int) -> float:
    if kind == "squared":
        return {"mean": 1.0 / n, "sum": 1.0, "half-sum": 0.5}[reduction]
    return loss_factor(kind, reduction, n)


def _factor_without_mean(kind: str, reduction: str, n: int) -> float:
    return loss_factor(kind, "sum" if reduction == "mean" else reduction, n)


def _softmax_grad_p_only(p: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    return p


MISTAKES: tuple[Mistake, ...] = (
    one(
        "activation-derivative-wrong",
        "φ′ written wrong: 1 − tanh(z) for 1 − tanh²(z), or σ(z) for σ(z)(1 − σ(z))",
        derivative=_derivative_half_done,
    ),
    one(
        "derivative-of-output-not-preactivation",
        "φ′ evaluated at h[t] instead of at the pre-activation z[t]",
        derivative_at=_at_output,
    ),
    one(
        "carried-gradient-dropped",
        "dh[t] without the gradient carried back from step t+1 (the W_hᵀ·dz[t+1] term is missing)",
        carry=_dropped,
    ),
    one(
        "gradient-last-step-only",
        "the weight gradients taken from the last step t = T alone instead of summed over every step",
        accumulate=last_step_only,
    ),
    one(
        "recurrent-weight-not-transposed",
        "the gradient carried back through W_h instead of W_hᵀ: the recurrent weight is not transposed",
        transpose=_not_transposed,
    ),
    Mistake(
        "loss-derivative-factor",
        (
            Variant(
                {"loss_factor": _factor_without_two},
                "∂loss/∂yhat without the 2 from differentiating the square",
            ),
            Variant(
                {"loss_factor": _factor_without_mean},
                "∂loss/∂yhat without the 1/n of the mean",
            ),
        ),
    ),
    one(
        "softmax-gradient-wrong",
        "∂loss/∂yhat taken as p[t] instead of p[t] − onehot(y[t]): the target's 1 is not subtracted",
        softmax_grad=_softmax_grad_p_only,
    ),
)
# The targets y are kept: with cross-entropy they are class indices, which must never be
# redrawn as numbers, and REDRAW is one tuple for every problem of the solver.
REDRAW = ("W_h", "W_x", "b", "x", "h0", "W_y", "b_y")


def degenerate(trace: Trace, original: Trace) -> str | None:
    return None  # the generic checks of lstmhw.variant are enough


@dataclass(frozen=True)
class BpttParams:
    """Backprop through time of a vanilla RNN: its weights, inputs, h0, optional output layer and targets."""

    activation: str
    W_h: np.ndarray  # H×H
    W_x: np.ndarray  # H×D
    b: np.ndarray  # H
    x: np.ndarray  # T×D, one row per time step
    h0: np.ndarray  # H
    W_y: np.ndarray | None  # O×H, or None: the output is h[t]
    b_y: np.ndarray | None  # O (with W_y)
    y: np.ndarray | tuple[int, ...]  # squared: T×O targets; cross-entropy: T class indices
    kind: str = "squared"
    reduction: str = "mean"

    @property
    def steps(self) -> int:
        return self.x.shape[0]

    @property
    def outputs(self) -> int:
        return self.W_y.shape[0] if self.W_y is not None else self.W_h.shape[0]


# -- reading a problem -----------------------------------------------------------
def steps_per_time_step(has_output_layer: bool) -> int:
    """x, z, h, (yhat), y, two loss terms, dyhat, dh, dz."""
    return 9 + (1 if has_output_layer else 0)


FIXED_STEPS = 8  # h[0], loss, dW_h, dW_x, db, dW_y, db_y, dh[0]


def _hidden_size(c: Checker, W_h: Any) -> int | None:
    if W_h is None:
        return None
    if W_h.ndim == 0:
        return 1
    if W_h.ndim != 2 or W_h.shape[0] != W_h.shape[1]:
        c.fail(("W_h",), f"shape {shape_text(W_h.shape)}, expected a square matrix (H, H)")
        return None
    if W_h.shape[0] > MAX_HIDDEN:
        c.fail(("W_h",), f"hidden size {W_h.shape[0]:,}, expected at most {MAX_HIDDEN:,}")
        return None
    return W_h.shape[0]


def _input_size(W_x: Any, x: Any, H: int | None) -> int | None:
    """D: W_x's columns when its rows fit H (then a wrong x is x's error), else x's columns, else W_x's.

    A flat W_x is a single row when H = 1 (else a column); a number is 1×1.
    """
    if W_x is not None and W_x.ndim == 2 and (W_x.shape[0] == H or x is None or x.ndim != 2):
        return W_x.shape[1]
    if x is not None and x.ndim == 2:
        return x.shape[1]
    if W_x is not None and W_x.ndim == 1:
        return W_x.shape[0] if H == 1 else 1
    if W_x is not None and W_x.ndim == 0:
        return 1
    return None


def _read_loss(c: Checker) -> tuple[str | None, str | None]:
    if not c.has(("loss",)):
        return "squared", "mean"
    if c.mapping(("loss",), ["kind", "reduction"]) is None:
        return None, None
    kind = c.text(("loss", "kind"), default="squared", choices=LOSS_KINDS)
    if kind is None:
        return None, None
    choices = REDUCTIONS if kind == "squared" else CE_REDUCTIONS
    return kind, c.text(("loss", "reduction"), default="mean", choices=choices)


def read(c: Checker) -> BpttParams | None:
    activation = c.text(("activation",), default="tanh", choices=ACTIVATIONS)
    W_h, W_x, x = c.array(("W_h",)), c.array(("W_x",)), c.array(("x",))
    b, h0 = c.array(("b",), default=None), c.array(("h0",), default=None)
    W_y, b_y = c.array(("W_y",), default=None), c.array(("b_y",), default=None)
    kind, reduction = _read_loss(c)
    H = _hidden_size(c, W_h)
    D = _input_size(W_x, x, H)
    if D is not None and D > MAX_HIDDEN:
        c.fail(("W_x",), f"input size {D:,}, expected at most {MAX_HIDDEN:,}")
        D = None
    ok = H is not None and D is not None
    sizes = f"for hidden size {H} and input size {D}"
    if ok and W_x is not None:
        fitted = fit(W_x, H, D)
        if fitted is None:
            c.fail(("W_x",), f"shape {shape_text(W_x.shape)}, expected ({H}, {D}) {sizes}")
            ok = False
        W_x = fitted
    x, T = read_inputs(c, x, D)
    ok = ok and (x is None or T is not None)
    vectors = {}
    for key, array in (("b", b), ("h0", h0)):
        if H is None:
            continue
        value = np.zeros(H) if array is None else fit(array, H, None)
        if value is None:
            c.fail((key,), f"shape {shape_text(array.shape)}, expected ({H},) for hidden size {H}")
            ok = False
        vectors[key] = value
    n_out = H
    if W_y is None and c.has(("b_y",)):
        c.fail(("b_y",), "b_y without W_y, expected W_y (O×H) to give the output layer yhat[t] = W_y·h[t] + b_y")
        ok = False
    if W_y is not None and H is not None:
        rows = W_y.shape[0] if W_y.ndim == 2 else 1  # a flat list is a single row; a number is 1×1
        fitted = fit(W_y, rows, H)
        if rows > MAX_HIDDEN:
            c.fail(("W_y",), f"{rows:,} outputs, expected at most {MAX_HIDDEN:,}")
            ok, n_out = False, None
        elif fitted is None:
            c.fail(("W_y",), f"shape {shape_text(W_y.shape)}, expected (O, {H}): one row of {H} weights per output")
            ok, n_out = False, None
        else:
            W_y, n_out = fitted, rows
            b_y = np.zeros(n_out) if b_y is None else _fit_vector(c, ("b_y",), b_y, n_out, "outputs")
            ok = ok and b_y is not None
    if kind == "cross-entropy" and not c.has(("W_y",)):
        c.fail(("loss", "kind"), "cross-entropy without W_y, expected W_y (O×H): the softmax is over yhat[t] = W_y·h[t] + b_y")
        ok = False
    elif kind == "cross-entropy" and W_y is not None and n_out == 1:
        c.fail(("W_y",), "one output row, expected at least 2 for cross-entropy (a softmax over one class is always 1)")
        ok = False
    # y is checked whenever its sizes are known, so a wrong W_x does not hide a wrong y
    y = _read_targets(c, kind, T, n_out)
    if T is not None:
        per_step = steps_per_time_step(c.has(("W_y",)))
        if FIXED_STEPS + per_step * T > MAX_TRACE_STEPS:
            most = (MAX_TRACE_STEPS - FIXED_STEPS) // per_step
            c.fail(("x",), f"{T:,} time steps, expected at most {most:,} (a solution of at most {MAX_TRACE_STEPS:,} steps)")
            return None
        if H is not None and T * (per_step * max(H, n_out or 1, D or 1)) > MAX_TRACE_ELEMENTS:
            c.fail(
                ("x",),
                f"{T:,} time steps of hidden size {H:,}, expected at most {MAX_TRACE_ELEMENTS:,} values in the solution "
                "(fewer steps or a smaller hidden size)",
            )
            return None
    if not ok or y is None or activation is None or kind is None or reduction is None or c.errors:
        return None
    return BpttParams(activation, W_h.reshape(H, H), W_x, vectors["b"], x, vectors["h0"], W_y, b_y, y, kind, reduction)


def _fit_vector(c: Checker, path: tuple, array: np.ndarray, n: int, what: str) -> np.ndarray | None:
    value = fit(array, n, None)
    if value is None:
        c.fail(path, f"shape {shape_text(array.shape)}, expected ({n},) for {n} {what}")
    return value


def _read_targets(c: Checker, kind: str | None, T: int | None, n_out: int | None) -> Any:
    if not c.has(("y",)):
        c.fail((), "missing key 'y', expected the targets of the loss the gradients are taken of")
        return None
    raw = c.array(("y",))
    if raw is None or T is None or n_out is None or kind is None:
        return None
    if kind == "squared":
        y = fit(raw, T, n_out)
        if y is None and raw.ndim == 1 and raw.size == T and n_out == 1:
            y = raw.reshape(T, 1)
        if y is None:
            c.fail(("y",), f"shape {shape_text(raw.shape)}, expected ({T}, {n_out}): one target per output per time step")
        return y
    labels = fit(raw, T, None)
    if labels is None:
        c.fail(("y",), f"shape {shape_text(raw.shape)}, expected a flat list of {T} class indices, one per time step")
        return None
    flat = raw.ndim == 1
    bad = False
    for t, value in enumerate(labels):
        if not (float(value).is_integer() and 0 <= value < n_out):
            where = ("y", t) if flat else ("y",)
            c.fail(where, f"{value:g}, expected a class index: a whole number from 0 to {n_out - 1}")
            bad = True
    return None if bad else tuple(int(v) for v in labels)


def default_ask(params: BpttParams) -> list[str]:
    out = ["loss", "dW_h", "dW_x", "db"]
    if params.W_y is not None:
        out += ["dW_y", "db_y"]
    return out + ["dh[0]"]


# -- the step functions: fn(ops, *inputs, **data), reading nothing else -----------
def _vector(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=float)


def _preactivation(ops: BpttOps, h: Any, x: Any, W_h: np.ndarray, W_x: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _vector(W_h @ h + W_x @ x + b)


def _activation(ops: BpttOps, z: Any, act: str) -> np.ndarray:
    return _vector(activate(act, z))


def _output(ops: BpttOps, h: Any, W_y: np.ndarray, b_y: np.ndarray) -> np.ndarray:
    return _vector(W_y @ h + b_y)


def _difference(ops: BpttOps, out: Any, y: Any) -> np.ndarray:
    return _vector(np.subtract(out, y))


def _square(ops: BpttOps, e: Any) -> np.ndarray:
    return _vector(np.square(e))


def _reduce(ops: BpttOps, *squares: Any, reduction: str) -> float:
    return reduce_squares(squares, reduction)


def softmax(v: Any) -> np.ndarray:
    """e^v / Σ e^v, from v − max(v): no overflow for any finite v."""
    e = np.exp(_vector(v) - np.max(v))
    return e / e.sum()


def _softmax(ops: BpttOps, v: Any) -> np.ndarray:
    return softmax(v)


def _nll(ops: BpttOps, p: Any, k: int) -> float:
    return float(-np.log(_vector(p)[k]))


def _mean_or_sum(ops: BpttOps, *terms: Any, reduction: str) -> float:
    total = float(np.sum(np.asarray(terms, dtype=float)))
    return total / len(terms) if reduction == "mean" else total


def _dyhat_squared(ops: BpttOps, e: Any, reduction: str, n: int) -> np.ndarray:
    return _vector(ops.loss_factor("squared", reduction, n) * _vector(e))


def _dyhat_ce(ops: BpttOps, p: Any, onehot: np.ndarray, reduction: str, n: int) -> np.ndarray:
    return _vector(ops.loss_factor("cross-entropy", reduction, n) * ops.softmax_grad(_vector(p), onehot))


def _dh_last(ops: BpttOps, dyhat: Any, W_y: np.ndarray | None) -> np.ndarray:
    return _vector(dyhat) if W_y is None else _vector(W_y.T @ dyhat)


def _dh(ops: BpttOps, dyhat: Any, dz_next: Any, W_y: np.ndarray | None, W_h: np.ndarray) -> np.ndarray:
    return _dh_last(ops, dyhat, W_y) + _vector(ops.carry(ops.transpose(W_h), _vector(dz_next)))


def _dz(ops: BpttOps, dh: Any, at: Any, act: str) -> np.ndarray:
    return _vector(_vector(dh) * ops.derivative(act, at))


def _outer_sum(ops: Any, *values: Any, T: int) -> np.ndarray:  # lstm-backward's too: any ops with accumulate
    return _vector(ops.accumulate(values[:T], values[T:]))


def _plain_sum(ops: Any, *values: Any) -> np.ndarray:
    return _vector(ops.accumulate(values, None))


def _dh0(ops: BpttOps, dz: Any, W_h: np.ndarray) -> np.ndarray:
    return _vector(ops.transpose(W_h) @ _vector(dz))


# -- the solution ----------------------------------------------------------------
def _tex(name: str) -> str:
    """``z[2]`` → ``z_{2}``, ``yhat[2]`` → ``\\hat{y}_{2}``: a step name inside a formula."""
    base, _, index = name.partition("[")
    base = r"\hat{y}" if base == "yhat" else base
    return f"{base}_{{{index.rstrip(']')}}}" if index else base


def terms_text(names: list[str]) -> str:
    return " + ".join(names) if len(names) <= 4 else f"{names[0]} + … + {names[-1]}"


def tex_sum(template: str, T: int) -> str:
    """Σ_{t=1}^{T} of a LaTeX term in t (written out for T ≤ 3)."""
    if T <= 3:
        return " + ".join(template.format(t=t, p=t - 1) for t in range(1, T + 1))
    return r"\sum_{t=1}^{" + str(T) + "} " + template.format(t="t", p="t-1")


def solve(params: BpttParams, tracer: Tracer) -> None:
    act, T = params.activation, params.steps
    has_output = params.W_y is not None
    tracer.given("h[0]", params.h0, group="t = 0")
    for t in range(1, T + 1):
        group, prev = f"t = {t}", t - 1
        tracer.given(f"x[{t}]", params.x[t - 1], group=group)
        tracer.step(
            f"z[{t}]",
            f"W_h·h[{prev}] + W_x·x[{t}] + b",
            rf"W_h h_{{{prev}}} + W_x x_{{{t}}} + b",
            [f"h[{prev}]", f"x[{t}]"],
            _preactivation,
            data={"W_h": params.W_h, "W_x": params.W_x, "b": params.b},
            group=group,
        )
        tracer.step(
            f"h[{t}]",
            PHI_TEXT[act].format(z=f"z[{t}]"),
            PHI_TEX[act].format(z=f"z_{{{t}}}"),
            [f"z[{t}]"],
            _activation,
            data={"act": act},
            group=group,
        )
        if has_output:
            tracer.step(
                f"yhat[{t}]",
                f"W_y·h[{t}] + b_y",
                rf"W_y h_{{{t}}} + b_y",
                [f"h[{t}]"],
                _output,
                data={"W_y": params.W_y, "b_y": params.b_y},
                group=group,
            )
    outputs = [f"yhat[{t}]" if has_output else f"h[{t}]" for t in range(1, T + 1)]
    if params.kind == "squared":
        _squared_loss(params, tracer, outputs)
    else:
        _cross_entropy(params, tracer, outputs)
    _backward(params, tracer)
    _gradients(params, tracer)


def _squared_loss(params: BpttParams, tracer: Tracer, outputs: list[str]) -> None:
    squares = []
    for t, out in enumerate(outputs, start=1):
        tracer.given(f"y[{t}]", params.y[t - 1], group="loss")
        tracer.step(
            f"err[{t}]", f"{out} − y[{t}]", rf"{_tex(out)} - y_{{{t}}}", [out, f"y[{t}]"], _difference, group="loss"
        )
        tracer.step(f"sq_err[{t}]", f"err[{t}]²", rf"\left(e_{{{t}}}\right)^2", [f"err[{t}]"], _square, group="loss")
        squares.append(f"sq_err[{t}]")
    n, T = params.steps * params.outputs, params.steps
    scale = {"mean": f"(1/{n})·", "sum": "", "half-sum": "½·"}[params.reduction]
    tex_scale = {"mean": rf"\frac{{1}}{{{n}}}", "sum": "", "half-sum": r"\frac{1}{2}"}[params.reduction]
    over = "Σ" if params.outputs > 1 else ""  # Σ over the outputs of each sq_err[t] too
    tex_over = r"\sum_k e_{t,k}^2" if params.outputs > 1 else "e_t^2"
    tracer.step(
        "loss",
        f"{scale}{over}({terms_text(squares)})",
        rf"{tex_scale}\sum_{{t=1}}^{{{T}}} {tex_over}",
        squares,
        _reduce,
        data={"reduction": params.reduction},
        group="loss",
    )


def _cross_entropy(params: BpttParams, tracer: Tracer, outputs: list[str]) -> None:
    terms = []
    for t, out in enumerate(outputs, start=1):
        k = params.y[t - 1]
        tracer.given(f"y[{t}]", float(k), group="loss", note="the target class (0-based)")
        tracer.step(f"p[{t}]", f"softmax({out})", rf"\operatorname{{softmax}}({_tex(out)})", [out], _softmax, group="loss")
        tracer.step(f"nll[{t}]", f"−log p[{t}][{k}]", rf"-\log p_{{{t},{k}}}", [f"p[{t}]"], _nll, data={"k": k}, group="loss")
        terms.append(f"nll[{t}]")
    T = params.steps
    mean = params.reduction == "mean"
    tracer.step(
        "loss",
        (f"(1/{T})·" if mean else "") + f"({terms_text(terms)})",
        (rf"\frac{{1}}{{{T}}}" if mean else "") + rf"\sum_{{t=1}}^{{{T}}} \mathrm{{nll}}_t",
        terms,
        _mean_or_sum,
        data={"reduction": params.reduction},
        group="loss",
    )


def _backward(params: BpttParams, tracer: Tracer) -> None:
    ops, act, T = tracer.ops, params.activation, params.steps
    has_output = params.W_y is not None
    squared = params.kind == "squared"
    n = T * params.outputs if squared else T
    factor, tex_factor = factor_text(params.kind, params.reduction, n)
    last = "the last step: nothing is carried back from a step after it"
    for t in range(T, 0, -1):
        group = f"backward t = {t}"
        if squared:
            tracer.step(
                f"dyhat[{t}]",
                f"{factor}err[{t}]",
                rf"{tex_factor}e_{{{t}}}",
                [f"err[{t}]"],
                _dyhat_squared,
                uses=("loss_factor",),
                data={"reduction": params.reduction, "n": n},
                group=group,
            )
        else:
            k = params.y[t - 1]
            onehot = np.zeros(params.outputs)
            onehot[k] = 1.0
            tracer.step(
                f"dyhat[{t}]",
                f"{factor}(p[{t}] − onehot({k}))",
                rf"{tex_factor}\left(p_{{{t}}} - \operatorname{{onehot}}({k})\right)",
                [f"p[{t}]"],
                _dyhat_ce,
                uses=("loss_factor", "softmax_grad"),
                data={"onehot": onehot, "reduction": params.reduction, "n": n},
                group=group,
            )
        local = Term(
            f"W_yᵀ·dyhat[{t}]" if has_output else f"dyhat[{t}]",
            rf"W_y^\top d\hat{{y}}_{{{t}}}" if has_output else rf"d\hat{{y}}_{{{t}}}",
            [f"dyhat[{t}]"],
            data={"W_y": params.W_y},
        )
        carried = None
        if t < T:
            carried = Term(
                f"W_hᵀ·dz[{t + 1}]", rf"W_h^\top dz_{{{t + 1}}}", [f"dz[{t + 1}]"], ("carry", "transpose"), {"W_h": params.W_h}
            )
        carried_step(tracer, f"dh[{t}]", local, carried, _dh_last, _dh, group=group, note_last=last)
        at = ops.derivative_at(f"z[{t}]", f"h[{t}]")
        tracer.step(
            f"dz[{t}]",
            f"dh[{t}] ⊙ {PRIME_TEXT[act].format(z=at)}",
            rf"dh_{{{t}}} \odot {PRIME_TEX[act].format(z=_tex(at))}",
            [f"dh[{t}]", at],
            _dz,
            uses=("derivative", "derivative_at"),
            data={"act": act},
            group=group,
        )


@dataclass(frozen=True)
class Term:
    """A term of a step's formula: as text and LaTeX, the steps it reads, the OPS fields and the data its function uses."""

    text: str
    latex: str
    inputs: list[str]
    uses: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


def carried_step(
    tracer: Tracer, name: str, local: Term, carried: Term | None, fn_last: Callable[..., Any], fn: Callable[..., Any], *,
    group: str, note_last: str = "",
) -> None:
    """The step ``name = local + carried``: a gradient at step t, and what step t+1 carries back into it
    (lstm-backward's dh[t] and dc[t] too). At the last step there is no carried term (None): ``fn_last``
    computes the local term alone, and ``note_last`` says so."""
    if carried is None:
        tracer.step(
            name, local.text, local.latex, local.inputs, fn_last, uses=local.uses, data=local.data, group=group, note=note_last
        )
        return
    tracer.step(
        name,
        f"{local.text} + {carried.text}",
        f"{local.latex} + {carried.latex}",
        local.inputs + carried.inputs,
        fn,
        uses=local.uses + carried.uses,
        data={**local.data, **carried.data},
        group=group,
    )


def factor_text(kind: str, reduction: str, n: int) -> tuple[str, str]:
    if kind == "squared":
        return {
            "mean": (f"(2/{n})·", rf"\frac{{2}}{{{n}}}\, "),
            "sum": ("2·", r"2\, "),
            "half-sum": ("", ""),
        }[reduction]
    return (f"(1/{n})·", rf"\frac{{1}}{{{n}}}") if reduction == "mean" else ("", "")


def outer_text(left: str, right: str, shift: int, T: int) -> str:
    """``dz[1]·h[0]ᵀ + dz[2]·h[1]ᵀ``: Σ_t left[t]·right[t + shift]ᵀ written out."""
    return terms_text([f"{left}[{t}]·{right}[{t + shift}]ᵀ" for t in range(1, T + 1)])


def outer_sum_step(tracer: Tracer, name: str, left: str, right: str, shift: int, tex_term: str, T: int, group: str) -> None:
    """The step ``name = Σ_t left[t]·right[t + shift]ᵀ`` (``tex_term`` in t and p = t − 1, for tex_sum)."""
    tracer.step(
        name,
        outer_text(left, right, shift, T),
        tex_sum(tex_term, T),
        [f"{left}[{t}]" for t in range(1, T + 1)] + [f"{right}[{t + shift}]" for t in range(1, T + 1)],
        _outer_sum,
        uses=("accumulate",),
        data={"T": T},
        group=group,
    )


def sum_step(tracer: Tracer, name: str, term: str, tex_term: str, T: int, group: str) -> None:
    """The step ``name = Σ_t term[t]``."""
    terms = [f"{term}[{t}]" for t in range(1, T + 1)]
    tracer.step(name, terms_text(terms), tex_sum(tex_term, T), terms, _plain_sum, uses=("accumulate",), group=group)


def _gradients(params: BpttParams, tracer: Tracer) -> None:
    T, group = params.steps, "gradients"
    outer_sum_step(tracer, "dW_h", "dz", "h", -1, r"dz_{{{t}}} h_{{{p}}}^\top", T, group)
    outer_sum_step(tracer, "dW_x", "dz", "x", 0, r"dz_{{{t}}} x_{{{t}}}^\top", T, group)
    sum_step(tracer, "db", "dz", r"dz_{{{t}}}", T, group)
    if params.W_y is not None:
        outer_sum_step(tracer, "dW_y", "dyhat", "h", 0, r"d\hat{{y}}_{{{t}}} h_{{{t}}}^\top", T, group)
        sum_step(tracer, "db_y", "dyhat", r"d\hat{{y}}_{{{t}}}", T, group)
    tracer.step(
        "dh[0]",
        "W_hᵀ·dz[1]",
        r"W_h^\top dz_{1}",
        ["dz[1]"],
        _dh0,
        uses=("transpose",),
        data={"W_h": params.W_h},
        group=group,
        note="the gradient of the loss with respect to the initial state h[0]",
    )


TEMPLATE = """\
# Backpropagation through time for a vanilla RNN.  Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: bptt   # optional: without it the id is the file's name, so templates never clash
title: BPTT through a two-step RNN
solver: rnn-bptt
activation: tanh          # tanh (default) | sigmoid | sigmoid-centered (σ − 0.5) | relu | linear
# h[t] = φ(W_h·h[t-1] + W_x·x[t] + b); H = hidden size, D = input size.
# A flat list is a single row; a lone number is a 1×1.
W_h: [[0.5]]              # H×H
W_x: [[1.0, -1.0]]        # H×D
b: [0.1]                  # H (default zeros)
x: [[1, 0], [0.5, -1]]    # one row of D inputs per time step
h0: [0]                   # initial hidden state (default zeros)
W_y: [[2.0]]              # optional output layer, O×H: yhat[t] = W_y·h[t] + b_y (without it the output is h[t])
b_y: [0.0]                # O (default zeros; only with W_y)
y: [0.5, 0.8]             # targets of the outputs, one row of O per step; cross-entropy: one class index (0-based) per step
loss: {kind: squared, reduction: half-sum}   # squared: mean (default, over all T·O terms) | sum | half-sum;
                                             # cross-entropy (needs W_y with O ≥ 2): mean (over T) | sum
ask: ["dW_h", "dW_x", "db", "dh[0]"]
# also z[t], h[t], yhat[t], err[t], sq_err[t] (p[t], nll[t] with cross-entropy), loss,
# dyhat[t], dh[t], dz[t], dW_y, db_y
"""
