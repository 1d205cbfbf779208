"""Gradient clipping, by norm (global or per tensor) or by value, step by step.

With ``by: norm`` (the default), for every named gradient g[name]::

    norm[name] = ‖g[name]‖₂ = √Σ g[name]²            (Frobenius for a matrix)

and then, with ``scope: global`` (PyTorch's ``clip_grad_norm_``, d2l; the default)::

    total_norm    = √Σ_name norm[name]²               (the norm of all gradients as one vector)
    scale         = min(1, max_norm / (total_norm + eps))
    clipped[name] = scale · g[name]

or, with ``scope: per-tensor`` (Keras' ``clipnorm``), each gradient on its own::

    scale[name]   = min(1, max_norm / (norm[name] + eps))
    clipped[name] = scale[name] · g[name]

PyTorch writes ``eps`` as 1e-6 (``clip_coef = max_norm / (total_norm + 1e-6)``, clamped at 1);
the default here is 0, as on paper.  With ``by: value`` (Ng's ``clip()``, PyTorch's
``clip_grad_value_``) every element is clipped on its own and there are no norms::

    clipped[name] = clip(g[name], −max_norm, max_norm)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.limits import MAX_TRACE_ELEMENTS, MAX_TRACE_STEPS
from lstmhw.mistakes import Mistake, one
from lstmhw.problem import Checker, describe
from lstmhw.solvers.numbers import num as _num
from lstmhw.solvers.numbers import tex_num as _tex_num
from lstmhw.trace import Trace, Tracer, numeric

NAME = "clip-grad"
KEYS = ("grads", "max_norm", "scope", "by", "eps")
SCOPES = ("global", "per-tensor")
METHODS = ("norm", "value")
GRADIENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")  # it names steps: norm[dW_h], clipped[dW_h]
KNIFE_EDGE = 0.05  # a variant's norm within 5% of max_norm is on the edge where clipping starts


# -- the operations a mistake can change ---------------------------------------
def two_norm(g: Any) -> float:
    """‖g‖₂ = √Σ g²: the vector 2-norm, the Frobenius norm of a matrix."""
    return float(np.sqrt(np.sum(np.square(g))))


def norm_of_norms(norms: Any) -> float:
    """√Σ norm²: the 2-norm of all the gradients as one vector (PyTorch: the norm of the norms)."""
    return float(np.sqrt(np.sum(np.square(np.asarray(norms, dtype=float)))))


def at_most_one(coefficient: float) -> float:
    """min(1, coefficient): a gradient already within max_norm is left as it is."""
    return min(1.0, float(coefficient))


def rescale(g: Any, scale: float, max_norm: float) -> Any:
    """scale · g (max_norm is for the mistake that clips by value instead)."""
    return np.multiply(scale, g)


def same_scope(scope: str) -> str:
    return scope


@dataclass(frozen=True, eq=False)  # hashed by identity: re-runs are remembered by their ops
class ClipOps:
    """Everything a known mistake changes is one or two fields here (see lstmhw.mistakes)."""

    norm: Any = two_norm  # norm[name]
    combine: Any = norm_of_norms  # total_norm from the norms
    cap: Any = at_most_one  # min(1, ·) in the scale
    rescale: Any = rescale  # clipped[name] = scale · g[name]
    scope: Any = same_scope  # the scope as the student applied it (solve wires the steps by it)


OPS = ClipOps()


# -- the mistakes students make here, each a patch to ClipOps -------------------
def _sum_of_squares(g: Any) -> float:
    return float(np.sum(np.square(g)))


def _sum(norms: Any) -> float:
    return float(np.sum(np.asarray(norms, dtype=float)))


def _uncapped(coefficient: float) -> float:
    return float(coefficient)


def _clip_by_value(g: Any, scale: float, max_norm: float) -> Any:
    return np.clip(g, -max_norm, max_norm)


MISTAKES: tuple[Mistake, ...] = (
    one(
        "per-tensor-instead-of-global",
        "each gradient scaled by its own norm, min(1, max_norm/‖g‖), instead of all by the one global total_norm",
        scope=lambda scope: "per-tensor",
    ),
    one(
        "global-instead-of-per-tensor",
        "every gradient scaled by the global norm of all of them instead of each by its own norm",
        scope=lambda scope: "global",
    ),
    one(
        "scaled-below-threshold",
        "scaled by max_norm/norm although the norm was already below max_norm: the factor is min(1, max_norm/norm)",
        cap=_uncapped,
    ),
    one(
        "clipped-by-value-instead-of-norm",
        "each element clipped to [−max_norm, max_norm] instead of the gradient rescaled by max_norm/norm",
        rescale=_clip_by_value,
    ),
    one(
        "norm-not-square-rooted",
        "the sum of squares Σg² used as the norm: the square root is missing",
        norm=_sum_of_squares,
        combine=_sum,
    ),
)
REDRAW = ("grads",)  # max_norm is the problem's definition: kept, as are scope, by and eps


@dataclass(frozen=True)
class ClipParams:
    """A clipping problem: the gradients, the threshold, and how they are clipped (scope, by norm or value)."""

    grads: dict[str, np.ndarray]  # name -> gradient (a number, a vector or a matrix), in file order
    max_norm: float
    scope: str = "global"
    by: str = "norm"
    eps: float = 0.0


# -- reading a problem -----------------------------------------------------------
def read(c: Checker) -> ClipParams | None:
    max_norm = c.number(("max_norm",), above=0)
    by = c.text(("by",), default="norm", choices=METHODS)
    scope = c.text(("scope",), default="global", choices=SCOPES)
    eps = c.number(("eps",), default=0.0, minimum=0)
    if by == "value":  # elementwise: no norm, so neither a scope nor an eps means anything
        for key, what in (("scope", "scope"), ("eps", "eps")):
            if c.has((key,)):
                c.fail((key,), f"given with by: value, expected {what} only with by: norm (value clipping is elementwise)")
    grads = _read_grads(c)
    if c.errors or grads is None or max_norm is None or by is None or scope is None or eps is None:
        return None
    return ClipParams(grads, float(max_norm), scope, by, float(eps))


def _read_grads(c: Checker) -> dict[str, np.ndarray] | None:
    raw = c.get(("grads",))
    if not c.has(("grads",)):
        c.fail((), "missing key 'grads', expected the named gradients, e.g. grads: {W_h: [[3, -4]], b: [0.5]}")
        return None
    if not isinstance(raw, dict) or not raw:
        c.fail(("grads",), f"{describe(raw)}, expected a mapping of named gradients, e.g. {{W_h: [[3, -4]], b: [0.5]}}")
        return None
    # given, norm, scale (per tensor) and clipped per gradient, then total_norm and scale
    most = (MAX_TRACE_STEPS - 2) // 4
    if len(raw) > most:
        c.fail(("grads",), f"{len(raw):,} gradients, expected at most {most:,} (a solution of at most {MAX_TRACE_STEPS:,} steps)")
        return None
    grads: dict[str, np.ndarray] = {}
    ok = True
    for name in raw:
        if c.full:
            return None
        if not isinstance(name, str) or not GRADIENT_NAME.fullmatch(name):
            c.fail(("grads",) if not isinstance(name, str) else ("grads", name),
                   f"a gradient named {describe(name)}, expected a name of letters, digits and _ starting with a letter "
                   "(at most 40; it names the steps norm[name] and clipped[name])")
            ok = False
            continue
        array = c.array(("grads", name))
        if array is None:
            ok = False
        else:
            grads[name] = array
    if not ok:
        return None
    total = sum(g.size for g in grads.values())
    if 2 * total > MAX_TRACE_ELEMENTS:  # each gradient is kept twice: given and clipped
        c.fail(("grads",), f"{total:,} gradient values, expected at most {MAX_TRACE_ELEMENTS // 2:,} in all")
        return None
    return grads


def default_ask(params: ClipParams) -> list[str]:
    return [f"clipped[{name}]" for name in params.grads]


# -- the solution ----------------------------------------------------------------
def _plain(value: Any) -> Any:
    """Scalars as Python floats, arrays as float arrays."""
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array


def _ratio(max_norm: float, denominator: float) -> float:
    """max_norm / denominator; a zero norm (all gradients zero, eps 0) gives ∞, which min(1, ·) makes 1."""
    with np.errstate(divide="ignore"):
        return float(np.divide(np.float64(max_norm), np.float64(denominator)))


def norm_step(ops: ClipOps, g: Any) -> float:
    return float(ops.norm(g))


def total_norm_step(ops: ClipOps, *norms: float) -> float:
    return float(ops.combine(norms))


def scale_step(ops: ClipOps, norm: float, max_norm: float, eps: float) -> float:
    """min(1, max_norm / (norm + eps)), from one norm (total_norm, or norm[name] per tensor)."""
    return float(ops.cap(_ratio(max_norm, norm + eps)))


def scale_from_all_step(ops: ClipOps, *norms: float, max_norm: float, eps: float) -> float:
    """The scale of one tensor taken from the global norm of all (global-instead-of-per-tensor)."""
    return float(ops.cap(_ratio(max_norm, ops.combine(norms) + eps)))


def clipped_step(ops: ClipOps, g: Any, scale: float, max_norm: float) -> Any:
    return _plain(ops.rescale(g, scale, max_norm))


def clipped_by_own_norm_step(ops: ClipOps, g: Any, norm: float, max_norm: float, eps: float) -> Any:
    """A global problem's gradient scaled by its own norm (per-tensor-instead-of-global)."""
    return _plain(ops.rescale(g, ops.cap(_ratio(max_norm, norm + eps)), max_norm))


