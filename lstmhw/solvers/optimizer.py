"""What the optimizer solvers (adam, momentum, rmsprop, adagrad) share.

Every optimizer problem has the same frame: the weights ``W[t-1]`` and the
optimizer's state after step t−1, then one gradient per step k = t, t+1, ...
(``grad`` repeated ``steps`` times, or ``grads``), with optional L2 weight
decay ``g_wd[k] = g[k] + λ·W[k-1]``.  This module reads that frame from a
problem file, records its steps, and refuses a problem whose solution would
leave float64; each solver adds only its own update rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.limits import MAX_STEP_INDEX, MAX_TIME_STEPS, MAX_TRACE_ELEMENTS, MAX_TRACE_STEPS
from lstmhw.problem import Checker, fit, shape_text
from lstmhw.solvers.numbers import num, tex_num
from lstmhw.trace import Trace, Tracer


# -- values ------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """Scalars as Python floats, arrays as float arrays."""
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array


# Step names whose LaTeX is not the name itself (W, g, V, S, G are).
TEX_BASES = {
    "V_corr": r"\hat{V}", "S_corr": r"\hat{S}", "g_wd": r"\tilde{g}", "W_wd": r"\tilde{W}", "S_max": r"S^{\max}",
}


def tex_name(name: str, bases: Mapping[str, str] = TEX_BASES) -> str:
    """``V_corr[2]`` as LaTeX, ``\\hat{V}_{2}``: the base from ``bases`` (else as it is), the index as a subscript."""
    base, _, index = name.partition("[")
    return f"{bases.get(base, base)}_{{{index.rstrip(']')}}}"


def index_of(name: str) -> str:
    """The step index of a step name: ``"3"`` for ``W[3]``."""
    return name[name.index("[") + 1 : -1]


# -- reading a problem ---------------------------------------------------------------
def aliased_key(c: Checker, key: str, alias: str) -> str:
    """The key a value is read from: ``key``, or its ``alias`` when only the alias is given (both is an error)."""
    if c.has((key,)) and c.has((alias,)):
        c.fail((alias,), f"both {key} and its alias {alias}, expected only one of them")
    return alias if c.has((alias,)) and not c.has((key,)) else key


def like(c: Checker, path: tuple, array: np.ndarray | None, W: np.ndarray) -> np.ndarray | None:
    """``array`` in W's shape (a flat list fits a one-row or one-column W), or an error."""
    if array is None:
        return None
    if W.ndim == 0:
        value = array.reshape(()) if array.size == 1 else None
    elif W.ndim == 1:
        value = fit(array, W.shape[0], None)
    else:
        value = fit(array, W.shape[0], W.shape[1])
    if value is None:
        c.fail(path, f"shape {shape_text(array.shape)}, expected {shape_text(W.shape)} like W")
    return value


def read_grads(c: Checker) -> list[tuple[tuple, np.ndarray]]:
    """(path, gradient) for every step: ``grad`` (repeated ``steps`` times) or ``grads``."""
    steps = c.number(("steps",), default=None, integer=True, minimum=1, maximum=MAX_TIME_STEPS)
    if c.has(("grad",)) and c.has(("grads",)):
        c.fail(("grads",), "both grad and grads, expected grad (one gradient) or grads (one per step)")
        return []
    if c.has(("grads",)):
        raw = c.get(("grads",))
        if not isinstance(raw, list) or not raw:
            c.fail(("grads",), "not a list of gradients, expected a list with one gradient per step, e.g. [g_t, g_t+1]")
            return []
        if len(raw) > MAX_TIME_STEPS:
            c.fail(("grads",), f"{len(raw):,} gradients, expected at most {MAX_TIME_STEPS:,} steps")
            return []
        if steps is not None and steps != len(raw):
            c.fail(("steps",), f"{steps}, but grads lists {len(raw)} gradients; expected steps = {len(raw)} (or leave steps out)")
        out = [(("grads", n), c.array(("grads", n))) for n in range(len(raw))]
        return out if all(g is not None for _, g in out) else []
    if not c.has(("grad",)):
        c.fail((), "missing key 'grad', expected grad (one gradient) or grads (one per step)")
        return []
    grad = c.array(("grad",))
    if grad is None:
        return []
    return [(("grad",), grad)] * (steps or 1)


