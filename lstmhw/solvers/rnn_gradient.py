"""Vanishing and exploding gradients of a simple RNN ``h[m] = φ(W_h·h[m-1] + W_x·x[m] + b)``.

Backpropagating one step multiplies the gradient by ``∂h[m]/∂h[m-1] =
diag(φ′(z[m]))·W_h``.  At a fixed point (h = 0, x = 0, so every z[m] = z) a
scalar weight w gives the per-step factor |w|·φ′(z), hence::

    critical_W = 1/φ′(z)                          factor 1: neither shrinks nor grows
    W_vanish   = critical_W · target^(1/steps)    shrinks by `target` over `steps`
    W_explode  = critical_W · target^(−1/steps)   grows by 1/`target` over `steps`

closed forms, valid for any number of steps.  With a scalar ``W_h``: its
``factor``, the ``ratio`` |∂h[steps]/∂h[0]| = factor^steps, the ``regime`` and
``steps_to_target``.  With a square matrix ``W_h`` the solver follows a
trajectory step by step (the fixed point, or a real one when ``W_x``, ``x``,
``h0`` or ``b`` are given): ``J[m]``, ``P[m] = J[m]···J[1] = ∂h[m]/∂h[0]``,
``norm[m] = ‖P[m]‖₂``, and Pascanu et al.'s (2013) conditions from σ_max(W_h)
and γ = sup|φ′|.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.limits import MAX_HIDDEN, MAX_RNN_TRAJECTORY, MAX_STEP_INDEX, MAX_TRACE_ELEMENTS
from lstmhw.mathops import sigmoid
from lstmhw.mistakes import Mistake, Variant, one
from lstmhw.problem import Checker, fit, shape_text
from lstmhw.solvers.numbers import num, tex_num
from lstmhw.trace import Trace, Tracer, numeric

NAME = "rnn-gradient"
KEYS = ("activation", "z", "steps", "target", "W_h", "W_x", "x", "h0", "b")
ACTIVATIONS = ("sigmoid-centered", "sigmoid", "tanh", "relu", "linear")
TRAJECTORY_KEYS = ("W_x", "x", "h0", "b")

PHI_TEXT = {
    "sigmoid-centered": "σ(z) − 0.5",
    "sigmoid": "σ(z)",
    "tanh": "tanh(z)",
    "relu": "max(0, z)",
    "linear": "z",
}
DERIVATIVE_TEXT = {
    "sigmoid-centered": "σ(z)·(1 − σ(z))",
    "sigmoid": "σ(z)·(1 − σ(z))",
    "tanh": "1 − tanh²(z)",
    "relu": "1 if z > 0, else 0",
    "linear": "1",
}
DERIVATIVE_TEX = {
    "sigmoid-centered": r"\sigma(z)\,(1 - \sigma(z))",
    "sigmoid": r"\sigma(z)\,(1 - \sigma(z))",
    "tanh": r"1 - \tanh^2(z)",
    "relu": r"[z > 0]",
    "linear": "1",
}
# Where |φ′| is largest, so γ = sup|φ′| = φ′(PEAK): σ′ peaks at 0 (1/4), tanh′ at 0 (1).
PEAK = {"sigmoid-centered": 0.0, "sigmoid": 0.0, "tanh": 0.0, "relu": 1.0, "linear": 0.0}
NEUTRAL_TOLERANCE = 1e-12  # |factor − 1| below this is "neutral" (4·0.25 is exactly 1 anyway)


# -- the operations a mistake can change ---------------------------------------
def activate(name: str, z: Any) -> Any:
    """φ(z) elementwise."""
    z = np.asarray(z, dtype=float)
    if name == "sigmoid-centered":
        return sigmoid(z) - 0.5
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return z


def derivative(name: str, z: Any) -> Any:
    """φ′(z) elementwise, accurate far from 0 too (ReLU′(0) = 0, as PyTorch takes it)."""
    z = np.asarray(z, dtype=float)
    if name in ("sigmoid-centered", "sigmoid"):
        return sigmoid(z) * sigmoid(-z)  # = σ(1 − σ), without 1 − σ rounding to 0 for large z
    if name == "tanh":
        e = np.exp(-2.0 * np.abs(z))  # sech²z = 4e^(−2|z|)/(1 + e^(−2|z|))², not 1 − tanh² → 0
        return 4.0 * e / (1.0 + e) ** 2
    if name == "relu":
        return (z > 0).astype(float)
    return np.ones_like(z)


def exponent(steps: int) -> float:
    """The exponent of `target` in W_vanish: 1/steps (W_explode uses its negative)."""
    return 1.0 / steps


@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class RnnOps:
    """Everything a known mistake changes is one field here (see lstmhw.mistakes)."""

    activate: Callable[[str, Any], Any] = activate  # φ(z), for a real trajectory
    derivative: Callable[[str, Any], Any] = derivative  # φ′(z): phi_prime, gamma, every J[m]
    exponent: Callable[[int], float] = exponent  # 1/steps in target^(1/steps); W_explode uses −exponent


OPS = RnnOps()


# -- the mistakes students make here, each a patch to RnnOps --------------------
def _constant_derivative(value: float) -> Callable[[str, Any], np.ndarray]:
    return lambda name, z: np.full(np.shape(z), value)


MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "derivative-at-zero-wrong",
        (
            Variant({"derivative": _constant_derivative(0.5)}, "φ′ taken as 1/2 (σ′(0) = σ(0)(1−σ(0)) = 1/4)"),
            Variant({"derivative": _constant_derivative(1.0)}, "φ′ taken as 1 (σ′(0) = σ(0)(1−σ(0)) = 1/4)"),
        ),
    ),
    one(
        "target-exponent-inverted",
        "target^(−1/steps) instead of target^(1/steps): the exponent's sign is inverted, which swaps W_vanish and W_explode",
        exponent=lambda steps: -1.0 / steps,
    ),
)
# z, steps, target and activation define the question ("which W vanishes?"): kept by `variant`.
REDRAW = ("W_h", "W_x", "x", "h0", "b")
KNIFE_EDGE = 0.05  # a per-step factor (or σ_max·γ) this close to 1 puts the regime on a knife edge


def degenerate(trace: Trace, original: Trace) -> str | None:
    """The regime must not sit on a knife edge: per-step factor, or σ_max·γ, away from 1."""
    checks: list[tuple[str, Callable[[Trace], float]]] = []
    if "factor" in trace:
        checks.append(("factor", lambda t: abs(float(numeric(t.value("factor")).max()))))
    for name in ("sigma_max", "spectral_radius"):
        if name in trace and "gamma" in trace:
            checks.append(
                (f"{name}·gamma", lambda t, n=name: float(numeric(t.value(n)).max()) * float(numeric(t.value("gamma")).max()))
            )
    for label, measure in checks:
        value = measure(trace)
        try:
            unchanged = value == measure(original)
        except (KeyError, TypeError, AttributeError):
            unchanged = False
        if not unchanged and abs(value - 1) <= KNIFE_EDGE:
            return f"{label} = {value:.4g} is within {KNIFE_EDGE} of 1 (a knife-edge regime)"
    return None


@dataclass(frozen=True)
class Trajectory:
    """A real input sequence whose hidden states the matrix analysis runs along."""

    W_x: np.ndarray  # H×D
    x: np.ndarray  # steps×D, one row per step
    h0: np.ndarray  # H
    b: np.ndarray  # H


@dataclass(frozen=True)
class RnnParams:
    """A vanishing/exploding-gradient question: the activation, the fixed point z, the horizon and W_h."""

    activation: str
    z: float  # the fixed point's pre-activation
    steps: int
    target: float  # "vanishes" = shrinks by this factor over `steps`
    W_h: float | np.ndarray | None = None  # a float: scalar analysis; an H×H array: matrix analysis
    trajectory: Trajectory | None = None  # a real trajectory (matrix analysis only)

    @property
    def matrix(self) -> bool:
        return isinstance(self.W_h, np.ndarray)


# -- reading a problem -----------------------------------------------------------
def read(c: Checker) -> RnnParams | None:
    activation = c.text(("activation",), choices=ACTIVATIONS)
    z = c.number(("z",), default=0.0)
    target = c.number(("target",), above=0, below=1)
    W_h = c.array(("W_h",), default=None)
    following = any(c.has((key,)) for key in TRAJECTORY_KEYS)
    if W_h is not None and W_h.ndim == 0 and following:
        W_h = W_h.reshape(1, 1)  # a trajectory is followed in the matrix analysis, with H = 1
    if W_h is not None and W_h.ndim != 0 and (W_h.ndim != 2 or W_h.shape[0] != W_h.shape[1]):
        c.fail(("W_h",), f"shape {shape_text(W_h.shape)}, expected a number or a square matrix (H, H)")
        W_h = None
    elif W_h is not None and W_h.ndim == 2 and W_h.shape[0] > MAX_HIDDEN:
        c.fail(("W_h",), f"state size {W_h.shape[0]:,}, expected at most {MAX_HIDDEN:,}")
        W_h = None
    if following and not c.has(("W_h",)):
        c.fail((), f"{', '.join(k for k in TRAJECTORY_KEYS if c.has((k,)))} without W_h, expected W_h to follow a trajectory")
    matrix = W_h is not None and W_h.ndim == 2
    most = MAX_RNN_TRAJECTORY if matrix else MAX_STEP_INDEX  # only the matrix analysis loops over steps
    steps = c.number(("steps",), integer=True, minimum=1, maximum=most)
    if matrix and steps is not None and steps * W_h.size > MAX_TRACE_ELEMENTS:
        c.fail(("steps",), f"{steps:,} Jacobians of {W_h.size:,} values, expected at most {MAX_TRACE_ELEMENTS:,} values in all")
        steps = None
    trajectory = _read_trajectory(c, W_h, steps) if matrix and following and steps is not None else None
    if c.errors or activation is None or z is None or target is None or steps is None:
        return None
    params = RnnParams(
        activation=activation,
        z=float(z),
        steps=int(steps),
        target=float(target),
        W_h=None if W_h is None else (float(W_h) if W_h.ndim == 0 else W_h),
        trajectory=trajectory,
    )
    return params if _finite_run(c, params) else None


def _read_trajectory(c: Checker, W_h: np.ndarray, steps: int) -> Trajectory | None:
    H = W_h.shape[0]
    W_x = c.array(("W_x",), default=None)
    x = c.array(("x",), default=None)
    ok = True
    if W_x is None and x is not None:
        c.fail(("x",), "x without W_x, expected W_x (H×D) to say how x enters")
        return None
    if W_x is None:
        W_x, x = np.zeros((H, 1)), np.zeros((1, 1))
    else:
        if W_x.ndim < 2:  # a number is 1×1; a flat list is a row for H = 1, else a column
            W_x = W_x.reshape(1, -1) if H == 1 else W_x.reshape(-1, 1)
        if W_x.shape[0] != H:
            c.fail(("W_x",), f"shape {shape_text(W_x.shape)}, expected ({H}, D) for state size {H}")
            return None
        D = W_x.shape[1]
        if x is None:
            x = np.zeros((1, D))
        elif x.ndim < 2:  # a flat list: one number per step when D = 1, else one row for every step
            x = x.reshape(-1, 1) if D == 1 else x.reshape(1, -1)
        if x.shape[1] != D or x.shape[0] not in (1, steps):
            c.fail(("x",), f"shape {shape_text(x.shape)}, expected (1, {D}) (the same input every step) "
                   f"or ({steps}, {D}) (one row per step)")
            ok = False
    state = {}
    for key in ("h0", "b"):
        raw = c.array((key,), default=None)
        state[key] = np.zeros(H) if raw is None else fit(raw, H, None)
        if state[key] is None:
            c.fail((key,), f"shape {shape_text(raw.shape)}, expected ({H},) for state size {H}")
            ok = False
    if not ok:
        return None
    x = np.repeat(x, steps, axis=0) if x.shape[0] == 1 else x
    return Trajectory(W_x=W_x, x=x, h0=state["h0"], b=state["b"])


def _finite_run(c: Checker, params: RnnParams) -> bool:
    """Solve once quietly: a value beyond a float's range becomes a located error now."""
    tracer = Tracer(OPS)
    with np.errstate(all="ignore"):
        solve(params, tracer)
    for step in tracer.steps.values():
        if isinstance(step.value, (str, bool)) or np.all(np.isfinite(step.value)):
            continue
        key = "steps" if step.name.split("[")[0] in ("ratio", "P", "norm") else "target" if step.name.startswith("W_") else "W_h"
        if key == "steps":
            c.fail((key,), f"{params.steps:,}, but {step.name} overflows (beyond ±1.8e308), expected fewer steps")
        else:
            c.fail((key,), f"a value that makes {step.name} overflow (beyond ±1.8e308), expected one that keeps it finite")
        return False
    return True


