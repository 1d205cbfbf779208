"""Checks shared by the tests of the optimizer solvers (momentum, rmsprop, adagrad).

Nothing here computes an expected value: each test file writes its own plain
reference of the update rule. These are the harness: solve a problem written as
data, grade a hand-made answer, and hold every step to the solver contract
(a function of its ops fields, inputs and data only).
"""

from __future__ import annotations

import dataclasses
import json
import random

import numpy as np
import yaml
from conftest import ROOT, graded, named, one_error_line, run_cli  # noqa: F401 (graded, named: used by the optimizer tests)
from test_reruns import assert_own_values

from lstmhw.mistakes import patched_ops
from lstmhw.problem import load_problem
from lstmhw.reruns import Reruns
from lstmhw.solvers import run, solver_module

RTOL, ATOL = 1e-10, 1e-13  # the agreement: 1e-10 relative (an absolute floor for values that cancel to ~0)


def write_problem(data: dict, tmp_path, name: str = "p.yaml") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML, and keeps every digit
    return str(path)


def solve_data(data: dict, tmp_path, name: str = "p.yaml"):
    return run(load_problem(write_problem(data, tmp_path, name)))


def matrix(rng: random.Random, rows: int, cols: int, lo: float, hi: float, digits: int | None = None) -> list:
    cell = (lambda: round(rng.uniform(lo, hi), digits)) if digits is not None else (lambda: rng.uniform(lo, hi))
    return [[cell() for _ in range(cols)] for _ in range(rows)]


def assert_agrees(trace, expected: dict, context) -> None:
    for name, value in expected.items():
        np.testing.assert_allclose(trace.value(name), value, rtol=RTOL, atol=ATOL, err_msg=f"{name} {context}")


def shows(wrong, right) -> bool:
    """The mistake moves the answer clearly beyond the grading tolerance and 2-decimal hand rounding."""
    a, b = np.asarray(wrong, dtype=float), np.asarray(right, dtype=float)
    return bool(np.all(np.isfinite(a)) and np.any(np.abs(a - b) > 0.02 + 0.05 * np.abs(b)))


def assert_named_back(mistake: str, draw, plain, quantity, tmp_path, *, wanted: int = 3, tries: int = 40) -> None:
    """``wanted`` random problems (``draw(rng)``) where the hand-made mistake shows, each named back by the grader.

    ``plain(problem, mistake)`` is the test's own implementation, with the mistake made by hand
    (``mistake=None``: right); ``quantity(problem)`` is the one answer given (the last step's, so
    nothing earlier can be carried forward and the whole mistaken chain has to explain it).
    """
    rng = random.Random(mistake)
    found = 0
    for n in range(tries):
        if found == wanted:
            break
        problem = {"id": "q", **draw(rng)}
        q = quantity(problem)
        right, wrong = plain(problem, None)[q], plain(problem, mistake)[q]
        if not shows(wrong, right):
            continue  # this draw does not show the mistake
        result = graded(write_problem(problem, tmp_path, f"q{n}.yaml"), "q", {q: np.asarray(wrong).tolist()})[q]
        assert result.verdict == "incorrect", (result, problem)
        assert mistake in named(result), (result.diagnosis, problem)
        found += 1
    assert found == wanted, f"only {found} of {tries} draws showed {mistake}"


class OnlyUses:
    """The ops with only the fields a step declares in ``uses``: anything else is an AttributeError."""

    def __init__(self, ops, uses) -> None:
        self._ops, self._uses = ops, frozenset(uses)

    def __getattr__(self, name: str):
        if name not in self._uses:
            raise AttributeError(f"{name} is not in the step's uses {sorted(self._uses)}")
        return getattr(self._ops, name)


