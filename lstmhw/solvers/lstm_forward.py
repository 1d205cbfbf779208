"""The LSTM forward pass, one gate at a time, as a student writes it on paper.

Per step t::

    z_g[t] = W_g x[t] + U_g h[t-1] + b_g        for g in f, i, o, c
    f[t] = σ(z_f[t])   i[t] = σ(z_i[t])   o[t] = σ(z_o[t])   c̃[t] = tanh(z_c[t])
    c[t] = f[t] ⊙ c[t-1] + i[t] ⊙ c̃[t]
    h[t] = o[t] ⊙ tanh(c[t])

then, with targets ``y``, the loss steps of :mod:`lstmhw.solvers.mse`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstmhw.limits import MAX_HIDDEN, MAX_TIME_STEPS, MAX_TRACE_STEPS
from lstmhw.mathops import identity, sigmoid, tanh
from lstmhw.mistakes import Mistake, one
from lstmhw.problem import Checker, fit, shape_text
from lstmhw.solvers.mse import MISTAKES as LOSS_MISTAKES
from lstmhw.solvers.mse import REDUCTIONS, loss_steps, reduce_squares
from lstmhw.trace import Trace, Tracer

NAME = "lstm-forward"
KEYS = ("W", "U", "b", "x", "h0", "c0", "y", "loss")
GATES = ("f", "i", "o", "c")  # the order the gates are worked on paper
GATE_WORDS = {"f": "forget gate", "i": "input gate", "o": "output gate", "c": "candidate"}


def preactivation(W: np.ndarray, x: np.ndarray, U: np.ndarray, h: np.ndarray, b: np.ndarray) -> np.ndarray:
    return W @ x + U @ h + b


def cell(f: np.ndarray, i: np.ndarray, c_prev: np.ndarray, c_tilde: np.ndarray) -> np.ndarray:
    return f * c_prev + i * c_tilde


@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class LstmOps:
    """The operations of the forward pass; a mistake replaces one of them."""

    gate: Any = sigmoid  # σ for f, i, o
    candidate: Any = tanh  # tanh for c̃
    squash: Any = tanh  # tanh(c[t]) in h[t]
    preactivation: Any = preactivation
    cell: Any = cell
    reduce: Any = reduce_squares


OPS = LstmOps()


# -- the mistakes students make here, each a patch to LstmOps -------------------
def _drop_recurrent(W: np.ndarray, x: np.ndarray, U: np.ndarray, h: np.ndarray, b: np.ndarray) -> np.ndarray:
    return W @ x + b


def _drop_bias(W: np.ndarray, x: np.ndarray, U: np.ndarray, h: np.ndarray, b: np.ndarray) -> np.ndarray:
    return W @ x + U @ h


def _swapped_cell(f: np.ndarray, i: np.ndarray, c_prev: np.ndarray, c_tilde: np.ndarray) -> np.ndarray:
    return i * c_prev + f * c_tilde


def flipped_sigmoid(z: Any) -> Any:
    """1/(1+e^z): σ with the sign of the exponent flipped (a mistake, the GRU's too)."""
    return sigmoid(-np.asarray(z, dtype=float))


# The slips the GRU makes too: one constructor each, for the same id and patch in each solver's
# words (the LSTM's gates and pre-activations go unnamed, the GRU's are named).
def sigmoid_sign_flipped(gates: str = "") -> Mistake:
    computed = "σ(z) computed as 1/(1+e^z)" + (f" for the gates {gates}" if gates else "")
    return one("sigmoid-sign-flipped", f"{computed}: the sign of the exponent is flipped", gate=flipped_sigmoid)


def tanh_for_gate(gates: str) -> Mistake:
    return one("tanh-for-gate", f"tanh used for the gates {gates} where σ belongs", gate=tanh)


def recurrent_term_dropped(preactivations: str = "", **patch: Any) -> Mistake:
    named = f" {preactivations}" if preactivations else ""
    return one("recurrent-term-dropped", f"the recurrent term U·h[t−1] is missing from the pre-activations{named}", **patch)


LSTM_MISTAKES: tuple[Mistake, ...] = (
    sigmoid_sign_flipped(),
    tanh_for_gate("f, i, o"),
    one("sigmoid-for-candidate", "σ used for the candidate c̃ where tanh belongs", candidate=sigmoid),
    one("h-without-tanh", "h computed as o⊙c: the tanh of the cell state is missing", squash=identity),
    recurrent_term_dropped(preactivation=_drop_recurrent),
    one("bias-dropped", "the bias b is missing from the pre-activations", preactivation=_drop_bias),
    one(
        "f-i-swapped",
        "forget and input gates swapped: c = i⊙c[t−1] + f⊙c̃ instead of f⊙c[t−1] + i⊙c̃",
        cell=_swapped_cell,
    ),
)
MISTAKES: tuple[Mistake, ...] = LSTM_MISTAKES + LOSS_MISTAKES  # the loss is mse's, with its mistake
ROUNDED_OPS = ("squash",)  # tanh(c[t]), written down before o[t]⊙ it
REDRAW = ("W", "U", "b", "x", "h0", "c0", "y")


def degenerate(trace: Trace, original: Trace) -> str | None:
    return None  # the generic checks of lstmhw.variant are enough


@dataclass(frozen=True)
class Weights:
    """Per-gate weights of a gated cell: W (input), U (recurrent) and b, each keyed by gate."""

    W: dict[str, np.ndarray]  # H×D each
    U: dict[str, np.ndarray]  # H×H each
    b: dict[str, np.ndarray]  # H each
    # Optional further bias dicts, by key (the GRU's b_U), each gate's H entries.
    extra: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def hidden(self) -> int:
        return next(iter(self.U.values())).shape[0]

    @property
    def inputs(self) -> int:
        return next(iter(self.W.values())).shape[1]


@dataclass(frozen=True)
class LstmParams:
    """An LSTM forward pass: the weights, the inputs x[t], h0 and c0, and optional targets for the loss."""

    weights: Weights
    x: np.ndarray  # T×D, one row per time step
    h0: np.ndarray  # H
    c0: np.ndarray  # H
    y: np.ndarray | None  # T×H targets for h[t]
    reduction: str = "mean"


def _vote(counter: Counter) -> int | None:
    return counter.most_common(1)[0][0] if counter else None


def read_weights(
    c: Checker,
    prefix: tuple = (),
    x: np.ndarray | None = None,
    extra_h: tuple = (),
    *,
    gates: Sequence[str] = GATES,
    aliases: Mapping[str, str] | None = None,
    optional: Sequence[str] = (),
) -> tuple[Weights | None, int | None, int | None]:
    """Read W, U, b (each a mapping over ``gates``) and check their shapes agree.

    The hidden size H and input size D are what most of the given shapes say,
    so the error names the odd one out with the shape it should have had.
    ``aliases`` (alias -> gate) are other names a file may use for a gate in
    every mapping (the GRU's ``z`` for ``u``); ``optional`` are further bias
    mappings over the same gates (H entries each), read when present, into
    ``Weights.extra``.  The LSTM's call (the defaults) reads f, i, o, c.
    """
    aliases = dict(aliases or {})
    raw: dict[str, dict[str, np.ndarray]] = {}
    for key in ("W", "U", "b", *optional):
        if key in optional and not c.has(prefix + (key,)):
            continue
        raw[key] = {}
        if c.mapping(prefix + (key,), gates, required=gates, aliases=aliases) is None:
            continue
        for g in gates:
            names = [g] + [alias for alias, gate in aliases.items() if gate == g]
            present = [name for name in names if c.has(prefix + (key, name))]
            for extra in present[1:]:
                c.fail(prefix + (key, extra), f"both {present[0]} and its alias {extra}, expected only one of them")
            if present:
                array = c.array(prefix + (key, present[0]))
                if array is not None:
                    raw[key][g] = array
    where = {key: {g: _gate_key(c, prefix + (key,), g, aliases) for g in gates} for key in raw}
    hidden: Counter = Counter()
    for U in raw["U"].values():
        if U.ndim == 2 and U.shape[0] == U.shape[1]:
            hidden[U.shape[0]] += 2
        elif U.ndim == 0:
            hidden[1] += 2
    for key in ("b", *optional):
        for b in raw.get(key, {}).values():
            hidden[b.size if b.ndim <= 1 else -1] += 1
    for array in extra_h:
        if array is not None and array.ndim <= 1:
            hidden[array.size] += 1
    H = _vote(hidden)
    inputs: Counter = Counter()
    for W in raw["W"].values():
        if W.ndim == 2:
            inputs[W.shape[1]] += 1
        elif W.ndim == 1 and H == 1:
            inputs[W.shape[0]] += 1
        elif W.ndim == 0:
            inputs[1] += 1
    if x is not None and x.ndim == 2:
        inputs[x.shape[1]] += 2
    D = _vote(inputs)
    if H is None or H < 1 or D is None:
        return None, H, D
    if H > MAX_HIDDEN or D > MAX_HIDDEN:
        c.fail(prefix + ("U",), f"hidden size {H} and input size {D}, expected at most {MAX_HIDDEN}")
        return None, H, D
    sizes = f"for hidden size {H} and input size {D}"
    expected = {"W": (H, D), "U": (H, H), "b": (H,), **{key: (H,) for key in raw if key in optional}}
    fitted: dict[str, dict[str, np.ndarray]] = {key: {} for key in expected}
    ok = all(len(raw[k]) == len(gates) for k in raw)
    for key, shape in expected.items():
        for g, array in raw[key].items():
            value = fit(array, shape[0], shape[1] if len(shape) == 2 else None)
            if value is None:
                path = prefix + (key, where[key][g])
                c.fail(path, f"shape {shape_text(array.shape)}, expected {shape_text(shape)} {sizes}")
                ok = False
            else:
                fitted[key][g] = value
    if not ok:
        return None, H, D
    extra = {key: fitted[key] for key in optional if key in fitted}
    return Weights(fitted["W"], fitted["U"], fitted["b"], extra), H, D


def _gate_key(c: Checker, path: tuple, gate: str, aliases: Mapping[str, str]) -> str:
    """The name the file gives ``gate`` under ``path``: the gate's own, or an alias of it."""
    if c.has(path + (gate,)):
        return gate
    return next((alias for alias, g in aliases.items() if g == gate and c.has(path + (alias,))), gate)


def read(c: Checker, *, more_per_step: int = 0, more_steps: int = 0) -> LstmParams | None:
    """The parameters; ``more_per_step`` and ``more_steps`` count the steps a solver adds (lstm-backward's)."""
    x = c.array(("x",))
    h0 = c.array(("h0",), default=None)
    c0 = c.array(("c0",), default=None)
    weights, H, D = read_weights(c, x=x, extra_h=(h0, c0))
    reduction = read_reduction(c)
    # Each check below needs only the sizes it names, so a wrong W does not hide
    # a wrong x, h0 or y: `lstmhw check` lists every error in the file.
    ok = weights is not None and x is not None
    sized = H is not None and D is not None and 1 <= H <= MAX_HIDDEN and 1 <= D <= MAX_HIDDEN
    x, T = read_inputs(c, x, D if sized else None)
    ok = ok and (x is None or T is not None)
    state = {}
    for key, array in (("h0", h0), ("c0", c0)):
        if not sized:
            continue
        if array is None:
            state[key] = np.zeros(H)
            continue
        value = fit(array, H, None)
        if value is None:
            c.fail((key,), f"shape {shape_text(array.shape)}, expected ({H},) for hidden size {H}")
            ok = False
        state[key] = value
    y, y_ok = read_targets(c, T, H if sized else None)
    ok = ok and y_ok
    if T is not None:
        # h[0], c[0]; per step x[t], 4 z's, f, i, o, c̃, c, h; per target y[k], err[k], sq_err[k]; mse
        per_step = 11 + (3 if c.has(("y",)) else 0) + more_per_step
        if 2 + per_step * T + 1 + more_steps > MAX_TRACE_STEPS:
            most = (MAX_TRACE_STEPS - 3 - more_steps) // per_step
            c.fail(("x",), f"{T:,} time steps, expected at most {most:,} (a solution of at most {MAX_TRACE_STEPS:,} steps)")
            return None
    if not ok or not sized or T is None:
        return None
    return LstmParams(weights, x, state["h0"], state["c0"], y, reduction)


def read_reduction(c: Checker) -> str:
    """``loss: {reduction}``, mse's mean, sum or half-sum; mean when not given."""
    if c.has(("loss",)) and c.mapping(("loss",), ["reduction"]) is not None:
        return c.text(("loss", "reduction"), default="mean", choices=REDUCTIONS) or "mean"
    return "mean"


def read_targets(c: Checker, T: int | None, H: int | None) -> tuple[np.ndarray | None, bool]:
    """``y``, the T×H targets for h[t] (a flat list of T when H = 1), if the file gives it, and
    whether it was read without an error; its shape is checked only when T and H are known."""
    if not c.has(("y",)):
        return None, True
    raw = c.array(("y",))
    if raw is None:
        return None, False
    if T is None or H is None:
        return None, True
    y = fit(raw, T, H)
    if y is None and raw.ndim == 1 and raw.size == T and H == 1:
        y = raw.reshape(T, 1)
    if y is None:
        c.fail(("y",), f"shape {shape_text(raw.shape)}, expected ({T}, {H}): one target h per time step")
        return None, False
    return y, True


def read_inputs(c: Checker, x: np.ndarray | None, D: int | None) -> tuple[np.ndarray | None, int | None]:
    """``x`` as T×D rows, one per time step (a flat list is T scalar inputs when D = 1, or one
    step; a number is 1×1), and T; T is None, with the error collected, when x does not fit D
    (unknown D: not checked) or has more than MAX_TIME_STEPS rows."""
    if x is None:
        return None, None
    if x.ndim == 1:
        x = x.reshape(-1, 1) if D == 1 else x.reshape(1, -1)
    elif x.ndim == 0:
        x = x.reshape(1, 1)
    if D is not None and x.shape[1] != D:
        c.fail(("x",), f"shape {shape_text(x.shape)}, expected (T, {D}): one row of {D} inputs per time step")
        return x, None
    if x.shape[0] > MAX_TIME_STEPS:
        c.fail(("x",), f"{x.shape[0]:,} time steps, expected at most {MAX_TIME_STEPS:,}")
        return x, None
    return x, x.shape[0]


def default_ask(params: LstmParams) -> list[str]:
    asked = [f"h[{t}]" for t in range(1, params.x.shape[0] + 1)]
    return asked + (["mse"] if params.y is not None else [])


def solve(params: LstmParams, tracer: Tracer) -> None:
    w = params.weights
    tracer.given("h[0]", params.h0, group="t = 0")
    tracer.given("c[0]", params.c0, group="t = 0")
    for t in range(1, params.x.shape[0] + 1):
        cell_steps(tracer, w, t, params.x[t - 1])
    if params.y is not None:
        T = params.x.shape[0]
        loss_steps(tracer, [f"h[{t}]" for t in range(1, T + 1)], params.y, params.reduction)


# (step, gate of its pre-activation, OPS field, function as text and LaTeX)
ACTIVATED = (
    ("f", "f", "gate", "σ", r"\sigma"),
    ("i", "i", "gate", "σ", r"\sigma"),
    ("o", "o", "gate", "σ", r"\sigma"),
    ("c_tilde", "c", "candidate", "tanh", r"\tanh"),
)
_ACTIVATIONS = {"gate": lambda ops, z: ops.gate(z), "candidate": lambda ops, z: ops.candidate(z)}


def activation_steps(tracer: Tracer, rows: Sequence[tuple[str, str, str, str, str]], t: int, group: str) -> None:
    """``name[t] = act(z_g[t])`` for each row (step, gate of its pre-activation, OPS field, act as text
    and LaTeX) of a table like ACTIVATED; the OPS field is ``gate`` or ``candidate`` (the GRU's too)."""
    for name, g, op, text, tex in rows:
        z = f"z_{g}[{t}]"
        tracer.step(f"{name}[{t}]", f"{text}({z})", rf"{tex}(z_{{{g},{t}}})", [z], _ACTIVATIONS[op], uses=(op,), group=group)


def cell_steps(tracer: Tracer, w: Weights, t: int, x: np.ndarray, group: str | None = None) -> str:
    """One LSTM step t from x[t], h[t-1] and c[t-1] (already in the trace); returns h[t]'s name."""
    group, prev = group if group is not None else f"t = {t}", t - 1
    tracer.given(f"x[{t}]", x, group=group)
    for g in GATES:
        tracer.step(
            f"z_{g}[{t}]",
            f"W_{g}·x[{t}] + U_{g}·h[{prev}] + b_{g}",
            rf"W_{g} x_{{{t}}} + U_{g} h_{{{prev}}} + b_{g}",
            [f"x[{t}]", f"h[{prev}]"],
            lambda ops, x, h, W, U, b: ops.preactivation(W, x, U, h, b),
            uses=("preactivation",),
            data={"W": w.W[g], "U": w.U[g], "b": w.b[g]},
            group=group,
        )
    activation_steps(tracer, ACTIVATED, t, group)  # f, i, o through σ (OPS.gate), c̃ through tanh (OPS.candidate)
    tracer.step(
        f"c[{t}]",
        f"f[{t}]⊙c[{prev}] + i[{t}]⊙c̃[{t}]",
        rf"f_{{{t}}} \odot c_{{{prev}}} + i_{{{t}}} \odot \tilde{{c}}_{{{t}}}",
        [f"f[{t}]", f"i[{t}]", f"c[{prev}]", f"c_tilde[{t}]"],
        lambda ops, f, i, c_prev, c_tilde: ops.cell(f, i, c_prev, c_tilde),
        uses=("cell",),
        group=group,
    )
    tracer.step(
        f"h[{t}]",
        f"o[{t}]⊙tanh(c[{t}])",
        rf"o_{{{t}}} \odot \tanh(c_{{{t}}})",
        [f"o[{t}]", f"c[{t}]"],
        lambda ops, o, c: o * ops.squash(c),
        uses=("squash",),
        group=group,
    )
    return f"h[{t}]"


# The LSTM of the templates (lstm-backward's too): its weights, inputs and initial states.
TEMPLATE_LSTM = """\
# Weights per gate: f (forget), i (input), o (output), c (candidate).
# W_g is H×D (hidden size × input size), U_g is H×H, b_g has H entries.
# A flat list is a single row; a lone number is a 1×1.
W: {f: [[1, 2]], i: [[-1, 0]], c: [[1, 2]], o: [[3, 0]]}
U: {f: [[0.5]],  i: [[2]],     c: [[1.5]],  o: [[-1]]}
b: {f: [0.2],    i: [-0.1],    c: [0.5],    o: [0.8]}
x: [[1, 0], [0.5, -1]]   # one row of D inputs per time step
h0: [0]                  # initial hidden state (default zeros)
c0: [0]                  # initial cell state (default zeros)
"""
TEMPLATE = """\
# An LSTM forward pass.  Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: lstm   # optional: without it the id is the file's name, so templates never clash
title: LSTM forward pass with an MSE loss
solver: lstm-forward
""" + TEMPLATE_LSTM + """\
y: [0.5, 0.8]            # optional: targets for h[t]; then the loss is computed
loss: {reduction: mean}  # mean (default) | sum | half-sum
ask: ["h[1]", "h[2]", mse]   # any of z_f[t], f[t], i[t], o[t], c_tilde[t], c[t], h[t], mse
points: {mse: 2}         # optional: points per asked quantity (default 1)
tolerance: {rtol: 0.01, atol: 0}   # optional: grading tolerance (these are the defaults)
"""
