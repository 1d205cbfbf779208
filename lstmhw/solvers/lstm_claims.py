"""True/false claims about an LSTM, each decided by an experiment the solver runs.

Nothing is looked up: a universal claim is false when the solver finds a
counterexample (and shows it, with numbers), true when its experiment (a sweep
of pre-activations, the shapes of every gate) finds none.  The experiments use
the problem's own weights (``lstm: {W, U, b}``) first and seeded random
weights after them, so a counterexample is found even when the given weights
happen not to show one.  They run on the LSTM's own operations
(:class:`lstmhw.solvers.lstm_forward.LstmOps`), so a mistake patched into σ
or tanh changes the experiments the same way it changes a forward pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.errors import did_you_mean
from lstmhw.problem import MISSING, Checker, describe
from lstmhw.solvers.lstm_forward import GATES, LstmOps, Weights, cell_steps, read_weights
from lstmhw.trace import Trace, Tracer

NAME = "lstm-claims"
KEYS = ("claims", "lstm", "seed")

# Claim id -> the claim as the homework states it.
CLAIMS = {
    "zero-input-keeps-state": "if x[t] = 0 then h[t] = h[t−1]",
    "forget-zero-blocks-gradient": "if f[t] ≈ 0, no gradient reaches earlier steps",
    "gates-nonnegative": "f[t], i[t], o[t] are non-negative",
    "gates-sum-to-one": "f[t], i[t], o[t] sum to 1",
    "gates-match-hidden-size": "f[t], i[t], o[t] have the dimension of h[t]",
}

RANDOM_SIZES = (2, 3)  # hidden and input size of the random LSTMs searched
SEARCH_DRAWS = 20  # random LSTMs tried after the given one
CHANGE = 1e-6  # a difference beyond this is a real counterexample, not rounding
FORGET_SHIFT = 40.0  # b_f is lowered by this to make f[t] ≈ 0 (σ(−40) ≈ 4e-18)
DELTA = 1e-6  # step of the central differences
UNITS_PROBED = 8  # units of h[t-1] whose gradient is probed, per LSTM
SWEEP = np.linspace(-60.0, 60.0, 1201)  # pre-activations for the non-negativity sweep
SHAPES = ((1, 2), (3, 2), (2, 5))  # (H, D) of the random LSTMs whose gate shapes are checked

OPS = LstmOps()  # the forward pass's own operations
OP_FIELDS = tuple(f.name for f in dataclasses.fields(LstmOps))  # an experiment may use any of them
# A claim is true or false: no arithmetic mistake explains a wrong verdict (lstm-forward's
# mistakes are for forward passes, and would tell a student "tanh used for the gates").
MISTAKES: tuple = ()
REDRAW: tuple[str, ...] = ()  # true/false claims: nothing numeric to redraw
# What a problem sheet shows as given (lstmhw.sheet): nothing; the claims are the questions, and
# `lstm` and `seed` only say where the solver looks for its evidence.
GIVEN_KEYS: tuple[str, ...] = ()


def question(params: ClaimsParams, quantity: str) -> str | None:
    """The claim a label asks about, in the homework's words (for handouts and templates)."""
    claim = params.claims.get(quantity)
    return CLAIMS[claim] if claim is not None else None


def degenerate(trace: Trace, original: Trace) -> str | None:
    return None


@dataclass(frozen=True)
class ClaimsParams:
    """True/false claims about LSTMs, each checked by experiment on the problem's LSTM and random ones."""

    claims: dict[str, str]  # label (the quantity's name, e.g. "a") -> claim id, in file order
    weights: Weights | None  # the problem's own LSTM, tried first
    seed: int = 0  # for the random LSTMs


@dataclass(frozen=True)
class Evidence:
    """A claim's verdict and the experiment that settles it, in text, LaTeX and words."""

    verdict: bool
    formula: str  # the experiment's numbers, as text
    latex: str
    why: str  # the reason in words


