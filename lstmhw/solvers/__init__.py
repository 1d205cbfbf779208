"""The solver registry and the one function that runs a solver into a trace.

A solver is a module with:

- ``NAME`` and ``KEYS`` (its own YAML keys; ``ALIASES`` optional, alias -> key);
- ``read(checker) -> params`` (validated parameters, errors collected);
- ``default_ask(params)``: what is asked when the file does not say;
- ``OPS``: a frozen dataclass of the operations it uses, which mistakes patch;
- ``solve(params, tracer, ops)``: the solution in plain NumPy, step by step;
- ``TEMPLATE``: a commented problem file for ``lstmhw new``;
- ``STATIC_STEPS = True`` (optional) when the steps it makes (names, inputs,
  functions, notes) never depend on the values, only on the shapes, and a
  step's function uses the same ``OPS`` operations whatever the values: grading
  then re-runs only the steps downstream of a student's answers, and takes a
  mistaken chain's steps that do not use the mistake from the plain one
  (:mod:`lstmhw.reruns`).

Adding a solver means one new module and one line in ``SOLVERS``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from lstmhw.trace import Trace, Tracer, Value

SOLVERS: dict[str, str] = {
    "adam": "lstmhw.solvers.adam",
    "rnn-gradient": "lstmhw.solvers.rnn_gradient",
    "lstm-claims": "lstmhw.solvers.lstm_claims",
    "lstm-forward": "lstmhw.solvers.lstm_forward",
    "mse": "lstmhw.solvers.mse",
}


def solver_module(name: str) -> ModuleType:
    return importlib.import_module(SOLVERS[name])


def run(
    problem: Any,
    *,
    ops: Any = None,
    overrides: dict[str, Value] | None = None,
    decimals: int | None = None,
) -> Trace:
    """Solve ``problem`` into a trace; see :mod:`lstmhw.trace` for the three re-run knobs."""
    import numpy as np

    from lstmhw.errors import LstmhwError

    module = solver_module(problem.solver)
    tracer = Tracer(overrides=overrides, decimals=decimals)
    # A step that overflows or makes a NaN from finite inputs is an error naming the step
    # (raised by Tracer.step), never a RuntimeWarning on stderr and a silent inf/NaN.
    # Underflow (e^-1e4 -> 0) is harmless.  A solver may still allow a step in its own errstate.
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            module.solve(problem.params, tracer, ops if ops is not None else module.OPS)
    except LstmhwError as exc:  # NumericError, or a solution longer than MAX_TRACE_STEPS
        raise exc.located(file=getattr(problem, "file", None) or None) from None
    return tracer.trace(problem.id, problem.solver, problem.title, problem.ask)


def quantity_names(module: ModuleType, params: Any) -> list[str]:
    """Every computed step's name for these parameters (what may be asked and graded).

    A trial solve, under the same floating-point rules as :func:`run`: a step that
    overflows raises NumericError here, so ``check`` finds it as ``solve`` would.
    """
    import numpy as np

    tracer = Tracer()
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        module.solve(params, tracer, module.OPS)
    return [name for name, step in tracer.steps.items() if not step.given]