def clipped_by_value_step(ops: ClipOps, g: Any, max_norm: float) -> Any:
    return _plain(np.clip(g, -max_norm, max_norm))


def _tex_name(name: str) -> str:
    return name if len(name) == 1 else r"\text{" + name + "}"  # latex escapes the _ inside \text{}


def _squares(names: list[str], tex: bool = False) -> str:
    """norm[a]² + norm[b]² + …, at most four terms written out."""
    terms = [rf"\lVert g_{{{_tex_name(n)}}} \rVert^2" if tex else f"norm[{n}]²" for n in names]
    if len(terms) > 4:
        terms = [terms[0], r"\dots" if tex else "…", terms[-1]]
    return " + ".join(terms)


def _plus_eps(eps: float) -> tuple[str, str]:
    """`` + eps`` as the formulas write it, text and LaTeX; nothing when eps is 0 (as on paper)."""
    return (f" + {_num(eps)}", f" + {_tex_num(eps)}") if eps else ("", "")


def _scale_text(params: ClipParams, norm: str, tex_norm: str) -> tuple[str, str]:
    """``min(1, max_norm / (norm + eps))`` as text and LaTeX (no parentheses without an eps)."""
    M, (plus, plus_tex) = params.max_norm, _plus_eps(params.eps)
    denominator = f"({norm}{plus})" if plus else norm
    return f"min(1, {_num(M)} / {denominator})", rf"\min\left(1, \frac{{{_tex_num(M)}}}{{{tex_norm}{plus_tex}}}\right)"