# -- reading a problem -----------------------------------------------------------
def read(c: Checker) -> ClaimsParams | None:
    raw = c.get(("claims",))
    claims: dict[str, str] = {}
    example = "e.g. {a: zero-input-keeps-state}"
    if raw is MISSING:
        c.fail((), f"missing key 'claims', expected a mapping of label to claim, {example}")
    elif not isinstance(raw, dict) or not raw:
        c.fail(("claims",), f"{describe(raw)}, expected a mapping of label to claim, {example}")
    else:
        for label, claim in raw.items():
            if isinstance(claim, str) and claim in CLAIMS:
                claims[str(label)] = claim
            else:
                hint = did_you_mean(claim, list(CLAIMS)) if isinstance(claim, str) else ""
                c.fail(("claims", label), f"{describe(claim)}{hint} is not a known claim, expected one of {', '.join(CLAIMS)}")
    weights = None
    if c.has(("lstm",)):
        lstm = c.mapping(("lstm",), ("W", "U", "b"), required=("W", "U", "b"))
        if lstm is not None and all(key in lstm for key in ("W", "U", "b")):
            before = len(c.errors)
            weights, H, D = read_weights(c, prefix=("lstm",))
            if weights is None and len(c.errors) == before:
                c.fail(("lstm",), f"hidden size {H} and input size {D}, expected sizes of at least 1")
    seed = c.number(("seed",), default=0, integer=True, minimum=0, maximum=2**63 - 1)
    if c.errors or not claims or seed is None:
        return None
    return ClaimsParams(claims=claims, weights=weights, seed=int(seed))


def default_ask(params: ClaimsParams) -> list[str]:
    return list(params.claims)


# -- the LSTM, one step, and where the experiments get their LSTMs -----------------
def lstm_step(w: Weights, x: np.ndarray, h: np.ndarray, c: np.ndarray, ops: LstmOps) -> dict[str, np.ndarray]:
    """One time step, by lstm-forward's own steps (:func:`cell_steps`) on a scratch trace."""
    tracer = Tracer(ops)
    tracer.given("h[0]", h)
    tracer.given("c[0]", c)
    cell_steps(tracer, w, 1, x)
    return {name: tracer.value(f"{name}[1]") for name in ("f", "i", "o", "c_tilde", "c", "h")}


def random_weights(rng: np.random.Generator, H: int, D: int) -> Weights:
    return Weights(
        W={g: rng.normal(size=(H, D)) for g in GATES},
        U={g: rng.normal(size=(H, H)) for g in GATES},
        b={g: rng.normal(size=H) for g in GATES},
    )


def lstms(params: ClaimsParams) -> Iterator[tuple[str, Weights, np.random.Generator]]:
    """(words, weights, rng for states): the given LSTM first, then seeded random ones.

    Every experiment starts this afresh, so its result does not depend on the
    order of the claims in the file.
    """
    rng = np.random.default_rng(params.seed)
    if params.weights is not None:
        yield "the given LSTM", params.weights, rng
    for draw in range(1, SEARCH_DRAWS + 1):
        yield f"random LSTM (seed {params.seed}, draw {draw})", random_weights(rng, *RANDOM_SIZES), rng