def default_ask(params: RnnParams) -> list[str]:
    asked = ["phi_prime", "critical_W", "W_vanish", "W_explode"] if _passes(params) else ["phi_prime"]
    if params.W_h is None:
        return asked
    if params.matrix:
        return asked + ["ratio", "vanishing_guaranteed", "exploding_possible"]
    return asked + ["factor", "regime"]


# -- the solution ----------------------------------------------------------------
def _passes(params: RnnParams) -> bool:
    """Whether the gradient passes the fixed point at all (φ′(z) > 0; not so for ReLU at z ≤ 0)."""
    return float(derivative(params.activation, params.z)) > 0


def _float(value: Any) -> float:
    return float(np.asarray(value, dtype=float))


def _num(x: float) -> str:
    return num(x, ".6g")


def _tex_num(x: float) -> str:
    return tex_num(x, ".6g")


def norm2(P: Any) -> float:
    """The spectral norm ‖P‖₂; inf for a product that has already overflowed (SVD needs finite numbers)."""
    P = np.asarray(P, dtype=float)
    return float(np.linalg.norm(P, 2)) if np.all(np.isfinite(P)) else float("inf")


def regime_of(factor: float) -> str:
    if abs(factor - 1.0) <= NEUTRAL_TOLERANCE:
        return "neutral"
    return "vanishing" if factor < 1.0 else "exploding"