def solve(params: ClipParams, tracer: Tracer) -> None:
    names = list(params.grads)
    M = params.max_norm
    per_tensor = params.by == "norm" and params.scope == "per-tensor"  # then one table per gradient
    for name in names:
        tracer.given(f"g[{name}]", _plain(params.grads[name]), group=name if per_tensor else "gradients")
    if params.by == "value":
        for name in names:
            tracer.step(
                f"clipped[{name}]",
                f"clip(g[{name}], −{_num(M)}, {_num(M)})",
                rf"\operatorname{{clip}}(g_{{{_tex_name(name)}}}, -{_tex_num(M)}, {_tex_num(M)})",
                [f"g[{name}]"],
                clipped_by_value_step,
                data={"max_norm": M},
                group="clipped",
            )
        return
    for name in names:
        tracer.step(
            f"norm[{name}]",
            f"√(Σ g[{name}]²)",
            rf"\lVert g_{{{_tex_name(name)}}} \rVert_2",
            [f"g[{name}]"],
            norm_step,
            uses=("norm",),
            group=name if per_tensor else "norms",
        )
    # The scope as the student applied it: a scope mistake rewires the clipping steps.
    applied = tracer.ops.scope(params.scope)
    if params.scope == "global":
        _global_steps(tracer, params, names, applied)
    else:
        _per_tensor_steps(tracer, params, names, applied)


def _scale_step(tracer: Tracer, params: ClipParams, name: str, norm: str, tex_norm: str, group: str) -> None:
    """The step ``name = min(1, max_norm / (norm + eps))`` from the one norm step ``norm``."""
    formula, latex = _scale_text(params, norm, tex_norm)
    data = {"max_norm": params.max_norm, "eps": params.eps}
    tracer.step(name, formula, latex, [norm], scale_step, uses=("cap",), data=data, group=group)


def _clipped_step(tracer: Tracer, params: ClipParams, name: str, scale: str, tex_scale: str, group: str) -> None:
    """The step ``clipped[name] = scale · g[name]``, by the scale step ``scale``."""
    g = f"g[{name}]"
    latex = rf"{tex_scale} \cdot g_{{{_tex_name(name)}}}"
    data = {"max_norm": params.max_norm}
    tracer.step(f"clipped[{name}]", f"{scale}·{g}", latex, [g, scale], clipped_step, uses=("rescale",), data=data, group=group)