def fits_trace(c: Checker, raw_grads: Sequence[Any], W: np.ndarray, *, per_step: int, given: int) -> bool:
    """The solution's length (``given`` steps, then ``per_step`` per gradient) and size within the limits."""
    where = ("grads",) if c.has(("grads",)) else ("steps",)
    if raw_grads and given + per_step * len(raw_grads) > MAX_TRACE_STEPS:
        most = (MAX_TRACE_STEPS - given) // per_step
        c.fail(where, f"{len(raw_grads):,} steps, expected at most {most:,} (a solution of at most {MAX_TRACE_STEPS:,} steps)")
        return False
    if raw_grads and len(raw_grads) * W.size > MAX_TRACE_ELEMENTS:
        c.fail(where, f"{len(raw_grads):,} steps of {W.size:,} values, expected at most {MAX_TRACE_ELEMENTS:,} values in all")
        return False
    return True


@dataclass(frozen=True)
class Data:
    """The numbers of an optimizer problem: W[t-1], a gradient per step, and the given state."""

    W: np.ndarray
    grads: list[np.ndarray | None]  # None where a gradient had the wrong shape (an error is on the checker)
    states: dict[str, np.ndarray | None]  # name -> its array, None when not given (or not valid)


def read_data(
    c: Checker,
    states: Mapping[str, str],
    *,
    per_step: int,
    given: int,
    nonnegative: Mapping[str, str] | None = None,
    broadcast: Sequence[str] = (),
) -> Data | None:
    """W, the gradients and the state arrays (``states``: name -> the key it is read from, the name or its alias).

    ``nonnegative`` names the states that cannot be negative, with the reason (a running mean of
    squares); a state in ``broadcast`` may be one number for every entry (Adagrad's
    initial_accumulator_value).  None when W is unreadable or the solution would be too long;
    other errors are left on the checker, for the caller to stop at.
    """
    W = c.array(("W",))
    raw_grads = read_grads(c)
    if W is None:
        return None
    grads = [like(c, path, g, W) for path, g in raw_grads]
    arrays = {}
    for name, key in states.items():
        array = c.array((key,), default=None)
        if name in broadcast and array is not None and array.ndim == 0:
            array = np.full(W.shape, float(array))
        arrays[name] = like(c, (key,), array, W)
    for name, reason in (nonnegative or {}).items():
        if arrays[name] is not None and np.any(arrays[name] < 0):
            c.fail((states[name],), f"a negative entry, expected {name} ≥ 0 ({reason})")
    if not fits_trace(c, raw_grads, W, per_step=per_step, given=given):
        return None
    return Data(W, grads, arrays)


@dataclass(frozen=True)
class Run:
    """What every optimizer problem has (momentum, rmsprop and adagrad params extend it)."""

    lr: float
    t: int  # index of the first step computed
    W: np.ndarray  # W[t-1]; every state array has its shape
    grads: tuple[np.ndarray, ...]  # g[t], g[t+1], ...
    weight_decay: float  # λ of L2 decay (0: none)

    @property
    def last(self) -> int:
        return self.t + len(self.grads) - 1


def read_frame(c: Checker, *, lr: float) -> dict[str, Any]:
    """``lr`` (default ``lr``), ``weight_decay`` and ``t``, each None when invalid (the error is on the checker)."""
    return {
        "lr": c.number(("lr",), default=lr, above=0),
        "weight_decay": c.number(("weight_decay",), default=0.0, minimum=0),
        "t": c.number(("t",), default=1, integer=True, minimum=1, maximum=MAX_STEP_INDEX),
    }


