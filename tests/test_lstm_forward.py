"""lstm-forward against SPEC §5, seed 002's notebook, and a plain second implementation."""

from __future__ import annotations

import json
import math
import random
import warnings

import numpy as np
import pytest
from conftest import PROBLEMS, run_cli
from reference import plain_lstm

from lstmhw.mathops import sigmoid, tanh
from lstmhw.problem import load_problem
from lstmhw.solvers import run


def test_p4_matches_spec_reference_values():
    trace = run(load_problem(str(PROBLEMS / "p4.yaml")))
    # SPEC §5
    assert trace.value("h[1]")[0] == pytest.approx(0.217415, abs=5e-7)
    assert trace.value("h[2]")[0] == pytest.approx(-0.189882, abs=5e-7)
    assert trace.value("mse") == pytest.approx(0.529861, abs=5e-7)


def test_p4_matches_seed_002_notebook():
    """Out[20], Out[24]-[28] of the correct student's NumPy session (seeds/002)."""
    trace = run(load_problem(str(PROBLEMS / "p4.yaml")))
    assert trace.value("h[1]")[0] == pytest.approx(0.21741464, abs=5e-9)
    assert trace.value("h[2]")[0] == pytest.approx(-0.18988225, abs=5e-9)
    assert trace.value("f[2]")[0] == pytest.approx(0.23302782, abs=5e-9)
    assert trace.value("i[2]")[0] == pytest.approx(0.45880094, abs=5e-9)
    assert trace.value("o[2]")[0] == pytest.approx(0.88919901, abs=5e-9)
    assert trace.value("c_tilde[2]")[0] == pytest.approx(-0.58752507, abs=5e-9)
    # seed 002 (g): ½[(y1−h1)² + (y2−h2)²] = ½[0.07985 + 0.97986] = 0.5298
    # (the student truncated to five decimals)
    assert trace.value("sq_err[1]")[0] == pytest.approx(0.07985, abs=1e-5)
    assert trace.value("sq_err[2]")[0] == pytest.approx(0.97986, abs=1e-5)


def _random_problem(rng: random.Random, H: int, D: int, T: int, reduction: str) -> dict:
    mat = lambda r, c: [[rng.uniform(-2, 2) for _ in range(c)] for _ in range(r)]
    vec = lambda n: [rng.uniform(-1, 1) for _ in range(n)]
    return {
        "solver": "lstm-forward",
        "W": {g: mat(H, D) for g in "fioc"},
        "U": {g: mat(H, H) for g in "fioc"},
        "b": {g: vec(H) for g in "fioc"},
        "x": mat(T, D),
        "h0": vec(H),
        "c0": vec(H),
        "y": mat(T, H),
        "loss": {"reduction": reduction},
    }


@pytest.mark.parametrize("seed", range(12))
def test_random_problems_agree_with_plain_implementation(seed, tmp_path):
    rng = random.Random(seed)
    H, D, T = rng.randint(1, 8), rng.randint(1, 6), rng.randint(1, 10)
    reduction = ["mean", "sum", "half-sum"][seed % 3]
    data = _random_problem(rng, H, D, T, reduction)
    path = tmp_path / "random.yaml"
    path.write_text(json.dumps(data))  # JSON is YAML; floats keep every digit
    trace = run(load_problem(str(path)))
    expected = plain_lstm(data, working=True)
    for name, value in expected.items():
        np.testing.assert_allclose(trace.value(name), value, rtol=1e-12, atol=1e-12, err_msg=name)


def test_json_output_has_every_quantity_at_full_precision():
    result = run_cli("solve", str(PROBLEMS / "p4.yaml"), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    (problem,) = doc["problems"]
    assert problem["id"] == "p4" and problem["solver"] == "lstm-forward"
    assert problem["asked"] == ["h[1]", "h[2]", "mse"]
    quantities = problem["quantities"]
    for t in (1, 2):
        for name in ("z_f", "z_i", "z_o", "z_c", "f", "i", "o", "c_tilde", "c", "h"):
            assert f"{name}[{t}]" in quantities
    # never rounded: the notebook's eight digits are all there, and more
    assert quantities["h[1]"][0] == pytest.approx(0.21741464, abs=5e-9)
    assert quantities["mse"] == pytest.approx(0.5298606767, abs=1e-10)
    step = next(s for s in problem["steps"] if s["name"] == "f[1]")
    assert step["formula"] == "σ(z_f[1])" and step["inputs"] == ["z_f[1]"]


def test_sigmoid_and_tanh_are_stable_at_extremes():
    z = np.array([-1000.0, -1e4, -40.0, 0.0, 40.0, 1000.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow warning fails the test
        s = sigmoid(z)
        t = tanh(z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(t))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    # σ(−40) ≈ e^−40 must not underflow to 0 through 1/(1+e^40) cancellation
    assert s[2] == pytest.approx(math.exp(-40), rel=1e-12)
    assert list(t[[0, -1]]) == [-1.0, 1.0]


def test_lstm_forward_command_overrides_inputs():
    # With x = [1, 0] for one step, h[1] is the same as in p4; y = 0.5 gives the first term only.
    result = run_cli("lstm-forward", str(PROBLEMS / "p4.yaml"), "--x", "1 0", "--y", "0.5", "--format", "json")
    assert result.returncode == 0, result.stderr
    q = json.loads(result.stdout)["problems"][0]["quantities"]
    assert "h[2]" not in q
    assert q["h[1]"][0] == pytest.approx(0.21741464, abs=5e-9)
    assert q["mse"] == pytest.approx((0.21741464 - 0.5) ** 2, abs=1e-8)
