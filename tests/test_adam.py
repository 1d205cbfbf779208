"""adam against SPEC §5 and against a deliberately plain loop of PyTorch's update rule."""

from __future__ import annotations

import dataclasses
import json
import math
import random

import numpy as np
import pytest
from conftest import PROBLEMS, one_error_line, run_cli

from lstmhw.problem import load_problem
from lstmhw.solvers import run
from lstmhw.solvers.adam import OPS

P1 = (PROBLEMS / "p1.yaml").read_text()


def plain_adam(p: dict) -> dict:
    """PyTorch's Adam/AdamW loop (torch/optim/adam.py, single-tensor path), one element at a time.

    Written from PyTorch's own arrangement of the algebra, not the solver's:
    denom = √v/√(1−β2^k) + ε and the step size lr/(1−β1^k); amsgrad keeps the
    maximum of the raw v; AdamW multiplies the parameter by 1 − lr·λ first.
    Returns {"W[k]": ..., "V[k]": ..., "S[k]": ...} as nested lists of floats.
    """
    lr, b1, b2, eps = p["lr"], p["beta1"], p["beta2"], p["eps"]
    wd, decoupled, amsgrad = p.get("weight_decay", 0.0), p.get("decoupled", False), p.get("amsgrad", False)
    param = [list(row) for row in p["W"]]
    m = [list(row) for row in p["V"]]
    v = [list(row) for row in p["S"]]
    vmax = [list(row) for row in p.get("S_max", p["S"])]
    out = {}
    for n, grad in enumerate(p["grads"]):
        k = p["t"] + n
        for r in range(len(param)):
            for c in range(len(param[r])):
                g = grad[r][c]
                if wd and not decoupled:
                    g = g + wd * param[r][c]
                if wd and decoupled:
                    param[r][c] = param[r][c] * (1 - lr * wd)
                m[r][c] = m[r][c] * b1 + g * (1 - b1)  # exp_avg.lerp_(grad, 1 - beta1)
                v[r][c] = v[r][c] * b2 + (1 - b2) * g * g  # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
                bias_correction1 = 1 - b1**k
                bias_correction2 = 1 - b2**k
                if amsgrad:
                    vmax[r][c] = max(vmax[r][c], v[r][c])
                    denom = math.sqrt(vmax[r][c]) / math.sqrt(bias_correction2) + eps
                else:
                    denom = math.sqrt(v[r][c]) / math.sqrt(bias_correction2) + eps
                param[r][c] = param[r][c] - (lr / bias_correction1) * m[r][c] / denom
        out[f"W[{k}]"] = [list(row) for row in param]
        out[f"V[{k}]"] = [list(row) for row in m]
        out[f"S[{k}]"] = [list(row) for row in v]
        if amsgrad:
            out[f"S_max[{k}]"] = [list(row) for row in vmax]
    return out


def random_problem(rng: random.Random) -> dict:
    rows, cols = rng.randint(1, 4), rng.randint(1, 5)
    mat = lambda lo, hi: [[rng.uniform(lo, hi) for _ in range(cols)] for _ in range(rows)]
    steps = rng.randint(1, 6)
    p = {
        "solver": "adam",
        "lr": rng.choice([1e-3, 0.01, 0.1, rng.uniform(0.001, 1)]),
        "beta1": rng.choice([0.0, 0.5, 0.9, rng.uniform(0, 0.99)]),
        "beta2": rng.choice([0.0, 0.99, 0.999, rng.uniform(0, 0.9999)]),
        "eps": rng.choice([0.0, 1e-8, 1e-3]),
        "t": rng.randint(1, 60),
        "W": mat(-2, 2),
        "grads": [mat(-3, 3) for _ in range(steps)],
        "V": mat(-1, 1),
        "S": mat(0.01, 1),  # S > 0, so eps = 0 never divides by zero
    }
    option = rng.choice(["plain", "l2", "adamw", "amsgrad", "amsgrad-l2"])
    if option in ("l2", "amsgrad-l2"):
        p["weight_decay"] = rng.uniform(0.001, 0.5)
    if option == "adamw":
        p["weight_decay"], p["decoupled"] = rng.uniform(0.001, 0.5), True
    if option.startswith("amsgrad"):
        p["amsgrad"] = True
        if rng.random() < 0.5:
            p["S_max"] = [[s + rng.uniform(0, 0.5) for s in row] for row in p["S"]]
    return p