def read_run(
    c: Checker,
    frame: Mapping[str, Any],
    states: Mapping[str, str],
    *,
    per_step: int,
    given: int,
    nonnegative: Mapping[str, str] | None = None,
    broadcast: Sequence[str] = (),
) -> tuple[dict[str, Any], dict[str, np.ndarray | None]] | None:
    """The fields of :class:`Run` (from ``frame``, :func:`read_frame`'s) and the state arrays
    (:func:`read_data`), or None when anything read so far has an error."""
    data = read_data(c, states, per_step=per_step, given=given, nonnegative=nonnegative, broadcast=broadcast)
    if data is None or c.errors:
        return None
    run = {
        "lr": float(frame["lr"]),
        "t": int(frame["t"]),
        "W": data.W,
        "grads": tuple(data.grads),
        "weight_decay": float(frame["weight_decay"]),
    }
    return run, data.states


def or_zeros(state: np.ndarray | None, W: np.ndarray) -> np.ndarray:
    """A state that was not given starts at zeros (as PyTorch's buffers do)."""
    return np.zeros_like(W) if state is None else state


# -- refusing what would leave float64 ------------------------------------------------
def decay_dominates(lam: float, W: np.ndarray, grads: Sequence[np.ndarray]) -> bool:
    """L2 decay whose λ·W outweighs every gradient: an overflow in the state is the decay's doing."""
    if not lam:
        return False
    with np.errstate(over="ignore"):
        decay = float(np.max(np.abs(lam * np.asarray(W, dtype=float))))
    return decay > max(float(np.max(np.abs(g))) for g in grads)


def finite_run(
    c: Checker,
    solve: Callable[[Any, Tracer], None],
    ops: Any,
    params: Any,
    *,
    decay: float,
    eps: float | None = None,
    zero: str = "",
    example: str = "",
    state: Sequence[str] = (),
) -> bool:
    """Solve once quietly: a value that would be inf or NaN becomes a located error now.

    ``decay`` is the λ that enters the gradient (0 for none, or AdamW's); with ``eps`` 0, a
    non-finite ``W[k]`` is a division by a zero denominator, which ``zero`` names (a template
    with ``{k}``), and ``example`` is an eps to suggest.  An overflow is put on the key it comes
    from: ``weight_decay``, a given ``state`` key of that name, ``lr`` for W, else the gradient.
    """
    tracer = Tracer(ops)
    with np.errstate(all="ignore"):
        solve(params, tracer)
    for step in tracer.steps.values():
        if np.all(np.isfinite(step.value)):
            continue
        k = index_of(step.name)
        if step.name.startswith("W[") and eps == 0:
            c.fail(("eps",), f"0, but {zero.format(k=k)}, so W[{k}] would divide by zero; expected eps > 0, e.g. {example}")
        else:
            if step.name.startswith(("g_wd", "W_wd")) or decay_dominates(decay, params.W, params.grads):  # λ·W, not g
                where: tuple = ("weight_decay",)
            elif step.name.startswith(tuple(state)) and c.has((step.name.partition("[")[0],)):
                where = (step.name.partition("[")[0],)
            else:
                where = ("lr",) if step.name.startswith("W") else ("grads",) if c.has(("grads",)) else ("grad",)
            c.fail(where, f"values so large that {step.name} overflows (beyond ±1.8e308), expected smaller numbers")
        return False
    return True


def no_degeneracy(trace: Trace, original: Trace) -> str | None:
    """``degenerate`` for an optimizer whose step has no denominator that can come near zero."""
    return None


# A variant whose step |g| / (√S + ε) reaches this (and twice the original's) has a near-zero denominator.
MAX_STEP_RATIO = 10.0


def near_zero_denominator(trace: Trace, original: Trace, ratio: Callable[[Trace], float], what: str) -> str | None:
    """A variant's ``ratio`` (the largest step per unit of lr) above MAX_STEP_RATIO and twice the original's."""
    found = ratio(trace)
    if found > max(MAX_STEP_RATIO, 2 * ratio(original)):
        return f"{what} reaches {found:.3g}: a near-zero denominator"
    return None


# -- the solution ------------------------------------------------------------------------
def start(tracer: Tracer, first: int, given: Mapping[str, Any]) -> None:
    """The given W[t-1] and state, in the table of step t−1."""
    for name, value in given.items():
        tracer.given(f"{name}[{first}]", plain(value), group=f"step k = {first} (given)")


def decayed(ops: Any, g: Any, W: Any, lam: float) -> Any:
    """g_wd[k] = g[k] + λ·W[k-1]."""
    return plain(g + lam * W)