def _same_value(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def assert_contract(path: str) -> None:
    """Every step of the problem, with the right ops and with every mistake: a function of
    its declared ops fields, inputs and data only; and grading's incremental re-runs agree."""
    problem = load_problem(path)
    module = solver_module(problem.solver)
    all_ops = [module.OPS] + [ops for _, _, ops in patched_ops(problem.solver)]
    for ops in all_ops:
        try:
            trace = run(problem, ops=ops)
        except ArithmeticError:  # a mistaken chain that leaves float64: the grader skips it too
            continue
        for step in trace:
            if step.given:
                continue
            assert step.fn.__closure__ is None and not step.fn.__defaults__, step.name
            assert set(step.uses) <= {f.name for f in dataclasses.fields(ops)}, step.name
            with np.errstate(all="ignore"):
                again = step.fn(OnlyUses(ops, step.uses), *[trace.value(i) for i in step.inputs], **step.data)
            assert _same_value(again, step.own), step.name
            assert isinstance(step.value, float) or step.value.dtype == float, step.name
    # A student's own value for each asked quantity: every step re-run from it is the full run's, with every ops.
    reruns = Reruns(problem)
    base = run(problem)
    overrides = {q: base.value(q) * 1.1 + 0.01 for q in problem.ask}
    for ops in all_ops:
        for chosen in ({}, overrides):
            assert_own_values(problem, reruns, chosen, ops)


# -- files, flags, templates, variants, examples -------------------------------------
def as_grads(doc: dict) -> dict:
    """The problem with its gradients as ``grads`` (``grad`` repeated ``steps`` times), as the plain loops read them."""
    if "grads" in doc:
        return doc
    return {**doc, "grads": [doc["grad"]] * doc.get("steps", 1)}


def assert_bad_file(name: str, text: str, fragments, write) -> None:
    line = one_error_line(run_cli("solve", write(f"{name}.yaml", text)))
    assert f"{name}.yaml" in line
    for fragment in fragments:
        assert fragment in line, line


def assert_bad_flags(command: str, args, fragment: str) -> None:
    line = one_error_line(run_cli(command, *args))
    assert fragment in line, line


def quantities(result) -> dict:
    """Every quantity of the one problem a ``--format json`` run printed."""
    assert result.returncode == 0, result.stderr
    (problem,) = json.loads(result.stdout)["problems"]
    return problem["quantities"]


def assert_template_varies(solver: str, plain, kept, tmp_path) -> None:
    """``lstmhw new`` checks and solves to the plain loop's values; ``lstmhw variant`` keeps the
    hyper-parameters ``kept``, redraws the solver's REDRAW keys, and solves to the plain loop's values too."""
    template = run_cli("new", solver)
    assert template.returncode == 0, template.stderr
    path = tmp_path / f"{solver}.yaml"
    path.write_text(template.stdout, encoding="utf-8")
    assert run_cli("check", str(path)).returncode == 0
    doc = yaml.safe_load(template.stdout)
    assert_agrees(run(load_problem(str(path))), plain(as_grads(doc)), "template")
    varied = run_cli("variant", str(path), "--seed", "3")
    assert varied.returncode == 0, varied.stderr
    vdoc = yaml.safe_load(varied.stdout)
    for key in (*kept, "ask"):
        assert vdoc[key] == doc[key], key
    for key in solver_module(solver).REDRAW:
        if key in doc and not isinstance(doc[key], (int, float)):
            assert vdoc[key] != doc[key], key
    (tmp_path / "v.yaml").write_text(varied.stdout, encoding="utf-8")
    assert_agrees(run(load_problem(str(tmp_path / "v.yaml"))), plain(as_grads(vdoc)), "variant")


def assert_example(solver: str, plain) -> None:
    """examples/<solver>.yaml, a small exam problem, solves to the plain loop's values."""
    path = ROOT / "examples" / f"{solver}.yaml"
    trace = run(load_problem(str(path)))
    assert trace.solver == solver and trace.asked
    assert_agrees(trace, plain(as_grads(yaml.safe_load(path.read_text(encoding="utf-8")))), "example")