def states(w: Weights, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(h[t-1], c[t-1]): the zero state, then a few random ones."""
    H = w.hidden
    yield np.zeros(H), np.zeros(H)
    for _ in range(3):
        yield rng.uniform(-0.9, 0.9, H), rng.uniform(-2, 2, H)


def _vec(a: Any) -> str:
    values = np.asarray(a, dtype=float).reshape(-1)
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


def _tex_vec(a: Any) -> str:
    values = np.asarray(a, dtype=float).reshape(-1)
    return r"\left[" + ", ".join(_tex_num(v) for v in values) + r"\right]"


def _tex_num(v: float) -> str:
    text = f"{v:.4g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"


def _tex_words(words: str) -> str:
    return r"\text{" + words + "}"


# -- the experiments -------------------------------------------------------------
def zero_input_keeps_state(params: ClaimsParams, ops: LstmOps) -> Evidence:
    for source, w, rng in lstms(params):
        for h, c in states(w, rng):
            x = np.zeros(w.inputs)
            h_new = lstm_step(w, x, h, c, ops)["h"]
            if np.max(np.abs(h_new - h)) > CHANGE:
                return Evidence(
                    False,
                    f"{source}: x[t] = 0, h[t−1] = {_vec(h)}, c[t−1] = {_vec(c)} → h[t] = {_vec(h_new)} ≠ h[t−1]",
                    rf"{_tex_words(source + ':')}\ x_t = 0,\ h_{{t-1}} = {_tex_vec(h)},\ c_{{t-1}} = {_tex_vec(c)}"
                    rf" \Rightarrow h_t = {_tex_vec(h_new)} \neq h_{{t-1}}",
                    "a counterexample: with x[t] = 0 the gates still see U·h[t−1] + b, so the state moves",
                )
    return Evidence(True, "h[t] = h[t−1] whenever x[t] = 0, in every LSTM and state tried",
                    r"h_t = h_{t-1}\ " + _tex_words("in every trial"), "no counterexample found")


def forget_zero_blocks_gradient(params: ClaimsParams, ops: LstmOps) -> Evidence:
    for source, w, rng in lstms(params):
        closed = Weights(w.W, w.U, {**w.b, "f": w.b["f"] - FORGET_SHIFT})  # f_t ≈ 0
        x = np.zeros(w.inputs)
        for h, c in list(states(w, rng))[1:]:  # a non-zero c[t-1], so the cell path exists
            f = lstm_step(closed, x, h, c, ops)["f"]
            if np.max(np.abs(f)) > CHANGE:
                continue
            for j in range(min(w.hidden, UNITS_PROBED)):
                e = np.zeros(w.hidden)
                e[j] = DELTA
                column = (lstm_step(closed, x, h + e, c, ops)["h"] - lstm_step(closed, x, h - e, c, ops)["h"]) / (2 * DELTA)
                if np.max(np.abs(column)) > 1e-4:
                    return Evidence(
                        False,
                        f"{source}, b_f lowered by {FORGET_SHIFT:g}, x[t] = 0, h[t−1] = {_vec(h)}, "
                        f"c[t−1] = {_vec(c)}: f[t] = {_vec(f)} ≈ 0, yet "
                        f"∂h[t]/∂h[t−1][{j + 1}] = {_vec(column)} ≠ 0 (central difference, δ = {DELTA:g})",
                        rf"{_tex_words(source + ':')}\ f_t = {_tex_vec(f)} \approx 0,\ "
                        rf"\frac{{\partial h_t}}{{\partial h_{{t-1,{j + 1}}}}} = {_tex_vec(column)} \neq 0",
                        "f[t] ≈ 0 cuts only the cell path c[t−1] → c[t]; the gradient still reaches h[t−1], and so "
                        "earlier steps, through i[t], o[t] and c̃[t], whose pre-activations contain U·h[t−1]",
                    )
    return Evidence(True, "∂h[t]/∂h[t−1] = 0 whenever f[t] ≈ 0, in every LSTM tried",
                    _tex_words("zero gradient in every trial"), "no counterexample found")


def gates_nonnegative(params: ClaimsParams, ops: LstmOps) -> Evidence:
    values = np.asarray(ops.gate(SWEEP), dtype=float)
    at = int(np.nanargmin(values)) if not np.all(np.isnan(values)) else 0
    lowest = float(values[at])
    source, w, rng = next(lstms(params))
    gates = {g: [] for g in "fio"}
    for h, c in states(w, rng):
        out = lstm_step(w, rng.normal(size=w.inputs), h, c, ops)
        for g in gates:
            gates[g].extend(np.asarray(out[g], dtype=float).reshape(-1))
    mins = {g: float(np.min(v)) for g, v in gates.items()}
    smallest = min(mins.values())
    verdict = bool(lowest >= 0 and smallest >= 0)
    sweep = f"min σ(z) over {SWEEP.size:,} values z ∈ [{SWEEP[0]:g}, {SWEEP[-1]:g}] = {lowest:.4g}"
    run = f"{source}: min f = {mins['f']:.4g}, min i = {mins['i']:.4g}, min o = {mins['o']:.4g}"
    tex = (rf"\min_{{z \in [{SWEEP[0]:g}, {SWEEP[-1]:g}]}} \sigma(z) = {_tex_num(lowest)},\ "
           rf"\min f = {_tex_num(mins['f'])},\ \min i = {_tex_num(mins['i'])},\ \min o = {_tex_num(mins['o'])}")
    if verdict:
        return Evidence(True, f"{sweep} ≥ 0; {run}", tex,
                        "f, i and o are σ of their pre-activations, and σ(z) = 1/(1 + exp(−z)) lies in (0, 1)")
    return Evidence(False, f"{sweep} at z = {SWEEP[at]:g}; {run}: below 0", tex,
                    "a counterexample: the gate function gives a negative value")


def gates_sum_to_one(params: ClaimsParams, ops: LstmOps) -> Evidence:
    for source, w, rng in lstms(params):
        for x in (np.zeros(w.inputs), rng.normal(size=w.inputs)):
            out = lstm_step(w, x, np.zeros(w.hidden), np.zeros(w.hidden), ops)
            total = out["f"] + out["i"] + out["o"]
            u = int(np.argmax(np.abs(total - 1)))
            if abs(total[u] - 1) > CHANGE:
                f, i, o, s = out["f"][u], out["i"][u], out["o"][u], total[u]
                unit = f" (unit {u + 1})" if w.hidden > 1 else ""
                return Evidence(
                    False,
                    f"{source}: x[t] = {_vec(x)}, h[t−1] = 0: f + i + o = {f:.4g} + {i:.4g} + {o:.4g} = {s:.4g} ≠ 1{unit}",
                    rf"{_tex_words(source + ':')}\ x_t = {_tex_vec(x)}:\ f + i + o = {_tex_num(f)} + {_tex_num(i)}"
                    rf" + {_tex_num(o)} = {_tex_num(s)} \neq 1",
                    "a counterexample: each gate has its own weights and its own σ; nothing ties their sum to 1 "
                    "(it can be anywhere in (0, 3))",
                )
    return Evidence(True, "f + i + o = 1 in every LSTM and input tried", _tex_words("f + i + o = 1 in every trial"),
                    "no counterexample found")


def gates_match_hidden_size(params: ClaimsParams, ops: LstmOps) -> Evidence:
    rng = np.random.default_rng(params.seed)
    cases = [("the given LSTM", params.weights)] if params.weights is not None else []
    cases += [(f"random LSTM H = {H}, D = {D}", random_weights(rng, H, D)) for H, D in SHAPES]
    seen, sizes = [], []
    for source, w in cases:
        H, D = w.hidden, w.inputs
        out = lstm_step(w, rng.normal(size=D), rng.normal(size=H), rng.normal(size=H), ops)
        shapes = {g: np.shape(out[g]) for g in ("f", "i", "o", "h")}
        if len(set(shapes.values())) > 1:
            listed = ", ".join(f"{g}: {s}" for g, s in shapes.items())
            return Evidence(False, f"{source}: {listed}", _tex_words(f"{source}: {listed}"),
                            "a counterexample: a gate's shape differs from h_t's")
        seen.append(f"{shapes['h']} for {source}" + ("" if source.startswith("random") else f" (H = {H}, D = {D})"))
        sizes.append(f"({H}, {D})")
    listed = "; ".join(seen)
    return Evidence(
        True,
        f"f, i, o and h[t] have the same shape: {listed}",
        r"\operatorname{shape}(f_t) = \operatorname{shape}(i_t) = \operatorname{shape}(o_t) = \operatorname{shape}(h_t)"
        rf",\ \text{{for }} (H, D) \in \{{{', '.join(sizes)}\}}",
        "each gate is σ(W_g·x + U_g·h + b_g) with W_g H×D, U_g H×H and b_g of H: a vector of H, like h[t]",
    )


EXPERIMENTS: dict[str, Callable[[ClaimsParams, LstmOps], Evidence]] = {
    "zero-input-keeps-state": zero_input_keeps_state,
    "forget-zero-blocks-gradient": forget_zero_blocks_gradient,
    "gates-nonnegative": gates_nonnegative,
    "gates-sum-to-one": gates_sum_to_one,
    "gates-match-hidden-size": gates_match_hidden_size,
}


# -- a wrong verdict, in words a TA would write ---------------------------------
# What a student who judges the claim wrongly has missed, said for the verdict the experiment found.
MISCONCEPTIONS = {
    "zero-input-keeps-state": "x[t] = 0 does not freeze an LSTM: its gates still see U·h[t−1] + b, so h[t] moves",
    "forget-zero-blocks-gradient": "f[t] ≈ 0 cuts only the cell path c[t−1] → c[t]; the gradient still reaches h[t−1] "
    "through i[t], o[t] and c̃[t]",
    "gates-nonnegative": "f, i and o are sigmoids, and σ(z) = 1/(1 + exp(−z)) lies in (0, 1): never negative",
    "gates-sum-to-one": "f, i and o are separate sigmoids, not a softmax: nothing makes them sum to 1",
    "gates-match-hidden-size": "each gate is σ(W_g·x + U_g·h + b_g) with W_g H×D and U_g H×H: a vector of H, like h[t]",
}


def misconception(trace: Trace, name: str) -> str | None:
    """Why the verdict on claim ``name`` is what it is, with the evidence: feedback for a wrong answer."""
    step = trace[name]
    claim = step.data.get("claim")
    if claim not in MISCONCEPTIONS:
        return None
    verdict = "true" if step.value else "false"
    return f"“{CLAIMS[claim]}” is {verdict}: {MISCONCEPTIONS[claim]} — {step.formula}"


# -- the solution ----------------------------------------------------------------
def solve(params: ClaimsParams, tracer: Tracer) -> None:
    for label, claim in params.claims.items():
        with np.errstate(all="ignore"):  # a patched σ may overflow on the sweep; its verdict still stands
            evidence = EXPERIMENTS[claim](params, tracer.ops)
        verdict = bool(evidence.verdict)
        # The experiment is the step's function: it has no inputs (no student value reaches it)
        # and may use every operation of the LSTM, so its verdict is its only datum.
        tracer.step(
            label,
            evidence.formula,
            evidence.latex,
            [],
            lambda ops, verdict, claim: verdict,
            uses=OP_FIELDS,
            data={"verdict": verdict, "claim": claim},
            group="claims",
            note=f"“{CLAIMS[claim]}” is {'true' if verdict else 'false'}: {evidence.why}",
        )


TEMPLATE = """\
# True/false claims about an LSTM, each decided by an experiment that is shown.
# Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: claims   # optional: without it the id is the file's name, so templates never clash
title: LSTM true or false
solver: lstm-claims
claims:                            # label: claim id (the labels are what is asked and graded)
  a: zero-input-keeps-state        # "if x_t = 0 then h_t = h_{t-1}"
  b: forget-zero-blocks-gradient   # "if f_t ~ 0, no gradient reaches earlier steps"
  c: gates-nonnegative             # "f_t, i_t, o_t are non-negative"
  d: gates-sum-to-one              # "f_t, i_t, o_t sum to 1"
  e: gates-match-hidden-size       # "f_t, i_t, o_t have the dimension of h_t"
# Optional: an LSTM to find the evidence in first (as in lstm-forward: W_g H×D, U_g H×H, b_g of H).
lstm:
  W: {f: [[1, 2]], i: [[-1, 0]], c: [[1, 2]], o: [[3, 0]]}
  U: {f: [[0.5]],  i: [[2]],     c: [[1.5]],  o: [[-1]]}
  b: {f: [0.2],    i: [-0.1],    c: [0.5],    o: [0.8]}
seed: 0                            # optional: seed of the random LSTMs searched after it
ask: [a, b, c, d, e]
"""