def each_step(tracer: Tracer, t: int, grads: Sequence[np.ndarray], lam: float) -> Iterator[tuple[int, str, str]]:
    """For every step k: records ``g[k]`` (and, with L2 decay λ, ``g_wd[k]``), then yields
    (k, its group, the name of the gradient the update reads)."""
    for n, g in enumerate(grads):
        k = t + n
        group = f"step k = {k}"
        tracer.given(f"g[{k}]", plain(g), group=group)
        grad = f"g[{k}]"
        if lam:  # L2: the decay enters the gradient, so everything that reads g sees it
            tracer.step(
                f"g_wd[{k}]",
                f"g[{k}] + {num(lam)}·W[{k - 1}]",
                rf"g_{{{k}}} + {tex_num(lam)}\, W_{{{k - 1}}}",
                [f"g[{k}]", f"W[{k - 1}]"],
                decayed,
                data={"lam": lam},
                group=group,
            )
            grad = f"g_wd[{k}]"
        yield k, group, grad


def record_average(
    tracer: Tracer, name: str, beta: float, previous: str, grad: str, fn: Callable[..., Any], *,
    uses: Sequence[str] = (), data: Mapping[str, Any], group: str, squared: bool = False,
) -> None:
    """The step ``name = β·previous + (1 − β)·grad`` (``grad²`` when ``squared``): an exponentially weighted average.

    ``beta`` is the β the formula shows; what ``fn`` computes is up to ``fn`` and its ``data``.
    """
    B, tb = num(beta), tex_num(beta)
    square, tex_square = ("²", "^2") if squared else ("", "")
    formula = f"{B}·{previous} + (1 − {B})·{grad}{square}"
    latex = rf"{tb}\, {tex_name(previous)} + (1 - {tb})\, {tex_name(grad)}{tex_square}"
    tracer.step(name, formula, latex, [previous, grad], fn, uses=uses, data=data, group=group)


def record_bias_corrected(
    tracer: Tracer, name: str, moment: str, beta: float, k: int, fn: Callable[..., Any], *,
    uses: Sequence[str] = (), data: Mapping[str, Any], group: str,
) -> None:
    """The step ``name = moment / (1 − β^k)``."""
    formula = f"{moment} / (1 − {num(beta)}^{k})"
    latex = rf"\frac{{{tex_name(moment)}}}{{1 - {tex_num(beta)}^{{{k}}}}}"
    tracer.step(name, formula, latex, [moment], fn, uses=uses, data=data, group=group)


def record_adaptive(
    tracer: Tracer, name: str, base: str, numerator: str, state: str, fn: Callable[..., Any], *,
    lr: float, eps: float, uses: Sequence[str], group: str,
) -> None:
    """The step ``name = base − lr·numerator / (√state + ε)``: ``fn(ops, base, numerator, state, lr=, eps=)``."""
    formula = f"{base} − {num(lr)}·{numerator} / (√{state} + {num(eps)})"
    latex = rf"{tex_name(base)} - {tex_num(lr)}\, \frac{{{tex_name(numerator)}}}{{\sqrt{{{tex_name(state)}}} + {tex_num(eps)}}}"
    tracer.step(name, formula, latex, [base, numerator, state], fn, uses=uses, data={"lr": lr, "eps": eps}, group=group)


def root_plus_eps(sqrt: Callable[[Any], Any], s: Any, eps: float) -> Any:
    """√s + ε, ε outside the root (PyTorch; TensorFlow's RMSprop puts it inside)."""
    return sqrt(s) + eps


def root_of_sum(sqrt: Callable[[Any], Any], s: Any, eps: float) -> Any:
    """√(s + ε): the mistake of putting ε inside the root."""
    return sqrt(s + eps)


def scaled_step(
    W: Any, g: Any, s: Any, lr: float, eps: float, sqrt: Callable[[Any], Any], denominator: Callable[..., Any]
) -> Any:
    """W − lr·g/(√s + ε); a student's zero or negative s gives inf/NaN quietly."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return plain(np.asarray(W, dtype=float) - lr * np.asarray(g, dtype=float) / denominator(sqrt, s, eps))
