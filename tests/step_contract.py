"""Checks every solver's steps are held to (lstmhw.trace): shared by the solver tests that import it."""

from __future__ import annotations

import numpy as np

from lstmhw.solvers import solver_module


class OpsProxy:
    """Only the OPS fields a step declares in ``uses``; records which it reads."""

    def __init__(self, ops, uses) -> None:
        self._ops, self._uses, self.read = ops, frozenset(uses), set()

    def __getattr__(self, name):
        if name not in self._uses:
            raise AttributeError(f"a step read ops.{name} without declaring it in uses")
        self.read.add(name)
        return getattr(self._ops, name)


def same_value(a, b) -> bool:
    """Bit for bit, type included."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return a.hex() == b.hex()
    return a == b


def check_step_contract(trace, ops=None) -> None:
    """Every computed step of ``trace`` (run with ``ops``, no overrides or rounding): its function
    has no closure and no defaults, reads only OPS fields in ``uses``, and gives its value
    again from its inputs and data alone."""
    ops = ops if ops is not None else solver_module(trace.solver).OPS
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        for step in trace:
            if step.given:
                continue
            fn = step.fn
            assert fn.__closure__ is None and not fn.__defaults__ and not fn.__kwdefaults__, step.name
            proxy = OpsProxy(ops, step.uses)
            value = fn(proxy, *[trace[i].value for i in step.inputs], **step.data)
            assert same_value(value, step.own), step.name
            # ``uses`` may also name a field that chose the step's function when the solver ran
            # (GRU's update_rule): a mistake there touches the step without the function reading it.
            assert proxy.read <= set(step.uses), (step.name, proxy.read, step.uses)
            assert isinstance(step.own, (float, bool, np.ndarray)), (step.name, type(step.own))
            if isinstance(step.own, np.ndarray):
                assert step.own.dtype == float and step.own.ndim >= 1, step.name


def same_trace(expected, got) -> None:
    """Two traces with the same steps, values, own values and texts."""
    assert list(expected.steps) == list(got.steps)
    for name, step in expected.steps.items():
        other = got[name]
        assert same_value(step.value, other.value) or (
            isinstance(step.value, np.ndarray) and np.array_equal(step.value, other.value)
        ), name
        assert same_value(step.own, other.own), name
        assert (step.formula, step.latex, step.inputs, step.group) == (other.formula, other.latex, other.inputs, other.group), name