def _global_steps(tracer: Tracer, params: ClipParams, names: list[str], applied: str) -> None:
    norms = [f"norm[{n}]" for n in names]
    tracer.step(
        "total_norm",
        f"√({_squares(names)})",
        rf"\sqrt{{{_squares(names, tex=True)}}}",
        norms,
        total_norm_step,
        uses=("combine",),
        group="norms",
    )
    _scale_step(tracer, params, "scale", "total_norm", r"\lVert g \rVert", group="norms")
    for name in names:
        if applied == "global":
            _clipped_step(tracer, params, name, "scale", r"\mathrm{scale}", group="clipped")
        else:  # per-tensor-instead-of-global: each gradient by its own norm
            g = f"g_{{{_tex_name(name)}}}"
            formula, latex = _scale_text(params, f"norm[{name}]", rf"\lVert {g} \rVert")
            tracer.step(
                f"clipped[{name}]",
                f"{formula}·g[{name}]",
                f"{latex} {g}",
                [f"g[{name}]", f"norm[{name}]"],
                clipped_by_own_norm_step,
                uses=("rescale", "cap"),
                data={"max_norm": params.max_norm, "eps": params.eps},
                group="clipped",
            )


def _per_tensor_steps(tracer: Tracer, params: ClipParams, names: list[str], applied: str) -> None:
    M, (plus, plus_tex) = params.max_norm, _plus_eps(params.eps)
    for name in names:
        scale = f"scale[{name}]"
        if applied == "per-tensor":
            _scale_step(tracer, params, scale, f"norm[{name}]", rf"\lVert g_{{{_tex_name(name)}}} \rVert", group=name)
        else:  # global-instead-of-per-tensor: the norm of all the gradients
            tracer.step(
                scale,
                f"min(1, {_num(M)} / (√({_squares(names)}){plus}))",
                rf"\min\left(1, \frac{{{_tex_num(M)}}}{{\sqrt{{{_squares(names, tex=True)}}}{plus_tex}}}\right)",
                [f"norm[{n}]" for n in names],
                scale_from_all_step,
                uses=("cap", "combine"),
                data={"max_norm": M, "eps": params.eps},
                group=name,
            )
        _clipped_step(tracer, params, name, scale, rf"\mathrm{{scale}}_{{{_tex_name(name)}}}", group=name)


# -- variants --------------------------------------------------------------------
def _max_norm(trace: Trace) -> float | None:
    return next((float(step.data["max_norm"]) for step in trace if "max_norm" in step.data), None)


def _thresholded(trace: Trace) -> dict[str, np.ndarray]:
    """What is compared with max_norm: total_norm (global), each norm[name] (per tensor),
    each element of g[name] in absolute value (by value)."""
    if "total_norm" in trace:
        return {"total_norm": np.array([trace.value("total_norm")])}
    norms = {step.name: np.array([step.value]) for step in trace if step.name.startswith("norm[")}
    if norms:
        return norms
    return {step.name: np.abs(numeric(step.value)).ravel() for step in trace if step.name.startswith("g[")}


def degenerate(trace: Trace, original: Trace) -> str | None:
    """Not on the knife edge where clipping starts, and clipping where the original clips.

    A norm within 5% of max_norm is refused (a hand-rounded norm could fall on either side
    of it); so is a norm on the other side of max_norm than the original's (a problem about
    clipping should not turn into one where nothing is clipped, or the other way round).
    """
    M = _max_norm(trace)
    if M is None:
        return None
    before = _thresholded(original)
    for name, values in _thresholded(trace).items():
        near = np.abs(values - M) <= KNIFE_EDGE * M
        if near.any():
            return f"{name} is within {KNIFE_EDGE:.0%} of max_norm {_num(M)}: on the edge where clipping starts"
        old = before.get(name)
        if old is not None and old.shape == values.shape:
            flipped = (np.sign(values - M) * np.sign(old - M)) < 0
            if flipped.any():
                return f"{name} is on the other side of max_norm {_num(M)} than in the original"
    return None


TEMPLATE = """\
# Gradient clipping.  Check with: lstmhw check FILE; solve with: lstmhw solve FILE
# id: clip   # optional: without it the id is the file's name, so templates never clash
title: Clipping the gradients by their global norm
solver: clip-grad
grads: {W_h: [[3, -4]], W_x: [[1, 2]], b: [0.5]}   # named gradients: numbers, vectors or matrices
max_norm: 1.0        # the largest norm (or, by value, the largest |element|) kept; > 0
scope: global        # global: one scale from the norm of all (PyTorch clip_grad_norm_, d2l; the default)
                     # per-tensor: each gradient by its own norm (Keras clipnorm)
by: norm             # norm (default) | value: each element clipped to [-max_norm, max_norm] (Ng's clip())
eps: 0               # added to the norm in the scale (>= 0; default 0; PyTorch uses 1e-6)
ask: [total_norm, scale, "clipped[W_h]", "clipped[W_x]", "clipped[b]"]   # also norm[name]; scale[name] per tensor
"""
