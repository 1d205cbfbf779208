"""adagrad against a plain loop of torch.optim.Adagrad's documented algorithm."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
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


def plain_adagrad(p: dict, mistake: str | None = None) -> dict:
    """G[k] and W[k] for every step, one element at a time, with a mistake made by hand.

    torch.optim.Adagrad's documented loop (lr_decay 0): g ← g + λ·θ; state_sum ← state_sum + g²;
    θ ← θ − lr·g/(√state_sum + ε). state_sum starts at the given G (initial_accumulator_value
    when it is one number), else 0.
    """
    lr, eps, wd = p.get("lr", 0.01), p.get("eps", 1e-10), p.get("weight_decay", 0.0)
    param = [list(row) for row in p["W"]]
    G = p.get("G", 0.0)
    state_sum = [list(row) for row in G] if isinstance(G, list) else [[float(G)] * len(row) for row in param]
    out = {}
    for n, grad in enumerate(p["grads"]):
        k = p.get("t", 1) + n
        for r in range(len(param)):
            for c in range(len(param[r])):
                g = grad[r][c]
                if wd:
                    g = g + wd * param[r][c]
                state_sum[r][c] = g * g if mistake == "adagrad-not-accumulated" else state_sum[r][c] + g * g
                if mistake == "eps-inside-sqrt":
                    denom = math.sqrt(state_sum[r][c] + eps)
                else:
                    denom = math.sqrt(state_sum[r][c]) + eps
                param[r][c] = param[r][c] - lr * g / denom
        out[f"G[{k}]"] = [list(row) for row in state_sum]
        out[f"W[{k}]"] = [list(row) for row in param]
    return out


def random_problem(rng: random.Random) -> dict:
    rows, cols, steps = rng.randint(1, 4), rng.randint(1, 5), rng.randint(1, 4)
    p = {
        "solver": "adagrad",
        "lr": rng.choice([1e-3, 0.01, 0.1, rng.uniform(0.001, 1)]),
        "eps": rng.choice([0.0, 1e-10, 1e-3]),
        "t": rng.randint(1, 30),
        "W": matrix(rng, rows, cols, -2, 2),
        "grads": [matrix(rng, rows, cols, -3, 3) for _ in range(steps)],
    }
    # G > 0 (a matrix, or one number as PyTorch's initial_accumulator_value), so eps = 0 never divides by zero
    p["G"] = matrix(rng, rows, cols, 0.01, 2) if rng.random() < 0.7 else rng.uniform(0.01, 1)
    if rng.random() < 0.5:
        p["weight_decay"] = rng.uniform(0.001, 0.5)
    return p


@pytest.mark.parametrize("seed", range(40))
def test_random_problems_agree_with_plain_pytorch_loop(seed, tmp_path):
    data = random_problem(random.Random(seed))
    trace = solve_data(data, tmp_path)
    assert_agrees(trace, plain_adagrad(data), data)
    last = data["t"] + len(data["grads"]) - 1
    assert trace.asked == [f"G[{last}]", f"W[{last}]"]


def test_with_and_without_weight_decay(tmp_path):
    rng = random.Random("weight decay")
    for n in range(8):
        data = random_problem(rng)
        if n % 2:
            data["weight_decay"] = 0.1
        else:
            data.pop("weight_decay", None)
        assert_agrees(solve_data(data, tmp_path, f"{n}.yaml"), plain_adagrad(data), data)


def test_steps_worked_by_hand(tmp_path):
    # W[0] = 1, G[0] = 0.25, g[1] = 0.5 then g[2] = -1, lr = 0.1, ε = 1e-10
    base = {"solver": "adagrad", "lr": 0.1, "W": 1.0, "G": 0.25, "grads": [0.5, -1.0]}
    trace = solve_data(base, tmp_path)
    assert [s.name for s in trace] == ["W[0]", "G[0]", "g[1]", "G[1]", "W[1]", "g[2]", "G[2]", "W[2]"]
    assert trace["G[1]"].formula == "G[0] + g[1]²"
    assert trace["W[1]"].formula == "W[0] − 0.1·g[1] / (√G[1] + 1e-10)"
    assert trace.value("G[1]") == pytest.approx(0.5) and trace.value("G[2]") == pytest.approx(1.5)
    W1 = 1 - 0.1 * 0.5 / math.sqrt(0.5)
    assert trace.value("W[1]") == pytest.approx(W1) and trace.value("W[2]") == pytest.approx(W1 + 0.1 / math.sqrt(1.5))
    decayed = solve_data({**base, "weight_decay": 0.5}, tmp_path, "wd.yaml")
    assert decayed["g_wd[1]"].formula == "g[1] + 0.5·W[0]" and decayed.value("g_wd[1]") == pytest.approx(1.0)
    assert decayed["G[1]"].inputs == ("G[0]", "g_wd[1]") and decayed["W[1]"].inputs == ("W[0]", "g_wd[1]", "G[1]")
    assert decayed.value("W[1]") == pytest.approx(1 - 0.1 / math.sqrt(1.25))


def test_defaults_and_one_number_for_G(tmp_path):
    # G defaults to zeros: the first step is lr·g/(|g| + ε) = ±lr (lr 0.01)
    first = solve_data({"solver": "adagrad", "W": [1.0, 2.0], "grad": [2.0, -0.5]}, tmp_path)
    np.testing.assert_allclose(first.value("W[1]"), [0.99, 2.01], rtol=1e-9)
    one = solve_data({"solver": "adagrad", "W": [[1.0, 2.0]], "grad": [[2.0, -0.5]], "G": 0.1}, tmp_path, "one.yaml")
    each = solve_data({"solver": "adagrad", "W": [[1.0, 2.0]], "grad": [[2.0, -0.5]], "G": [[0.1, 0.1]]}, tmp_path, "e.yaml")
    assert np.array_equal(one.value("W[1]"), each.value("W[1]"))


def test_steps_meet_the_solver_contract(tmp_path):
    data = random_problem(random.Random("contract"))
    data["weight_decay"] = 0.05
    assert_contract(write_problem(data, tmp_path))


# ------------------------------------------------------------------ mistakes, made by hand
def _mistake_problem(rng: random.Random) -> dict:
    return {
        "solver": "adagrad", "lr": rng.choice([0.3, 0.5, 1.0]), "eps": rng.choice([1e-10, 0.3, 0.5]), "t": rng.randint(1, 5),
        "W": matrix(rng, 2, 3, -1, 1, 2), "grads": [matrix(rng, 2, 3, -1, 1, 2) for _ in range(rng.randint(1, 3))],
        "G": matrix(rng, 2, 3, 0.01, 0.5, 2),
    }


@pytest.mark.parametrize("mistake, shows_in", [("adagrad-not-accumulated", "G"), ("adagrad-not-accumulated", "W"),
                                               ("eps-inside-sqrt", "W")])
def test_every_mistake_is_named_back(mistake, shows_in, tmp_path):
    def last(p):
        return f"{shows_in}[{p['t'] + len(p['grads']) - 1}]"

    assert_named_back(mistake, _mistake_problem, plain_adagrad, last, tmp_path)


# ------------------------------------------------------------------ files, flags, templates, variants
P = "solver: adagrad\nlr: 0.1\neps: 1.0e-10\nt: 2\nW: [[1, 2]]\ngrad: [[0.5, -1]]\nG: [[0.1, 0.2]]\n"
BAD_FILES = [
    ("Gshape", P.replace("G: [[0.1, 0.2]]", "G: [0.1, 0.2, 0.3]"), ["Gshape.yaml:7:", "G: shape (3,), expected (1, 2) like W"]),
    ("negG", P.replace("G: [[0.1, 0.2]]", "G: -0.1"), ["G: a negative entry, expected G ≥ 0 (a sum of squares)"]),
    ("nograd", P.replace("grad: [[0.5, -1]]\n", ""), ["missing key 'grad'"]),
    ("lr", P.replace("lr: 0.1", "lr: 0"), ["lr.yaml:2:", "lr: 0, expected a number > 0"]),
    ("unknown", P + "lr_decay: 0.01\n", ["lr_decay: unknown key"]),
    ("eps0", "solver: adagrad\neps: 0\nW: [1, 2]\ngrad: [0, 1]\n",
     ["eps: 0, but G[1] has a zero entry (no gradient there yet), so W[1] would divide by zero", "e.g. 1e-10"]),
    ("overflow", "solver: adagrad\nW: 1\ngrad: 1.0e200\n", ["grad: values so large that G[1] overflows"]),
    ("decay", "solver: adagrad\nW: 1.0e300\ngrad: 1\nweight_decay: 10\n", ["weight_decay: values so large that G[1] overflows"]),
]


@pytest.mark.parametrize("name, text, fragments", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_gives_one_located_line(name, text, fragments, write):
    assert_bad_file(name, text, fragments, write)


def test_command_equals_the_same_problem_as_a_file(write):
    flags = run_cli("adagrad", "--lr", "0.1", "--W", "0.5 -1.2; 0.3 0.8", "--grads", "[[0.4, 0.6], [-0.2, 0.1]]",
                    "--grads", "0.1 0.2; 0.3 0.4", "--G", "0.1", "--format", "json")
    path = write("a.yaml", "solver: adagrad\nlr: 0.1\nW: [[0.5, -1.2], [0.3, 0.8]]\n"
                           "grads: [[[0.4, 0.6], [-0.2, 0.1]], [[0.1, 0.2], [0.3, 0.4]]]\nG: 0.1\n")
    assert quantities(flags) == quantities(run_cli("solve", path, "--format", "json"))
    options = run_cli("adagrad", "--W", "1 2", "--grad", "0.5 -1", "--steps", "2", "--eps", "1e-3", "--weight-decay", "0.01",
                      "--format", "json")
    expected = plain_adagrad({"eps": 1e-3, "W": [[1, 2]], "grads": [[[0.5, -1]]] * 2, "weight_decay": 0.01})
    np.testing.assert_allclose(quantities(options)["W[2]"], expected["W[2]"][0], rtol=1e-12)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--grad", "1"], "--W is missing"),
        (["--W", "1", "--grad", "1", "--eps", "-1"], "eps: -1, expected a number ≥ 0"),
        (["--W", "1 2", "--grad", "1 2", "--G", "1 2 3"], "G: shape (3,), expected (2,) like W"),
        (["--W", "1", "--grad", "1", "--steps", "0"], "steps: 0, expected a number ≥ 1"),
    ],
)
def test_bad_flags_give_one_line(args, fragment):
    assert_bad_flags("adagrad", args, fragment)


def test_template_checks_solves_and_varies(tmp_path):
    assert_template_varies("adagrad", plain_adagrad, ("lr", "eps", "t"), tmp_path)


def test_example_is_an_exam_problem():
    assert_example("adagrad", plain_adagrad)
