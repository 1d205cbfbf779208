"""rnn-gradient against SPEC §5, closed forms, and finite differences of a rolled-out RNN."""

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
from lstmhw.solvers.rnn_gradient import OPS

P2 = (PROBLEMS / "p2.yaml").read_text()


def sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# φ written out again here, independently of the solver's activations
PHI = {
    "sigmoid-centered": lambda z: sig(z) - 0.5,
    "sigmoid": sig,
    "tanh": math.tanh,
    "relu": lambda z: max(z, 0.0),
    "linear": lambda z: z,
}


def numeric_derivative(name: str, z: float, h: float = 1e-6) -> float:
    return (PHI[name](z + h) - PHI[name](z - h)) / (2 * h)


def solve_data(data: dict, tmp_path, name: str = "p.yaml"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return run(load_problem(str(path)))


def test_p2_matches_spec_reference_values():
    trace = run(load_problem(str(PROBLEMS / "p2.yaml")))
    assert trace.asked == ["phi_prime", "critical_W", "W_vanish", "W_explode"]
    # SPEC §5
    assert trace.value("phi_prime") == pytest.approx(0.25, abs=1e-15)
    assert trace.value("critical_W") == pytest.approx(4.0, abs=1e-14)
    assert trace.value("W_vanish") == pytest.approx(3.64804, abs=5e-6)
    assert trace.value("W_explode") == pytest.approx(4.38591, abs=5e-6)
    # closed form: 4·1e-4**(1/100), and the gradient really shrinks by 1e-4 over 100 steps there
    assert trace.value("W_vanish") == pytest.approx(4 * 1e-4 ** (1 / 100), rel=1e-14)
    assert (trace.value("W_vanish") * 0.25) ** 100 == pytest.approx(1e-4, rel=1e-12)
    assert (trace.value("W_explode") * 0.25) ** 100 == pytest.approx(1e4, rel=1e-12)
    # W_h = 3 in p2: 0.75 per step, vanishing; 0.75^n = 1e-4 at n = ln(1e-4)/ln(0.75)
    assert trace.value("factor") == pytest.approx(0.75)
    assert trace.value("regime") == "vanishing"
    assert trace.value("ratio") == pytest.approx(0.75**100, rel=1e-12)
    assert 0.75 ** trace.value("steps_to_target") == pytest.approx(1e-4, rel=1e-12)


@pytest.mark.parametrize("activation", ["sigmoid-centered", "sigmoid", "tanh", "relu", "linear"])
@pytest.mark.parametrize("seed", range(4))
def test_scalar_closed_forms(activation, seed, tmp_path):
    rng = random.Random(seed)
    z = rng.uniform(0.1, 2.5) * rng.choice([1, -1] if activation != "relu" else [1])
    steps = rng.randint(1, 500)
    target = 10 ** rng.uniform(-8, -1)
    w = rng.uniform(0.1, 8) * rng.choice([1, -1])
    trace = solve_data({"solver": "rnn-gradient", "activation": activation, "z": z, "steps": steps,
                        "target": target, "W_h": w}, tmp_path)
    d = numeric_derivative(activation, z)
    gamma = {"sigmoid-centered": 0.25, "sigmoid": 0.25}.get(activation, 1.0)
    assert trace.value("phi_prime") == pytest.approx(d, rel=1e-8)
    assert trace.value("gamma") == pytest.approx(gamma, rel=1e-15)
    assert trace.value("critical_W") == pytest.approx(1 / d, rel=1e-8)
    # the defining property of each threshold, not the solver's formula
    assert (trace.value("W_vanish") * d) ** steps == pytest.approx(target, rel=1e-6)
    assert (trace.value("W_explode") * d) ** steps == pytest.approx(1 / target, rel=1e-6)
    factor = abs(w) * d
    assert trace.value("factor") == pytest.approx(factor, rel=1e-8)
    assert trace.value("ratio") == pytest.approx(factor**steps, rel=1e-5)
    regime = "vanishing" if factor < 1 else "exploding"
    assert trace.value("regime") == regime
    n = trace.value("steps_to_target")
    assert factor**n == pytest.approx(target if regime == "vanishing" else 1 / target, rel=1e-6)
    assert isinstance(trace.value("regime"), str) and isinstance(trace.value("ratio"), float)


def test_neutral_and_dead_relu(tmp_path):
    neutral = solve_data({"solver": "rnn-gradient", "activation": "sigmoid-centered", "steps": 50,
                          "target": 0.01, "W_h": -4}, tmp_path, "n.yaml")
    assert neutral.value("regime") == "neutral" and neutral.value("ratio") == 1.0
    assert "steps_to_target" not in neutral  # it never gets there
    assert "keeps its size" in neutral["regime"].note
    barely = solve_data({"solver": "rnn-gradient", "activation": "sigmoid-centered", "steps": 50,
                         "target": 0.01, "W_h": 4.004}, tmp_path, "b.yaml")
    assert barely.value("regime") == "exploding"  # 1.001 per step is not neutral
    assert 1.001 ** barely.value("steps_to_target") == pytest.approx(100, rel=1e-9)
    dead = solve_data({"solver": "rnn-gradient", "activation": "relu", "z": -1, "steps": 5, "target": 0.01,
                       "W_h": 3}, tmp_path, "d.yaml")
    assert dead.value("phi_prime") == 0.0 and "critical_W" not in dead
    assert "no critical W" in dead["phi_prime"].note
    assert dead.value("regime") == "vanishing" and dead.value("ratio") == 0.0


def rolled_out(activation: str, W_h, W_x, b, xs, h0):
    """h[m] = φ(W_h h[m-1] + W_x x[m] + b), plainly, element by element; every h[m]."""
    H = len(h0)
    hs = [list(h0)]
    for x in xs:
        h = hs[-1]
        z = [sum(W_h[r][k] * h[k] for k in range(H)) + sum(W_x[r][k] * x[k] for k in range(len(x))) + b[r]
             for r in range(H)]
        hs.append([PHI[activation](v) for v in z])
    return hs


def fd_jacobians(activation, W_h, W_x, b, xs, h0, delta=1e-6):
    """∂h[m]/∂h[0] for every m by central differences on h0."""
    H = len(h0)
    columns = []
    for j in range(H):
        up = [v + (delta if k == j else 0) for k, v in enumerate(h0)]
        down = [v - (delta if k == j else 0) for k, v in enumerate(h0)]
        hu, hd = rolled_out(activation, W_h, W_x, b, xs, up), rolled_out(activation, W_h, W_x, b, xs, down)
        columns.append([[(hu[m][r] - hd[m][r]) / (2 * delta) for r in range(H)] for m in range(1, len(xs) + 1)])
    return [np.array([[columns[j][m][r] for j in range(H)] for r in range(H)]) for m in range(len(xs))]


@pytest.mark.parametrize("seed", range(10))
def test_matrix_trajectory_against_finite_differences(seed, tmp_path):
    rng = random.Random(seed)
    activation = ["tanh", "sigmoid", "sigmoid-centered", "linear"][seed % 4]
    H, D, steps = rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 12)
    scale = 0.6 if activation == "linear" else 1.5
    W_h = [[rng.uniform(-scale, scale) for _ in range(H)] for _ in range(H)]
    W_x = [[rng.uniform(-1, 1) for _ in range(D)] for _ in range(H)]
    b = [rng.uniform(-0.5, 0.5) for _ in range(H)]
    xs = [[rng.uniform(-1, 1) for _ in range(D)] for _ in range(steps)]
    h0 = [rng.uniform(-0.5, 0.5) for _ in range(H)]
    trace = solve_data({"solver": "rnn-gradient", "activation": activation, "steps": steps, "target": 1e-3,
                        "W_h": W_h, "W_x": W_x, "x": xs, "h0": h0, "b": b}, tmp_path)
    hs = rolled_out(activation, W_h, W_x, b, xs, h0)
    jacobians = fd_jacobians(activation, W_h, W_x, b, xs, h0)
    for m in range(1, steps + 1):
        np.testing.assert_allclose(trace.value(f"h[{m}]"), hs[m], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(trace.value(f"P[{m}]"), jacobians[m - 1], rtol=1e-5, atol=1e-8)
        assert trace.value(f"norm[{m}]") == pytest.approx(np.linalg.svd(jacobians[m - 1], compute_uv=False)[0], rel=1e-5, abs=1e-8)
    assert trace.value("ratio") == trace.value(f"norm[{steps}]")
    sigma = np.linalg.svd(np.array(W_h), compute_uv=False)[0]
    rho = max(abs(complex(e)) for e in np.linalg.eigvals(np.array(W_h)))
    gamma = 0.25 if activation.startswith("sigmoid") else 1.0
    assert trace.value("sigma_max") == pytest.approx(sigma, rel=1e-12)
    assert trace.value("spectral_radius") == pytest.approx(rho, rel=1e-12)
    assert trace.value("vanishing_guaranteed") is bool(sigma < 1 / gamma)
    assert trace.value("exploding_possible") is bool(sigma > 1 / gamma)
    if trace.value("vanishing_guaranteed"):  # Pascanu et al.: then ‖∂h_m/∂h_0‖ ≤ (γσ)^m
        assert trace.value("ratio") <= (gamma * sigma) ** steps + 1e-12


@pytest.mark.parametrize("activation", ["tanh", "sigmoid-centered"])
def test_matrix_fixed_point_is_the_rolled_out_rnn_at_zero(activation, tmp_path):
    # φ(0) = 0 for these, so h = 0, x = 0 stays put and every Jacobian is φ′(0)·W_h
    W_h = [[1.2, -0.7], [0.4, 2.5]]
    trace = solve_data({"solver": "rnn-gradient", "activation": activation, "steps": 6, "target": 1e-3, "W_h": W_h}, tmp_path)
    jacobians = fd_jacobians(activation, W_h, [[0], [0]], [0, 0], [[0]] * 6, [0.0, 0.0])
    for m in range(1, 7):
        np.testing.assert_allclose(trace.value(f"P[{m}]"), jacobians[m - 1], rtol=1e-6, atol=1e-9)
    assert trace.asked == ["phi_prime", "critical_W", "W_vanish", "W_explode", "ratio",
                           "vanishing_guaranteed", "exploding_possible"]
    assert isinstance(trace.value("vanishing_guaranteed"), bool)
    assert "σ_max" in trace["exploding_possible"].note  # the reason in words, with numbers


def test_mistakes_are_one_ops_field():
    p2 = load_problem(str(PROBLEMS / "p2.yaml"))
    half = run(p2, ops=dataclasses.replace(OPS, derivative=lambda name, z: 0.5 + 0 * np.asarray(z, dtype=float)))
    assert half.value("phi_prime") == 0.5 and half.value("critical_W") == 2.0
    inverted = run(p2, ops=dataclasses.replace(OPS, exponent=lambda steps: -1.0 / steps))
    assert inverted.value("W_vanish") == pytest.approx(4.38591, abs=5e-6)  # the two thresholds swap
    assert inverted.value("W_explode") == pytest.approx(3.64804, abs=5e-6)
    # ECF: a student's critical_W of 2 carried on
    ecf = run(p2, overrides={"critical_W": 2.0})
    assert ecf.value("W_vanish") == pytest.approx(2 * 1e-4 ** (1 / 100), rel=1e-14)


def test_rnn_gradient_command():
    result = run_cli("rnn-gradient", "--activation", "sigmoid-centered", "--steps", "100", "--target", "1e-4",
                     "--W-h", "5", "--format", "json")
    assert result.returncode == 0, result.stderr
    quantities = json.loads(result.stdout)["problems"][0]["quantities"]
    assert quantities["W_vanish"] == pytest.approx(3.64804, abs=5e-6)
    assert quantities["regime"] == "exploding" and quantities["factor"] == 1.25
    matrix = run_cli("rnn-gradient", "--activation", "tanh", "--steps", "3", "--target", "0.01",
                     "--W-h", "0.5 0.1; 0 0.4", "--W-x", "1; 0", "--x", "1", "--format", "json")
    assert matrix.returncode == 0, matrix.stderr
    quantities = json.loads(matrix.stdout)["problems"][0]["quantities"]
    assert quantities["vanishing_guaranteed"] is True and quantities["exploding_possible"] is False



BAD_FILES = [
    ("target", P2.replace("target: 1.0e-4", "target: 2"), ["target.yaml:8:", "target: 2, expected a number < 1"]),
    ("steps", P2.replace("steps: 100", "steps: 0"), ["steps.yaml:7:", "steps", "≥ 1"]),
    ("activation", P2.replace("activation: sigmoid-centered", "activation: sigmoidd"), ["activation", "did you mean 'sigmoid'"]),
    ("notsquare", P2.replace("W_h: 3.0", "W_h: [[1, 2, 3], [4, 5, 6]]"), ["W_h", "shape (2, 3), expected a number or a square matrix"]),
    ("overflow", P2.replace("W_h: 3.0", "W_h: 1.0e6").replace("steps: 100", "steps: 1000"), ["steps", "ratio overflows", "fewer steps"]),
    ("long", P2.replace("W_h: 3.0", "W_h: [[0.5, 0], [0, 0.5]]").replace("steps: 100", "steps: 1000000"), ["steps", "expected a number ≤"]),
    ("nowx", P2 + "x: [1, 2]\n", ["x", "without W_x"]),
    ("xshape", P2.replace("W_h: 3.0", "W_h: [[0.5, 0], [0, 0.5]]") + "W_x: [[1], [2]]\nx: [[1, 2]]\n", ["x: shape (1, 2)"]),
    ("h0", P2.replace("W_h: 3.0", "W_h: [[0.5, 0], [0, 0.5]]") + "h0: [1, 2, 3]\n", ["h0: shape (3,), expected (2,)"]),
    ("nosteps", P2.replace("steps: 100\n", ""), ["missing key 'steps'"]),
    ("nan", P2.replace("z: 0 ", "z: .nan "), ["z", "finite number"]),
]


@pytest.mark.parametrize("name, text, fragments", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_rnn_file_gives_one_located_line(name, text, fragments, write):
    line = one_error_line(run_cli("solve", write(f"{name}.yaml", text)))
    assert f"{name}.yaml" in line
    for fragment in fragments:
        assert fragment in line, line


def test_bad_rnn_flags_give_one_line():
    line = one_error_line(run_cli("rnn-gradient", "--activation", "tanh", "--steps", "10", "--target", "0"))
    assert line == "lstmhw: --target: 0, expected a number > 0"
    line = one_error_line(run_cli("rnn-gradient", "--activation", "tanh", "--steps", "10", "--target", "0.1", "--W-h", "1 2"))
    assert line.startswith("lstmhw: --W-h: shape (2,)"), line
