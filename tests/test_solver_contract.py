"""Every registered solver meets the contract (lstmhw.solvers.Solver), and a new solver needs one module and one line.

The contract is what the rest of lstmhw relies on: tables, JSON, sheets, grading,
error carried forward, diagnosis and variants are built from a solver's trace and
its module attributes alone.  The step functions must read only what they declare
(their inputs, the OPS fields in ``uses``, their ``data``), so re-running downstream
of a student's values is a walk over declared edges (lstmhw.reruns).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys

import numpy as np
import pytest
from conftest import PROBLEMS

from lstmhw.problem import load_problem
from lstmhw.solvers import SOLVERS, Solver, run, solver_module


def _template_problem(name, tmp_path):
    path = tmp_path / f"{name}.yaml"
    path.write_text(solver_module(name).TEMPLATE, encoding="utf-8")
    return load_problem(str(path))


def _problems_of(name, tmp_path):
    """The solver's template, and every bundled problem it solves."""
    out = [_template_problem(name, tmp_path)]
    for path in sorted(PROBLEMS.glob("*.yaml")):
        problem = load_problem(str(path))
        if problem.solver == name:
            out.append(problem)
    return out


class StrictOps:
    """An ops object that lends a step only the fields it declared in ``uses``."""

    def __init__(self, ops, allowed):
        self._ops, self._allowed = ops, frozenset(allowed)

    def __getattr__(self, name):
        if name not in self._allowed:
            raise AssertionError(f"reads OPS.{name}, which it does not declare in uses={sorted(self._allowed)}")
        return getattr(self._ops, name)


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    return a == b or (a != a and b != b)


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_module_has_every_attribute_of_the_contract(name):
    module = solver_module(name)
    for attribute, kind in (("NAME", str), ("KEYS", tuple), ("TEMPLATE", str), ("REDRAW", tuple), ("MISTAKES", tuple)):
        assert isinstance(getattr(module, attribute, None), kind), f"{name}: {attribute} should be a {kind.__name__}"
    assert module.NAME == name
    params = type(module.OPS).__dataclass_params__
    assert dataclasses.is_dataclass(module.OPS) and params.frozen and not params.eq, "OPS: @dataclass(frozen=True, eq=False)"
    for function in ("read", "default_ask", "solve", "degenerate"):
        expected = [p for p in inspect.signature(getattr(Solver, function)).parameters if p != "self"]
        parameters = inspect.signature(getattr(module, function)).parameters.values()
        # the positional parameters the contract passes; keyword options with defaults are the module's own
        got = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        assert len(got) == len(expected), f"{name}.{function}{tuple(got)}, expected {tuple(expected)}"
    keys = set(module.KEYS) | set(getattr(module, "ALIASES", {}))
    assert set(module.REDRAW) <= keys, f"{name}: REDRAW names keys it does not have"


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_mistakes_patch_only_the_solvers_own_operations(name):
    module = solver_module(name)
    fields = {f.name for f in dataclasses.fields(module.OPS)}
    ids = [m.id for m in module.MISTAKES]
    assert len(ids) == len(set(ids)), f"{name}: a mistake listed twice"
    for mistake in module.MISTAKES:
        for variant in mistake.variants:
            assert variant.patch and set(variant.patch) <= fields, (name, mistake.id, set(variant.patch) - fields)
            assert variant.message.strip()


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_steps_read_only_what_they_declare(name, tmp_path):
    module = solver_module(name)
    fields = {f.name for f in dataclasses.fields(module.OPS)}
    for problem in _problems_of(name, tmp_path):
        trace = run(problem)
        with np.errstate(all="ignore"):
            for step in trace:
                if step.given:
                    continue
                assert step.fn.__closure__ is None, f"{name}: {step.name}'s function closes over a variable"
                assert not step.fn.__defaults__, f"{name}: {step.name}'s function has default arguments"
                assert step.uses <= fields, (step.name, step.uses - fields)
                assert all(i in trace for i in step.inputs), step.name
                strict = StrictOps(module.OPS, step.uses)
                again = step.fn(strict, *[trace[i].value for i in step.inputs], **step.data)
                assert _same(again, step.own), f"{name}: {step.name} is not a function of what it declares"


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_a_mistake_changes_only_steps_that_use_what_it_replaces(name, tmp_path):
    """The graph's promise to diagnosis: a step whose uses miss every replaced field, with the
    same inputs as the plain run, has the plain run's value."""
    from lstmhw.mistakes import patched_ops

    module = solver_module(name)
    for problem in _problems_of(name, tmp_path):
        plain = run(problem)
        for mistake_id, _variant, ops in patched_ops(name):
            replaced = {f.name for f in dataclasses.fields(ops) if getattr(ops, f.name) is not getattr(module.OPS, f.name)}
            try:
                with np.errstate(all="ignore"):
                    wrong = run(problem, ops=ops)
            except (ArithmeticError, ValueError):
                continue
            reached: set[str] = set()
            for step in wrong:
                if step.given:
                    continue
                if not replaced.isdisjoint(step.uses) or step.inputs != plain[step.name].inputs or reached & set(step.inputs):
                    reached.add(step.name)
                else:
                    assert _same(step.value, plain.value(step.name)), (name, mistake_id, step.name)