def solve_data(data: dict, tmp_path, name: str = "p.yaml"):
    path = tmp_path / name
    path.write_text(json.dumps(data))  # JSON is YAML, and keeps every digit
    return run(load_problem(str(path)))


def test_p1_matches_spec_reference_values():
    trace = run(load_problem(str(PROBLEMS / "p1.yaml")))
    assert trace.asked == ["V[2]", "S[2]", "W[2]"]
    # SPEC §5, to the digits it gives
    np.testing.assert_allclose(trace.value("V[2]"), [[-0.165, 0.245, -0.059], [-0.196, -0.032, 0.209]], atol=5e-13)
    np.testing.assert_allclose(
        trace.value("S[2]"), [[0.010598, 0.06993, 0.109892], [0.140634, 0.16985, 0.021]], atol=5e-7
    )
    np.testing.assert_allclose(
        trace.value("W[2]"), [[-0.18228, 0.30820, 0.67419], [0.50230, -0.85817, -0.93394]], atol=5e-6
    )


def test_p1_step_names_groups_and_formulas():
    trace = run(load_problem(str(PROBLEMS / "p1.yaml")))
    names = [s.name for s in trace]
    assert names == ["W[1]", "V[1]", "S[1]", "g[2]", "V[2]", "S[2]", "V_corr[2]", "S_corr[2]", "W[2]"]
    assert all(trace[n].given for n in ("W[1]", "V[1]", "S[1]", "g[2]"))
    assert trace["V[2]"].group == "step k = 2"
    assert trace["V_corr[2]"].formula == "V[2] / (1 − 0.9^2)"
    assert trace["W[2]"].inputs == ("W[1]", "V_corr[2]", "S_corr[2]")
    # the bias correction uses beta**t with t = 2 (hand: 0.9·(−0.27) + 0.1·0.78 = −0.165; /(1 − 0.81))
    assert trace.value("V_corr[2]")[0, 0] == pytest.approx(-0.165 / 0.19, rel=1e-12)
    assert trace.value("S_corr[2]")[0, 0] == pytest.approx(0.0105984 / (1 - 0.999**2), rel=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_random_problems_agree_with_plain_pytorch_loop(seed, tmp_path):
    data = random_problem(random.Random(seed))
    trace = solve_data(data, tmp_path)
    expected = plain_adam(data)
    for name, value in expected.items():
        np.testing.assert_allclose(trace.value(name), value, rtol=1e-11, atol=1e-13, err_msg=f"{name} {data}")
    # every quantity of every step is there
    last = data["t"] + len(data["grads"]) - 1
    assert trace.asked == [f"V[{last}]", f"S[{last}]", f"W[{last}]"]


def test_each_option_is_its_own_step(tmp_path):
    base = {"solver": "adam", "lr": 0.1, "t": 3, "W": [[1.0, -2.0]], "grad": [[0.5, 0.25]], "S": [[0.1, 0.2]]}
    l2 = solve_data({**base, "weight_decay": 0.1}, tmp_path, "l2.yaml")
    assert l2["g_wd[3]"].formula == "g[3] + 0.1·W[2]"
    np.testing.assert_allclose(l2.value("g_wd[3]"), [[0.5 + 0.1 * 1.0, 0.25 + 0.1 * -2.0]])
    assert l2["V[3]"].inputs == ("V[2]", "g_wd[3]")
    adamw = solve_data({**base, "weight_decay": 0.1, "decoupled": True}, tmp_path, "w.yaml")
    assert "g_wd[3]" not in adamw and adamw["V[3]"].inputs == ("V[2]", "g[3]")
    np.testing.assert_allclose(adamw.value("W_wd[3]"), [[1.0 * (1 - 0.1 * 0.1), -2.0 * (1 - 0.1 * 0.1)]])
    assert adamw["W[3]"].inputs[0] == "W_wd[3]"
    ams = solve_data({**base, "amsgrad": True}, tmp_path, "a.yaml")
    assert ams["S_corr[3]"].inputs == ("S_max[3]",)
    # S_max[2] defaults to S[2]; S[3] = 0.999·0.1 + 0.001·0.25 = 0.10015 > 0.1
    np.testing.assert_allclose(ams.value("S_max[3]"), [[0.10015, 0.2]], rtol=1e-12)


def test_defaults_aliases_and_repeated_gradient(tmp_path):
    # V, S default to zeros and t to 1: the first step of Adam is ±lr where g ≠ 0 (ε aside)
    trace = solve_data({"solver": "adam", "lr": 0.5, "W": [1.0, 2.0, 3.0], "grad": [2.0, -0.5, 0.0], "eps": 0.0 + 1e-8}, tmp_path)
    np.testing.assert_allclose(trace.value("W[1]"), [0.5, 2.5, 3.0], atol=1e-7)
    aliased = solve_data({"solver": "adam", "t": 2, "W": 1.0, "grad": 0.5, "m": 0.2, "v": 0.3}, tmp_path, "m.yaml")
    named = solve_data({"solver": "adam", "t": 2, "W": 1.0, "grad": 0.5, "V": 0.2, "S": 0.3}, tmp_path, "V.yaml")
    assert aliased.value("W[2]") == named.value("W[2]")
    assert isinstance(named.value("W[2]"), float)  # a scalar problem gives Python floats
    repeated = solve_data({"solver": "adam", "W": 1.0, "grad": 0.5, "steps": 3}, tmp_path, "r.yaml")
    listed = solve_data({"solver": "adam", "W": 1.0, "grads": [0.5, 0.5, 0.5]}, tmp_path, "l.yaml")
    assert [repeated.value(f"W[{k}]") for k in (1, 2, 3)] == [listed.value(f"W[{k}]") for k in (1, 2, 3)]


def _p1():
    return load_problem(str(PROBLEMS / "p1.yaml"))


def test_every_mistake_is_one_ops_field():
    """The patch points the mistake catalog needs, each checked against the mistake written by hand."""
    W = np.array([[-0.22, 0.33, 0.67], [0.49, -0.86, -0.90]])
    g = np.array([[0.78, 0.02, 0.04], [-0.88, -0.14, 1.01]])
    V = np.array([[-0.27, 0.27, -0.07], [-0.12, -0.02, 0.12]])
    S = np.array([[0.01, 0.07, 0.11], [0.14, 0.17, 0.02]])
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    V2, S2 = b1 * V + (1 - b1) * g, b2 * S + (1 - b2) * g**2

    def patched(**fields):
        return run(_p1(), ops=dataclasses.replace(OPS, **fields))

    # no-bias-correction
    trace = patched(bias_correct=lambda moment, power: moment)
    np.testing.assert_allclose(trace.value("W[2]"), W - lr * V2 / (np.sqrt(S2) + eps))
    # bias-correction-wrong-t (β^(k+1))
    trace = patched(bias_power=lambda beta, k: beta ** (k + 1))
    np.testing.assert_allclose(trace.value("V_corr[2]"), V2 / (1 - b1**3))
    # missing-sqrt
    trace = patched(sqrt=lambda x: x)
    Vc, Sc = V2 / (1 - b1**2), S2 / (1 - b2**2)
    np.testing.assert_allclose(trace.value("W[2]"), W - lr * Vc / (Sc + eps))
    # grad-not-squared
    trace = patched(square=lambda x: x)
    np.testing.assert_allclose(trace.value("S[2]"), b2 * S + (1 - b2) * g)
    # betas-swapped
    trace = patched(betas=lambda first, second: (second, first))
    np.testing.assert_allclose(trace.value("V[2]"), b2 * V + (1 - b2) * g)
    np.testing.assert_allclose(trace.value("S_corr[2]"), (b1 * S + (1 - b1) * g**2) / (1 - b1**2))
    # moments-swapped: each update reads the other's previous value
    trace = patched(previous=lambda first, second: (second, first))
    np.testing.assert_allclose(trace.value("V[2]"), b1 * S + (1 - b1) * g)
    np.testing.assert_allclose(trace.value("S[2]"), b2 * V + (1 - b2) * g**2)
    # and the right ops still give the key
    np.testing.assert_allclose(run(_p1()).value("V[2]"), V2)


def test_steps_recompute_from_overrides_and_rounding():
    student_V = np.array([[-0.2, 0.2, -0.1], [-0.2, 0.0, 0.2]])
    trace = run(_p1(), overrides={"V[2]": student_V})
    np.testing.assert_allclose(trace.value("V_corr[2]"), student_V / (1 - 0.9**2))
    assert trace["V[2]"].own[0, 0] == pytest.approx(-0.165)  # what it should have been
    rounded = run(_p1(), decimals=3)
    assert all(np.array_equal(s.value, np.round(s.value, 3)) for s in rounded if not s.given)
    np.testing.assert_allclose(rounded.value("W[2]"), run(_p1()).value("W[2]"), atol=2e-3)
    key = run(_p1())
    np.testing.assert_allclose(
        run(_p1(), overrides={"S_corr[2]": np.ones((2, 3))}).value("W[2]"),
        key.value("W[1]") - 0.1 * key.value("V_corr[2]") / (1 + 1e-8),
    )


def test_adam_command_matches_p1():
    result = run_cli(
        "adam", "--lr", "0.1", "--t", "2", "--W", "-0.22 0.33 0.67; 0.49 -0.86 -0.90",
        "--grad", "[[0.78, 0.02, 0.04], [-0.88, -0.14, 1.01]]", "--V", "-0.27 0.27 -0.07; -0.12 -0.02 0.12",
        "--S", "0.01 0.07 0.11; 0.14 0.17 0.02", "--format", "json",
    )
    assert result.returncode == 0, result.stderr
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["solver"] == "adam" and problem["asked"] == ["V[2]", "S[2]", "W[2]"]
    np.testing.assert_allclose(problem["quantities"]["W[2]"], run(_p1()).value("W[2]"), rtol=1e-15)


def test_adam_command_several_steps_and_options():
    result = run_cli("adam", "--W", "1 2", "--grads", "0.5 0.5", "--grads", "-1 0.25", "--amsgrad",
                     "--weight-decay", "0.01", "--decoupled", "--format", "json")
    assert result.returncode == 0, result.stderr
    quantities = json.loads(result.stdout)["problems"][0]["quantities"]
    expected = plain_adam({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "t": 1, "W": [[1, 2]],
                           "grads": [[[0.5, 0.5]], [[-1, 0.25]]], "V": [[0, 0]], "S": [[0, 0]],
                           "weight_decay": 0.01, "decoupled": True, "amsgrad": True})
    np.testing.assert_allclose(quantities["W[2]"], expected["W[2]"][0], rtol=1e-12)
    assert "W_wd[2]" in quantities and "S_max[2]" in quantities



BAD_FILES = [
    ("beta1", P1.replace("beta1: 0.9", "beta1: 1"), ["beta1.yaml:6:", "beta1", "expected a number < 1"]),
    ("beta2", P1.replace("beta2: 0.999", "beta2: -0.1"), ["beta2.yaml:7:", "beta2", "≥ 0"]),
    ("lr", P1.replace("lr: 0.1", "lr: 0"), ["lr.yaml:5:", "lr", "> 0"]),
    ("eps", P1.replace("eps: 1.0e-8", "eps: -1e-8"), ["eps", "≥ 0"]),
    ("t0", P1.replace("t: 2 ", "t: 0 "), ["t0.yaml:9:", "t: 0", "≥ 1"]),
    ("thalf", P1.replace("t: 2 ", "t: 2.5 "), ["t: 2.5", "whole number"]),
    ("shape", P1.replace("grad: [[0.78, 0.02, 0.04], [-0.88, -0.14, 1.01]]", "grad: [[0.78, 0.02], [-0.88, -0.14]]"),
     ["shape.yaml:11:", "grad: shape (2, 2), expected (2, 3) like W"]),
    ("Vshape", P1.replace("V: [[-0.27, 0.27, -0.07], [-0.12, -0.02, 0.12]]", "V: [1, 2, 3]"), ["V: shape (3,), expected (2, 3)"]),
    ("alias", P1 + "m: [[0, 0, 0], [0, 0, 0]]\n", ["both V and its alias m"]),
    ("nograd", P1.replace("grad: [[0.78, 0.02, 0.04], [-0.88, -0.14, 1.01]]", ""), ["missing key 'grad'"]),
    ("both", P1 + "grads: [[[1, 2, 3], [4, 5, 6]]]\n", ["grads", "both grad and grads"]),
    ("gradsshape", P1.replace("grad: [[0.78, 0.02, 0.04], [-0.88, -0.14, 1.01]]", "grads: [[[1, 2, 3], [4, 5, 6]], [1, 2]]"),
     ["grads[1]: shape (2,), expected (2, 3) like W"]),
    ("text", P1.replace("lr: 0.1", "lr: fast"), ["lr", "'fast', expected a finite number"]),
    ("negS", P1.replace("S: [[0.01, 0.07", "S: [[-0.01, 0.07"), ["S", "negative"]),
    ("unknown", P1 + "momentum: 0.9\n", ["momentum", "unknown key"]),
    ("eps0", "solver: adam\neps: 0\nW: [1, 2]\ngrad: [0, 1]\n", ["eps", "S_corr[1] has a zero entry", "eps > 0"]),
    ("overflow", "solver: adam\nW: 1\ngrad: 1e200\n", ["grad", "overflows"]),
    ("decoupled", P1 + "decoupled: true\n", ["decoupled", "weight_decay > 0"]),
    ("steps", P1 + "steps: 100000\n", ["steps", "expected at most"]),
]


@pytest.mark.parametrize("name, text, fragments", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_adam_file_gives_one_located_line(name, text, fragments, write):
    line = one_error_line(run_cli("solve", write(f"{name}.yaml", text)))
    assert f"{name}.yaml" in line
    for fragment in fragments:
        assert fragment in line, line


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--grad", "1"], "--W is missing"),
        (["--W", "1", "--grad", "1", "--beta1", "1.5"], "beta1: 1.5, expected a number < 1"),
        (["--W", "1 2", "--grad", "1 2 3"], "grad: shape (3,), expected (2,) like W"),
        (["--W", "1", "--grad", "x"], "--grad: 'x'"),
        (["--W", "1", "--grad", "1", "--t", "0"], "t: 0"),
    ],
)
def test_bad_adam_flags_give_one_line(args, fragment):
    line = one_error_line(run_cli("adam", *args))
    assert fragment in line, line


@pytest.mark.parametrize("solver", ["adam", "rnn-gradient", "lstm-claims"])
def test_templates_check_and_solve(solver, tmp_path):
    template = run_cli("new", solver)
    assert template.returncode == 0, template.stderr
    path = tmp_path / f"{solver}.yaml"
    path.write_text(template.stdout)
    solved = run_cli("solve", str(path), "--format", "json")
    assert solved.returncode == 0, solved.stderr
    (problem,) = json.loads(solved.stdout)["problems"]
    assert problem["solver"] == solver and problem["asked"]
