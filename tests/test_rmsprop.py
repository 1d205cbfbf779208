"""rmsprop against a plain loop of torch.optim.RMSprop's documented algorithm (plain and centered)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import yaml
from conftest import run_cli
from optimizer_checks import (
    assert_agrees,
    assert_bad_file,
    assert_bad_flags,
    assert_contract,
    assert_example,
    assert_named_back,
    assert_template_varies,
    matrix,
    quantities,
    solve_data,
    write_problem,
)


def plain_rmsprop(p: dict, mistake: str | None = None) -> dict:
    """S[k], G[k] and W[k] for every step, one element at a time, with a mistake made by hand.

    torch.optim.RMSprop's documented loop (momentum 0): g ← g + λ·θ; v ← α·v + (1 − α)·g²;
    centered: g_ave ← α·g_ave + (1 − α)·g and ṽ = v − g_ave²; θ ← θ − lr·g/(√ṽ + ε).
    A square root of a negative number (only from a mistake) is NaN, as on a calculator.
    """
    lr, alpha, eps, wd = p.get("lr", 0.01), p.get("beta", 0.99), p.get("eps", 1e-8), p.get("weight_decay", 0.0)
    centered = p.get("centered", False)
    param = [list(row) for row in p["W"]]
    v = [list(row) for row in p["S"]] if "S" in p else [[0.0] * len(row) for row in param]
    g_ave = [list(row) for row in p["G"]] if "G" in p else [[0.0] * len(row) for row in param]
    out = {}
    for n, grad in enumerate(p["grads"]):
        k = p.get("t", 1) + n
        for r in range(len(param)):
            for c in range(len(param[r])):
                g = grad[r][c]
                if wd:
                    g = g + wd * param[r][c]
                v[r][c] = v[r][c] * alpha + (1 - alpha) * (g if mistake == "rmsprop-grad-not-squared" else g * g)
                avg = v[r][c]
                if centered:
                    g_ave[r][c] = g_ave[r][c] * alpha + (1 - alpha) * g
                    avg = avg - g_ave[r][c] ** 2
                if mistake == "rmsprop-missing-sqrt":
                    denom = avg + eps
                elif mistake == "eps-inside-sqrt":
                    denom = math.sqrt(avg + eps) if avg + eps >= 0 else math.nan
                else:
                    denom = math.sqrt(avg) + eps if avg >= 0 else math.nan
                param[r][c] = param[r][c] - lr * g / denom
        out[f"S[{k}]"] = [list(row) for row in v]
        out[f"W[{k}]"] = [list(row) for row in param]
        if centered:
            out[f"G[{k}]"] = [list(row) for row in g_ave]
    return out


def random_problem(rng: random.Random, centered: bool | None = None) -> dict:
    rows, cols, steps = rng.randint(1, 4), rng.randint(1, 5), rng.randint(1, 4)
    centered = rng.random() < 0.5 if centered is None else centered
    p = {
        "solver": "rmsprop",
        "lr": rng.choice([1e-3, 0.01, 0.1, rng.uniform(0.001, 1)]),
        # β = 0 would make a centered S − G² exactly 0: a knife edge, tested on its own
        "beta": rng.choice([0.5, 0.9, 0.99, rng.uniform(0.1, 0.999)]),
        "eps": rng.choice([0.0, 1e-8, 1e-3]),
        "t": rng.randint(1, 30),
        "W": matrix(rng, rows, cols, -2, 2),
        "grads": [matrix(rng, rows, cols, -3, 3) for _ in range(steps)],
    }
    if centered:
        p["centered"] = True
        G = matrix(rng, rows, cols, -1, 1)
        p["G"], p["S"] = G, [[x * x + rng.uniform(0.01, 1) for x in row] for row in G]  # S > G², as a variance needs
    else:
        p["S"] = matrix(rng, rows, cols, 0.01, 1)  # S > 0, so eps = 0 never divides by zero
    if rng.random() < 0.5:
        p["weight_decay"] = rng.uniform(0.001, 0.5)
    return p


@pytest.mark.parametrize("seed", range(40))
def test_random_problems_agree_with_plain_pytorch_loop(seed, tmp_path):
    data = random_problem(random.Random(seed))
    trace = solve_data(data, tmp_path)
    assert_agrees(trace, plain_rmsprop(data), data)
    last = data["t"] + len(data["grads"]) - 1
    assert trace.asked == [f"S[{last}]", *([f"G[{last}]"] if data.get("centered") else []), f"W[{last}]"]


@pytest.mark.parametrize("centered", [False, True])
def test_with_and_without_weight_decay(centered, tmp_path):
    rng = random.Random(f"centered {centered}")
    for n in range(6):
        data = random_problem(rng, centered)
        if n % 2:
            data["weight_decay"] = 0.1
        else:
            data.pop("weight_decay", None)
        assert_agrees(solve_data(data, tmp_path, f"{n}.yaml"), plain_rmsprop(data), data)


def test_steps_worked_by_hand(tmp_path):
    # W[2] = 1, S[2] = 0.5, g[3] = 2, β = 0.9, lr = 0.1, ε = 1e-8
    base = {"solver": "rmsprop", "lr": 0.1, "beta": 0.9, "eps": 1e-8, "t": 3, "W": 1.0, "S": 0.5, "grad": 2.0}
    plain = solve_data(base, tmp_path)
    assert [s.name for s in plain] == ["W[2]", "S[2]", "g[3]", "S[3]", "W[3]"]
    assert plain["S[3]"].formula == "0.9·S[2] + (1 − 0.9)·g[3]²"
    assert plain["W[3]"].formula == "W[2] − 0.1·g[3] / (√S[3] + 1e-08)"
    assert plain.value("S[3]") == pytest.approx(0.45 + 0.4)
    assert plain.value("W[3]") == pytest.approx(1 - 0.1 * 2 / (math.sqrt(0.85) + 1e-8))
    centered = solve_data({**base, "centered": True, "G": 0.5}, tmp_path, "c.yaml")
    assert centered["G[3]"].formula == "0.9·G[2] + (1 − 0.9)·g[3]"
    assert centered["W[3]"].formula == "W[2] − 0.1·g[3] / (√(S[3] − G[3]²) + 1e-08)"
    assert centered["W[3]"].inputs == ("W[2]", "g[3]", "S[3]", "G[3]")
    assert centered.value("G[3]") == pytest.approx(0.45 + 0.2)  # S[3] − G[3]² = 0.85 − 0.4225 = 0.4275
    assert centered.value("W[3]") == pytest.approx(1 - 0.1 * 2 / (math.sqrt(0.4275) + 1e-8))
    decayed = solve_data({**base, "weight_decay": 0.5}, tmp_path, "wd.yaml")
    assert decayed.value("g_wd[3]") == pytest.approx(2.5) and decayed["S[3]"].inputs == ("S[2]", "g_wd[3]")
    assert decayed["W[3]"].inputs == ("W[2]", "g_wd[3]", "S[3]")
    assert decayed.value("W[3]") == pytest.approx(1 - 0.1 * 2.5 / math.sqrt(0.45 + 0.625))


def test_defaults_and_alias(tmp_path):
    # S defaults to zeros: the first step is lr·g/(√(0.01·g²) + ε) = ±10·lr (lr 0.01, β 0.99)
    first = solve_data({"solver": "rmsprop", "W": [1.0, 2.0], "grad": [2.0, -0.5]}, tmp_path)
    np.testing.assert_allclose(first.value("W[1]"), [1 - 0.1, 2 + 0.1], rtol=1e-7)
    alpha = solve_data({"solver": "rmsprop", "alpha": 0.5, "W": 1.0, "grad": 1.0}, tmp_path, "a.yaml")
    assert alpha.value("S[1]") == pytest.approx(0.5)
    # β = 0, centered: S − G² = g² − g² is exactly 0 (no variance), so the step is lr·g/ε
    edge = solve_data({"solver": "rmsprop", "centered": True, "beta": 0, "eps": 1e-3, "W": 1.0, "grad": 0.5}, tmp_path, "e.yaml")
    assert edge.value("W[1]") == pytest.approx(1 - 0.01 * 0.5 / 1e-3)


@pytest.mark.parametrize("centered", [False, True])
def test_steps_meet_the_solver_contract(centered, tmp_path):
    data = random_problem(random.Random(f"contract {centered}"), centered)
    data["weight_decay"] = 0.05
    assert_contract(write_problem(data, tmp_path))


# ------------------------------------------------------------------ mistakes, made by hand
def _mistake_problem(rng: random.Random, centered: bool) -> dict:
    G = matrix(rng, 2, 3, -0.3, 0.3, 2)
    p = {
        "solver": "rmsprop", "lr": rng.choice([0.1, 0.3]), "beta": rng.choice([0.8, 0.9]),
        "eps": rng.choice([1e-8, 0.05, 0.1]), "t": rng.randint(1, 5), "W": matrix(rng, 2, 3, -1, 1, 2),
        "grads": [matrix(rng, 2, 3, -1, 1, 2) for _ in range(rng.randint(1, 3))],
        "S": [[round(x * x + rng.uniform(0.01, 0.3), 2) for x in row] for row in G],
    }
    if centered:
        p.update(centered=True, G=G)
    return p


def _last(name):
    return lambda p: f"{name}[{p['t'] + len(p['grads']) - 1}]"


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize(
    "mistake, shows_in",
    [("rmsprop-missing-sqrt", "W"), ("rmsprop-grad-not-squared", "S"), ("eps-inside-sqrt", "W")],
)
def test_every_mistake_is_named_back(mistake, shows_in, centered, tmp_path):
    assert_named_back(mistake, lambda rng: _mistake_problem(rng, centered), plain_rmsprop, _last(shows_in), tmp_path)


# ------------------------------------------------------------------ files, flags, templates, variants
P = "solver: rmsprop\nlr: 0.1\nbeta: 0.9\neps: 1.0e-8\nt: 2\nW: [[1, 2]]\ngrad: [[0.5, -1]]\nS: [[0.1, 0.2]]\n"
BAD_FILES = [
    ("Sshape", P.replace("S: [[0.1, 0.2]]", "S: [0.1, 0.2, 0.3]"), ["Sshape.yaml:8:", "S: shape (3,), expected (1, 2) like W"]),
    ("negS", P.replace("S: [[0.1, 0.2]]", "S: [[-0.1, 0.2]]"), ["S: a negative entry, expected S ≥ 0"]),
    ("Gwithout", P + "G: [[0, 0]]\n", ["G: given without centered: true"]),
    ("SbelowG", P + "centered: true\nG: [[0.5, 0]]\n", ["SbelowG.yaml:8:", "S: an entry with S < G²"]),
    ("GnoS", P.replace("S: [[0.1, 0.2]]\n", "") + "centered: true\nG: [[0.5, 0]]\n", ["G: an entry with S < G²"]),
    ("centered", P + "centered: yes please\n", ["centered: 'yes please', expected true or false"]),
    ("beta", P.replace("beta: 0.9", "beta: 1"), ["beta: 1, expected a number < 1"]),
    ("alias", P + "alpha: 0.9\n", ["alpha: both beta and its alias alpha"]),
    ("nograd", P.replace("grad: [[0.5, -1]]\n", ""), ["missing key 'grad'"]),
    ("unknown", P + "momentum: 0.9\n", ["momentum: unknown key"]),
    ("eps0", "solver: rmsprop\neps: 0\nW: [1, 2]\ngrad: [0, 1]\n",
     ["eps: 0, but S[1] has a zero entry", "so W[1] would divide by zero; expected eps > 0, e.g. 1e-8"]),
    ("eps0c", "solver: rmsprop\neps: 0\nbeta: 0\ncentered: true\nW: 1\ngrad: 1\n",
     ["eps: 0, but S[1] − G[1]² has a zero entry"]),
    ("overflow", "solver: rmsprop\nW: 1\ngrad: 1.0e200\n", ["grad: values so large that S[1] overflows"]),
]


@pytest.mark.parametrize("name, text, fragments", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_gives_one_located_line(name, text, fragments, write):
    assert_bad_file(name, text, fragments, write)


def test_command_equals_the_same_problem_as_a_file(write):
    flags = run_cli("rmsprop", "--beta", "0.9", "--lr", "0.1", "--t", "2", "--W", "0.5 -1.2; 0.3 0.8",
                    "--grad", "[[0.4, 0.6], [-0.2, 0.1]]", "--S", "0.1 0.2; 0.05 0.3", "--format", "json")
    path = write("r.yaml", "solver: rmsprop\nbeta: 0.9\nlr: 0.1\nt: 2\nW: [[0.5, -1.2], [0.3, 0.8]]\n"
                           "grad: [[0.4, 0.6], [-0.2, 0.1]]\nS: [[0.1, 0.2], [0.05, 0.3]]\n")
    assert quantities(flags) == quantities(run_cli("solve", path, "--format", "json"))
    options = run_cli("rmsprop", "--W", "1 2", "--grads", "0.5 0.5", "--grads", "-1 0.25", "--centered", "--G", "0.1 0",
                      "--S", "0.5 0.5", "--eps", "1e-6", "--weight-decay", "0.01", "--format", "json")
    expected = plain_rmsprop({"lr": 0.01, "beta": 0.99, "eps": 1e-6, "W": [[1, 2]], "grads": [[[0.5, 0.5]], [[-1, 0.25]]],
                              "centered": True, "G": [[0.1, 0]], "S": [[0.5, 0.5]], "weight_decay": 0.01})
    np.testing.assert_allclose(quantities(options)["W[2]"], expected["W[2]"][0], rtol=1e-12)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--grad", "1"], "--W is missing"),
        (["--W", "1", "--grad", "1", "--beta", "-0.5"], "beta: -0.5, expected a number ≥ 0"),
        (["--W", "1 2", "--grad", "1 2", "--S", "1"], "S: shape (), expected (2,) like W"),
        (["--W", "1", "--grad", "1", "--G", "0.5"], "G: given without centered: true"),
    ],
)
def test_bad_flags_give_one_line(args, fragment):
    assert_bad_flags("rmsprop", args, fragment)


def test_template_checks_solves_and_varies(tmp_path):
    assert_template_varies("rmsprop", plain_rmsprop, ("lr", "beta", "eps", "t"), tmp_path)

def test_centered_variants_keep_the_denominator_away_from_zero(tmp_path):
    """A centered problem whose draws can make S − G² tiny: no variant hands out a step of |g|/√(S − G²) > 10."""
    path = write_problem({"id": "c", "solver": "rmsprop", "centered": True, "beta": 0.5, "lr": 0.1, "W": [0.5, -0.5],
                          "grad": [0.3, -0.2], "G": [0.25, -0.15], "S": [0.07, 0.03]}, tmp_path)
    for seed in range(8):
        varied = run_cli("variant", path, "--seed", str(seed))
        assert varied.returncode == 0, varied.stderr
        doc = yaml.safe_load(varied.stdout)
        g, G, S = (np.array(doc[k], float) for k in ("grad", "G", "S"))
        S1, G1 = 0.5 * S + 0.5 * g**2, 0.5 * G + 0.5 * g
        assert np.max(np.abs(g) / np.sqrt(S1 - G1**2)) <= 10, (seed, doc)


def test_a_vanishing_variance_is_degenerate(tmp_path):
    from lstmhw.solvers.rmsprop import degenerate

    base = {"solver": "rmsprop", "centered": True, "beta": 0.9, "lr": 0.1, "W": [0.5, -0.5], "grad": [0.3, -0.2]}
    original = solve_data({**base, "G": [0.25, -0.15], "S": [0.07, 0.03]}, tmp_path, "o.yaml")  # |g|/√(S − G²) ≈ 3
    assert degenerate(original, original) is None
    # S = G² and g = G: S[1] − G[1]² = 0.9·0 + 0.09·0² = 0, so W moves by lr·g/ε
    flat = solve_data({**base, "G": [0.3, -0.2], "S": [0.09, 0.04]}, tmp_path, "f.yaml")
    assert "near-zero denominator" in degenerate(flat, original)


def test_example_is_an_exam_problem():
    assert_example("rmsprop", plain_rmsprop)
