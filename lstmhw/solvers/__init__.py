"""The solver registry, the contract every solver module meets, and the one function that runs one.

A solver is one module (the contract is :class:`Solver`); adding a solver
means that module and one line in :data:`SOLVERS`. A test walks the registry
and holds every module to the contract, and proves the promise with a solver
defined in the test itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from lstmhw.trace import Trace, Tracer, Value

if TYPE_CHECKING:
    from lstmhw.mistakes import Mistake
    from lstmhw.problem import Checker

SOLVERS: dict[str, str] = {
    "adam": "lstmhw.solvers.adam",
    "rnn-gradient": "lstmhw.solvers.rnn_gradient",
    "lstm-claims": "lstmhw.solvers.lstm_claims",
    "lstm-forward": "lstmhw.solvers.lstm_forward",
    "lstm-backward": "lstmhw.solvers.lstm_backward",
    "mse": "lstmhw.solvers.mse",
    "rnn-bptt": "lstmhw.solvers.rnn_bptt",
    "gru-forward": "lstmhw.solvers.gru_forward",
    "clip-grad": "lstmhw.solvers.clip_grad",
    "momentum": "lstmhw.solvers.momentum",
    "rmsprop": "lstmhw.solvers.rmsprop",
    "adagrad": "lstmhw.solvers.adagrad",
}


class Solver(Protocol):
    """What a solver module provides (module attributes; ``ALIASES`` is optional).

    The steps ``solve`` makes (their names, inputs, ``uses`` and data) may depend on
    the problem's parameters and on the ops, never on the values flowing through
    them: grading re-runs a quantity along the steps between it and the student's
    values it is computed from by walking the declared edges (:mod:`lstmhw.reruns`),
    and a differential test holds every solver to it.
    """

    NAME: str  # the `solver:` value
    KEYS: tuple[str, ...]  # its own YAML keys (beside the common ones)
    OPS: Any  # a frozen dataclass (eq=False) of the operations its steps call; mistakes replace fields
    MISTAKES: tuple[Mistake, ...]  # the catalog entries written for it, in its own words
    TEMPLATE: str  # a commented problem file for `lstmhw new`
    REDRAW: tuple[str, ...]  # the keys whose numbers `lstmhw variant` redraws (the problem's data)
    # Optional: ROUNDED_OPS, the OPS fields whose results a student writes down separately (and
    # rounds) inside a step's formula, such as tanh(c[t]) in h[t]: see paper_ops.

    def read(self, checker: Checker) -> Any | None:
        """Validated parameters, every error collected on ``checker`` (None if any)."""

    def default_ask(self, params: Any) -> list[str]:
        """What is asked when the file does not say."""

    def solve(self, params: Any, tracer: Tracer) -> None:
        """The solution, step by step, through ``tracer.step`` (each function gets the ops)."""

    def degenerate(self, trace: Trace, original: Trace) -> str | None:
        """Why a variant's solution is a poor problem (a knife-edge regime, ...), or None."""


def solver_module(name: str) -> ModuleType:
    return importlib.import_module(SOLVERS[name])


def solver_names() -> list[str]:
    return list(SOLVERS)


def run(
    problem: Any,
    *,
    ops: Any = None,
    overrides: Mapping[str, Value] | None = None,
    decimals: int | None = None,
) -> Trace:
    """Solve ``problem`` into a trace; see :mod:`lstmhw.trace` for the three re-run knobs."""
    module = solver_module(problem.solver)
    from lstmhw.errors import LstmhwError

    solution = getattr(problem, "solution", None)
    if solution is not None and (ops is None or ops is module.OPS) and not overrides and decimals is None:
        return Trace(problem.id, problem.solver, problem.title, problem.ask, solution)
    ops = paper_ops(module, ops if ops is not None else module.OPS, decimals)
    try:
        tracer = solve_into(module, problem.params, ops, overrides, decimals)
    except LstmhwError as exc:  # NumericError, or a solution longer than MAX_TRACE_STEPS
        raise exc.located(file=getattr(problem, "file", None) or None) from None
    return tracer.trace(problem.id, problem.solver, problem.title, problem.ask)


def solve_into(
    module: Any, params: Any, ops: Any, overrides: Mapping[str, Value] | None = None, decimals: int | None = None
) -> Tracer:
    """Run ``module.solve`` under the floating-point rules every solution is held to.

    A step that overflows or makes a NaN from finite inputs is an error naming the step
    (raised by Tracer.step), never a RuntimeWarning on stderr and a silent inf/NaN.
    Underflow (e^-1e4 -> 0) is harmless. A solver may still allow a step in its own errstate.
    """
    import numpy as np

    tracer = Tracer(ops, overrides=overrides, decimals=decimals)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        module.solve(params, tracer)
    return tracer


class _WrittenDown:
    """An operation whose result a student writes down (and so rounds) before using it."""

    __slots__ = ("fn", "decimals")

    def __init__(self, fn: Any, decimals: int) -> None:
        self.fn, self.decimals = fn, decimals

    def __call__(self, *args: Any) -> Any:
        from lstmhw.trace import round_value

        return round_value(self.fn(*args), self.decimals)


_PAPER_OPS: dict[tuple[Any, int], Any] = {}


def paper_ops(module: Any, ops: Any, decimals: int | None) -> Any:
    """``ops`` as a student uses them on paper at ``decimals``: the sub-expressions the solver
    names in ``ROUNDED_OPS`` (tanh(c[t]) in h[t] = o[t]⊙tanh(c[t]), √S_corr) are rounded too,
    as the steps themselves are. The same object for the same ops and decimals."""
    fields = getattr(module, "ROUNDED_OPS", ())
    if decimals is None or not fields:
        return ops
    key = (ops, decimals)
    if key not in _PAPER_OPS:
        import dataclasses

        _PAPER_OPS[key] = dataclasses.replace(ops, **{f: _WrittenDown(getattr(ops, f), decimals) for f in fields})
    return _PAPER_OPS[key]


def quantity_names(steps: Sequence[Any] | Mapping[str, Any]) -> list[str]:
    """Every computed step's name (what may be asked and graded), from a solved trace's steps."""
    values = steps.values() if isinstance(steps, Mapping) else steps
    return [step.name for step in values if not step.given]
