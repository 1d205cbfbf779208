"""lstm-claims: SPEC §5's verdicts, and the evidence checked against numbers worked by hand."""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pytest
from conftest import PROBLEMS, one_error_line, run_cli

from lstmhw.problem import load_problem
from lstmhw.solvers import run
from lstmhw.solvers.lstm_claims import CLAIMS, OPS

P3 = (PROBLEMS / "p3.yaml").read_text()
ALL = {"a": "zero-input-keeps-state", "b": "forget-zero-blocks-gradient", "c": "gates-nonnegative",
       "d": "gates-sum-to-one", "e": "gates-match-hidden-size"}


def sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def solve_data(data: dict, tmp_path, name: str = "p.yaml"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return run(load_problem(str(path)))


def test_p3_matches_spec_verdicts():
    trace = run(load_problem(str(PROBLEMS / "p3.yaml")))
    assert trace.asked == ["a", "b", "c", "d", "e"]
    verdicts = [trace.value(q) for q in "abcde"]
    assert verdicts == [False, False, True, False, True]  # SPEC §5
    assert all(type(v) is bool for v in verdicts)


def test_p3_evidence_is_the_hand_computation():
    """p3 uses p4's LSTM (H = 1): the counterexamples can be worked by hand."""
    trace = run(load_problem(str(PROBLEMS / "p3.yaml")))
    # (a) x = 0, h = c = 0: c = σ(−0.1)·tanh(0.5), h = σ(0.8)·tanh(c) = 0.1491 ≠ 0
    h = sig(0.8) * math.tanh(sig(-0.1) * math.tanh(0.5))
    assert h == pytest.approx(0.14908, abs=1e-5)
    assert f"{h:.4g}" in trace["a"].formula and "≠" in trace["a"].formula
    # (d) x = 0, h = 0: σ(0.2) + σ(−0.1) + σ(0.8) = 0.5498 + 0.4750 + 0.6900 = 1.715 ≠ 1
    total = sig(0.2) + sig(-0.1) + sig(0.8)
    assert total == pytest.approx(1.7148, abs=1e-4)
    assert f"{total:.4g}" in trace["d"].formula
    # (b) f ≈ 0 and a non-zero ∂h_t/∂h_{t−1} are both shown
    assert "≈ 0" in trace["b"].formula and "≠ 0" in trace["b"].formula
    # (c) σ's minimum over the sweep, σ(−60) = 8.757e-27 ≥ 0
    assert f"{sig(-60):.4g}" in trace["c"].formula
    # every verdict says why, in words
    for q in "abcde":
        assert trace[q].note and CLAIMS[ALL[q]] in trace[q].note


def test_forget_gate_closed_still_passes_gradient_by_hand():
    """(b)'s number, recomputed analytically at the state the evidence prints (p4's LSTM, H = 1).

    With x = 0 and b_f − 40: c_t = f·c + i·c̃, h_t = o·tanh(c_t), so
    ∂h_t/∂h_{t−1} = o(1−o)·U_o·tanh(c_t) + o·(1 − tanh²c_t)·(f(1−f)U_f·c + i(1−i)U_i·c̃ + i(1−c̃²)U_c).
    """
    trace = run(load_problem(str(PROBLEMS / "p3.yaml")))
    formula = trace["b"].formula
    found = re.search(r"h\[t−1\] = \[([^\]]+)\], c\[t−1\] = \[([^\]]+)\]: f\[t\] = \[([^\]]+)\].*= \[([^\]]+)\] ≠ 0", formula)
    assert found, formula
    h, c, f_shown, shown = (float(found.group(n)) for n in (1, 2, 3, 4))
    f = sig(0.5 * h + 0.2 - 40)
    i, o, ct = sig(2 * h - 0.1), sig(-1 * h + 0.8), math.tanh(1.5 * h + 0.5)
    c_t = f * c + i * ct
    d = o * (1 - o) * -1 * math.tanh(c_t) + o * (1 - math.tanh(c_t) ** 2) * (
        f * (1 - f) * 0.5 * c + i * (1 - i) * 2 * ct + i * (1 - ct**2) * 1.5
    )
    assert f < 1e-15 and f_shown == pytest.approx(f, rel=5e-3)
    assert shown == pytest.approx(d, rel=2e-3)  # the state is printed to 4 digits
    assert abs(d) > 0.01 and trace.value("b") is False


@pytest.mark.parametrize("seed", [0, 1, 7, 123])
def test_verdicts_without_weights_use_seeded_random_lstms(seed, tmp_path):
    trace = solve_data({"solver": "lstm-claims", "claims": ALL, "seed": seed}, tmp_path)
    assert [trace.value(q) for q in "abcde"] == [False, False, True, False, True]
    assert "random LSTM" in trace["a"].formula
    again = solve_data({"solver": "lstm-claims", "claims": ALL, "seed": seed}, tmp_path, "again.yaml")
    assert [s.formula for s in again] == [s.formula for s in trace]  # deterministic per seed


def test_search_goes_on_when_the_given_weights_show_nothing(tmp_path):
    # U = 0 everywhere: with these weights h_{t−1} reaches nothing, so no counterexample to (b) here
    H = 2
    zeros = {g: [[0.0] * H for _ in range(H)] for g in "fioc"}
    lstm = {"W": {g: [[1.0]] * H for g in "fioc"}, "U": zeros, "b": {g: [0.0] * H for g in "fioc"}}
    trace = solve_data({"solver": "lstm-claims", "claims": {"b": "forget-zero-blocks-gradient"}, "lstm": lstm}, tmp_path)
    assert trace.value("b") is False
    assert "random LSTM" in trace["b"].formula


def test_claims_follow_the_lstm_ops():
    """A mistake patched into the gate changes the experiment: tanh gates can be negative."""
    problem = load_problem(str(PROBLEMS / "p3.yaml"))
    trace = run(problem, ops=dataclasses.replace(OPS, gate=np.tanh))
    assert trace.value("c") is False and "below 0" in trace["c"].formula


def test_labels_are_the_quantities_in_file_order(tmp_path):
    trace = solve_data({"solver": "lstm-claims", "claims": {"q2": "gates-sum-to-one", "q1": "gates-nonnegative"}}, tmp_path)
    assert trace.asked == ["q2", "q1"]
    assert trace.value("q2") is False and trace.value("q1") is True


def test_json_has_booleans():
    result = run_cli("solve", str(PROBLEMS / "p3.yaml"), "--format", "json")
    assert result.returncode == 0, result.stderr
    quantities = json.loads(result.stdout)["problems"][0]["quantities"]
    assert quantities == {"a": False, "b": False, "c": True, "d": False, "e": True}



BAD_FILES = [
    ("unknown", P3.replace("e: gates-match-hidden-size", "e: gates-are-probabilities"),
     ["unknown.yaml:10:", "claims.e", "not a known claim", ", ".join(CLAIMS)]),
    ("typo", P3.replace("d: gates-sum-to-one", "d: gates-sum-to-onee"), ["claims.d", "did you mean 'gates-sum-to-one'"]),
    ("notmap", "solver: lstm-claims\nclaims: [a, b]\n", ["claims", "expected a mapping of label to claim"]),
    ("noclaims", "solver: lstm-claims\n", ["missing key 'claims'"]),
    ("nou", P3.replace("  U: {f: [[0.5]],  i: [[2]],     c: [[1.5]],  o: [[-1]]}\n", ""), ["lstm", "missing key 'U'"]),
    ("shape", P3.replace("U: {f: [[0.5]],", "U: {f: [[0.5, 1]],"), ["lstm.U.f", "shape (1, 2), expected (1, 1)"]),
    ("ask", P3.replace("ask: [a, b, c, d, e]", "ask: [a, f]"), ["ask[1]", "'f' is not a quantity"]),
]


@pytest.mark.parametrize("name, text, fragments", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_claims_file_gives_one_located_line(name, text, fragments, write):
    line = one_error_line(run_cli("solve", write(f"{name}.yaml", text)))
    assert f"{name}.yaml" in line
    for fragment in fragments:
        assert fragment in line, line