def _divide(a: float, b: float) -> float:
    """a/b as a float; b = 0 (only from a student's own values) gives inf quietly."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / np.float64(b))


def _power(base: float, exp: float) -> float:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return float(np.power(np.float64(base), np.float64(exp)))


def steps_to_target(factor: float, target: float) -> float:
    """Steps n with factor^n = target (vanishing) or 1/target (exploding): ln(...)/ln(factor)."""
    regime = regime_of(factor)
    if regime == "neutral" or factor <= 0:
        return float("inf") if regime == "neutral" else 0.0  # never; or at once (nothing passes)
    goal = target if regime == "vanishing" else 1.0 / target
    return float(np.log(goal) / np.log(factor))


def solve(params: RnnParams, tracer: Tracer) -> None:
    act, z, n, target = params.activation, params.z, params.steps, params.target
    fixed = f"fixed point: h = 0, x = 0, z = {_num(z)}"
    tracer.given("z", z, group=fixed)
    tracer.step(
        "phi_prime",
        f"φ′(z) = {DERIVATIVE_TEXT[act]} at z = {_num(z)}",
        rf"\varphi'({_tex_num(z)}) = \left.{DERIVATIVE_TEX[act]}\right|_{{z={_tex_num(z)}}}",
        ["z"],
        lambda ops, z, act: _float(ops.derivative(act, z)),
        uses=("derivative",),
        data={"act": act},
        group=fixed,
        note=f"the derivative of φ(z) = {PHI_TEXT[act]}" if _passes(params) else "φ′(z) = 0"
        + (" (a ReLU is off at z ≤ 0)" if act == "relu" else " (to float64 precision: φ is saturated here)")
        + ": no gradient passes at all, for any W_h, so there is no critical W",
    )
    peak = PEAK[act]
    tracer.step(
        "gamma",
        f"sup |φ′| = φ′({_num(peak)}), where φ′ is largest",
        rf"\sup_z |\varphi'(z)| = \varphi'({_tex_num(peak)})",
        [],
        lambda ops, act, peak: _float(ops.derivative(act, peak)),
        uses=("derivative",),
        data={"act": act, "peak": peak},
        group=fixed,
    )
    if _passes(params):
        tracer.step(
            "critical_W",
            "1 / φ′(z)",
            r"\frac{1}{\varphi'(z)}",
            ["phi_prime"],
            lambda ops, d: _divide(1.0, d),
            group=fixed,
            note="at this |W| each step multiplies the gradient by |W|·φ′(z) = 1: it keeps its size",
        )
        tracer.step(
            "W_vanish",
            f"critical_W · {_num(target)}^(1/{n})",
            rf"W_c \cdot \left({_tex_num(target)}\right)^{{1/{n}}}",
            ["critical_W"],
            lambda ops, w, target, n: _float(w * _power(target, ops.exponent(n))),
            uses=("exponent",),
            data={"target": target, "n": n},
            group=fixed,
            note=f"at this |W| the gradient shrinks by {_num(target)} over {n} steps (more below it)",
        )
        tracer.step(
            "W_explode",
            f"critical_W · (1/{_num(target)})^(1/{n})",
            rf"W_c \cdot \left(\frac{{1}}{{{_tex_num(target)}}}\right)^{{1/{n}}}",
            ["critical_W"],
            lambda ops, w, target, n: _float(w * _power(target, -ops.exponent(n))),
            uses=("exponent",),
            data={"target": target, "n": n},
            group=fixed,
            note=f"at this |W| the gradient grows by {_num(1 / target)} over {n} steps (more above it)",
        )
    if params.W_h is None:
        return
    if params.matrix:
        _matrix_analysis(params, tracer)
    else:
        _scalar_analysis(params, tracer)


def _scalar_analysis(params: RnnParams, tracer: Tracer) -> None:
    n, target = params.steps, params.target
    group = f"W_h = {_num(params.W_h)}"
    # Which steps exist, and what their notes say, follow from the problem alone (the key's own
    # numbers), never from a student's values or a mistake: the steps are static (lstmhw.reruns).
    true_factor = abs(params.W_h) * float(derivative(params.activation, params.z))
    true_ratio = _power(true_factor, n)
    true_regime = regime_of(true_factor)
    tracer.given("W_h", params.W_h, group=group)
    tracer.step(
        "factor",
        "|W_h|·φ′(z)",
        r"|W_h|\, \varphi'(z)",
        ["W_h", "phi_prime"],
        lambda ops, w, d: _float(abs(w) * d),
        group=group,
        note="what one step of backpropagation multiplies the gradient by",
    )
    tracer.step(
        "ratio",
        f"factor^{n}",
        rf"\left|\frac{{\partial h_{{{n}}}}}{{\partial h_0}}\right| = \text{{factor}}^{{{n}}}",
        ["factor"],
        lambda ops, f, n: _power(f, n),
        data={"n": n},
        group=group,
        note=f"|∂h[{n}]/∂h[0]|: the gradient's size after {n} steps, relative to the start",
    )
    words = {
        "vanishing": f"factor {_num(true_factor)} < 1: every step shrinks the gradient; after {n} steps it is "
        f"{_num(true_ratio)} of its size" + (f", below the target {_num(target)}" if true_ratio <= target else ""),
        "exploding": f"factor {_num(true_factor)} > 1: every step grows the gradient; after {n} steps it is "
        f"{_num(true_ratio)} times its size" + (f", beyond 1/target = {_num(1 / target)}" if true_ratio >= 1 / target else ""),
        "neutral": "factor = 1: the gradient keeps its size at every step (|W_h| is the critical W)",
    }
    tracer.step(
        "regime",
        "vanishing if factor < 1, exploding if factor > 1, else neutral",
        # in words on one line: a cases block would set its value beside the middle case
        r"\text{vanishing if factor} < 1,\ \text{exploding if factor} > 1,\ \text{else neutral}",
        ["factor"],
        lambda ops, f: regime_of(f),
        group=group,
        note=words[true_regime],
    )
    if true_regime == "neutral" or true_factor <= 0:
        return  # never reaches the target, or nothing passes from the first step on
    goal, tex_goal = (
        (f"{_num(target)}", _tex_num(target)) if true_regime == "vanishing" else (f"1/{_num(target)}", rf"1/{_tex_num(target)}")
    )
    shrinks = true_regime == "vanishing"
    until = f"steps until the gradient has {'shrunk' if shrinks else 'grown'} by {_num(target if shrinks else 1 / target)}"
    formula = f"ln({goal}) / ln(factor)"
    tracer.step(
        "steps_to_target", formula, rf"\frac{{\ln({tex_goal})}}{{\ln(\text{{factor}})}}", ["factor"],
        lambda ops, f, target: steps_to_target(f, target), data={"target": target}, group=group, note=until,
    )


def _matrix_analysis(params: RnnParams, tracer: Tracer) -> None:
    act, n, W = params.activation, params.steps, params.W_h
    H = W.shape[0]
    traj = params.trajectory
    group = f"W_h ({H}×{H})"
    tracer.given("W_h", W, group=group)
    walk = f"trajectory m = 1…{n}" if traj is not None else f"fixed point, m = 1…{n}"
    if traj is not None:
        tracer.given("h[0]", traj.h0, group=walk)
    for m in range(1, n + 1):
        if traj is not None:
            x = traj.x[m - 1]
            tracer.step(
                f"z[{m}]",
                f"W_h·h[{m - 1}] + W_x·x[{m}] + b",
                rf"W_h h_{{{m - 1}}} + W_x x_{{{m}}} + b",
                [f"h[{m - 1}]"],
                lambda ops, h, W, W_x, x, b: np.asarray(W @ h + W_x @ x + b, dtype=float),
                data={"W": W, "W_x": traj.W_x, "x": x, "b": traj.b},
                group=walk,
            )
            tracer.step(
                f"h[{m}]",
                f"φ(z[{m}])",
                rf"\varphi(z_{{{m}}})",
                [f"z[{m}]"],
                lambda ops, z, act: np.asarray(ops.activate(act, z), dtype=float),
                uses=("activate",),
                data={"act": act},
                group=walk,
            )
            tracer.step(
                f"J[{m}]",
                f"diag(φ′(z[{m}]))·W_h",
                rf"\operatorname{{diag}}(\varphi'(z_{{{m}}}))\, W_h",
                [f"z[{m}]", "W_h"],
                lambda ops, z, Wh, act: np.asarray(ops.derivative(act, z), dtype=float)[:, None] * Wh,
                uses=("derivative",),
                data={"act": act},
                group=walk,
            )
        else:  # every z[m] is the fixed point's z, so every J[m] is φ′(z)·W_h
            tracer.step(
                f"J[{m}]",
                "diag(φ′(z))·W_h = φ′(z)·W_h",
                r"\varphi'(z)\, W_h",
                ["phi_prime", "W_h"],
                lambda ops, d, Wh: np.asarray(d * Wh, dtype=float),
                group=walk,
            )
        if m == 1:
            tracer.step("P[1]", "J[1]", "J_{1}", ["J[1]"], lambda ops, J: np.asarray(J, dtype=float), group=walk,
                        note="P_m = J_m···J_1 = ∂h_m/∂h_0, the gradient through m steps")
        else:
            tracer.step(
                f"P[{m}]",
                f"J[{m}]·P[{m - 1}]",
                rf"J_{{{m}}} P_{{{m - 1}}}",
                [f"J[{m}]", f"P[{m - 1}]"],
                lambda ops, J, P: np.asarray(J @ P, dtype=float),
                group=walk,
            )
        tracer.step(
            f"norm[{m}]",
            f"‖P[{m}]‖₂",
            rf"\lVert P_{{{m}}} \rVert_2",
            [f"P[{m}]"],
            lambda ops, P: norm2(P),
            group=walk,
        )
    tracer.step(
        "ratio",
        f"norm[{n}]",
        rf"\left\lVert \frac{{\partial h_{{{n}}}}}{{\partial h_0}} \right\rVert_2",
        [f"norm[{n}]"],
        lambda ops, norm: float(norm),
        group=group,
        note=f"‖∂h[{n}]/∂h[0]‖₂: the gradient's size after {n} steps, at most, relative to the start",
    )
    tracer.step(
        "sigma_max",
        "largest singular value of W_h",
        r"\sigma_{\max}(W_h)",
        ["W_h"],
        lambda ops, Wh: float(np.linalg.norm(Wh, 2)),
        group=group,
    )
    tracer.step(
        "spectral_radius",
        "max |eigenvalue of W_h|",
        r"\rho(W_h) = \max_i |\lambda_i(W_h)|",
        ["W_h"],
        lambda ops, Wh: float(np.max(np.abs(np.linalg.eigvals(Wh)))),
        group=group,
        note="≤ σ_max; for a linear RNN the gradient grows or shrinks like ρ^m in the long run",
    )
    # The notes speak of the key's own σ_max and γ, so they never depend on a student's values.
    sigma, gamma = norm2(W), float(derivative(act, PEAK[act]))
    bound = 1.0 / gamma
    vanishing = sigma < bound
    tracer.step(
        "vanishing_guaranteed",
        "σ_max < 1/γ",
        r"\sigma_{\max} < \frac{1}{\gamma}",
        ["sigma_max", "gamma"],
        lambda ops, s, g: bool(s * g < 1.0),
        group=group,
        note=(f"σ_max = {_num(sigma)} < 1/γ = {_num(bound)}: every Jacobian has norm ≤ γ·σ_max < 1, so the "
              "gradient shrinks at least geometrically, whatever the inputs (sufficient; Pascanu et al. 2013)")
        if vanishing else
        (f"σ_max = {_num(sigma)} ≥ 1/γ = {_num(bound)}: the sufficient condition fails, so vanishing is not "
         "guaranteed; whether it shrinks depends on the trajectory (see ratio)"),
    )
    exploding = sigma > bound
    tracer.step(
        "exploding_possible",
        "σ_max > 1/γ",
        r"\sigma_{\max} > \frac{1}{\gamma}",
        ["sigma_max", "gamma"],
        lambda ops, s, g: bool(s * g > 1.0),
        group=group,
        note=(f"σ_max = {_num(sigma)} > 1/γ = {_num(bound)}: the necessary condition holds, so the gradient may "
              "explode; whether it does depends on the trajectory (see ratio)")
        if exploding else
        (f"σ_max = {_num(sigma)} ≤ 1/γ = {_num(bound)}: the necessary condition fails, so the gradient "
         "cannot explode"),
    )


TEMPLATE = """\
# Vanishing/exploding gradients of a simple RNN h[m] = φ(W_h·h[m-1] + W_x·x[m] + b).
# Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: rnn   # optional: without it the id is the file's name, so templates never clash
title: Vanishing and exploding gradients
solver: rnn-gradient
activation: sigmoid-centered   # φ(z) = σ(z) − 0.5; also sigmoid, tanh, relu, linear
z: 0                           # the fixed point's pre-activation (h = 0, x = 0; default 0)
steps: 100                     # how many steps back the gradient travels
target: 1.0e-4                 # "vanishes" = shrinks by this factor over `steps` (0 < target < 1)
W_h: 3.0                       # optional: a scalar, or a square matrix such as [[0.5, 1], [0, 2]]
# With a matrix W_h, optionally follow a real trajectory instead of the fixed point:
# W_x: [[1], [0.5]]            # H×D
# x: [[1], [0], [-1]]          # one row per step (or one row for every step)
# h0: [0, 0]                   # initial state (default zeros)
# b: [0.1, -0.1]               # bias (default zeros)
ask: [phi_prime, critical_W, W_vanish, W_explode]
# also gamma; with a scalar W_h: factor, ratio, regime, steps_to_target;
# with a matrix W_h: J[m], P[m], norm[m], ratio, sigma_max, spectral_radius,
# vanishing_guaranteed, exploding_possible
"""