# ----------------------------------------------------------- one module plus one line
TOY = '''\
"""A toy solver written in a test: y = a·x + b, then s = Σ y²."""

from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmhw.mistakes import one

NAME = "toy"
KEYS = ("a", "x", "b")


@dataclass(frozen=True)
class ToyOps:
    scale: Any = np.multiply
    square: Any = np.square


OPS = ToyOps()
MISTAKES = (one("toy-square-forgotten", "s summed y, not y²: the square is missing", square=lambda y: np.asarray(y, float)),)
REDRAW = ("a", "x", "b")
TEMPLATE = """\\
# A toy: y = a·x + b, then s = Σ y².
solver: toy
a: 2.5
x: [1.5, -0.5, 2.25]
b: 0.25
ask: ["y", s]
"""


@dataclass(frozen=True)
class ToyParams:
    a: float
    x: np.ndarray
    b: float


def read(c):
    a = c.number(("a",))
    b = c.number(("b",), default=0.0)
    x = c.array(("x",))
    if a is None or b is None or x is None:
        return None
    return ToyParams(float(a), np.asarray(x, dtype=float).reshape(-1), float(b))


def default_ask(params):
    return ["s"]


def solve(params, tracer):
    tracer.given("x", params.x, group="toy")
    tracer.step("y", "a·x + b", "a x + b", ["x"], lambda ops, x, a, b: ops.scale(a, x) + b,
                uses=("scale",), data={"a": params.a, "b": params.b}, group="toy")
    tracer.step("s", "Σ y²", r"\\\\sum y^2", ["y"], lambda ops, y: float(np.sum(ops.square(y))), uses=("square",), group="toy")


def degenerate(trace, original):
    return None
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The toy module on the path and its one registry line: nothing else is edited."""
    (tmp_path / "toy_solver.py").write_text(TOY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(SOLVERS, "toy", "toy_solver")
    yield tmp_path
    sys.modules.pop("toy_solver", None)


def _lstmhw(capsys, monkeypatch, *args):
    """Run the CLI in this process (the monkeypatched registry applies): (exit code, stdout, stderr)."""
    from lstmhw import cli

    monkeypatch.setattr(sys, "argv", ["lstmhw", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_a_new_solver_is_one_module_and_one_registry_line(toy, capsys, monkeypatch):
    code, template, err = _lstmhw(capsys, monkeypatch, "new", "toy")
    assert code == 0, err
    key = toy / "key.yaml"
    key.write_text(template.replace("solver: toy", "id: t1\nsolver: toy"), encoding="utf-8")

    # solve: y = 2.5·x + 0.25 = [4.0, -1.0, 5.875]; s = 16 + 1 + 34.515625 = 51.515625 (by hand)
    code, out, err = _lstmhw(capsys, monkeypatch, "solve", str(key), "--format", "json")
    assert code == 0, err
    quantities = json.loads(out)["problems"][0]["quantities"]
    assert quantities["y"] == [4.0, -1.0, 5.875] and quantities["s"] == 51.515625
    for fmt, mark in (("markdown", "a·x + b"), ("latex", r"\begin{document}"), ("table", "Σ y²")):
        code, out, err = _lstmhw(capsys, monkeypatch, "solve", str(key), "--format", fmt)
        assert code == 0 and mark in out, (fmt, err)

    # grade: right; the square forgotten (s = 4 − 1 + 5.875 = 8.875) named; a wrong y with s carried forward from it
    answers = {
        "right": {"y": [4.0, -1.0, 5.875], "s": 51.515625},
        "forgot": {"y": [4.0, -1.0, 5.875], "s": 8.875},
        "carried": {"y": [4.0, -1.0, 6.0], "s": 16 + 1 + 36},
    }
    subs = []
    for student, given in answers.items():
        path = toy / f"{student}.yaml"
        path.write_text(json.dumps({"student": student, "answers": given}), encoding="utf-8")
        subs.append(str(path))
    code, out, err = _lstmhw(capsys, monkeypatch, "grade", str(key), *subs, "--format", "json")
    assert code == 0, err
    report = {s["student"]: s["problems"]["t1"] for s in json.loads(out)["submissions"]}
    assert report["right"]["s"]["verdict"] == "correct"
    assert report["forgot"]["s"]["verdict"] == "incorrect"
    assert report["forgot"]["s"]["diagnosis"]["mistake"] == "toy-square-forgotten", report["forgot"]
    assert report["carried"]["y"]["verdict"] == "incorrect"
    assert report["carried"]["s"]["verdict"] == "correct-ecf"

    # variant: a and the x's redrawn, written back as a toy problem that solves
    code, out, err = _lstmhw(capsys, monkeypatch, "variant", str(key), "--seed", "4")
    assert code == 0, err
    variant = toy / "v4.yaml"
    variant.write_text(out, encoding="utf-8")
    problem = load_problem(str(variant))
    assert problem.solver == "toy" and problem.variant == {"seed": 4, "of": "t1"}
    assert not np.array_equal(run(problem).value("y"), np.array([4.0, -1.0, 5.875]))
