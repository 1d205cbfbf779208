"""momentum against plain loops: torch.optim.SGD's documented algorithm and Ng's exponentially weighted average."""

from __future__ import annotations

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


def plain_momentum(p: dict, mistake: str | None = None) -> dict:
    """V[k] and W[k] (and V_corr[k]) for every step, one element at a time, with a mistake made by hand.

    heavy-ball is torch.optim.SGD's documented loop (dampening 0): g ← g + λ·θ; the buffer is g
    itself on the first step (no V given) and μ·b + g after; Nesterov moves along g + μ·b, plain
    momentum along b; with μ = 0 SGD keeps no buffer and moves along g. ema is Ng's
    v ← β·v + (1 − β)·g, optionally divided by 1 − β^k, and θ ← θ − lr·v. The convention
    swapped is V by the other rule, the rest of the step (bias correction, look-ahead) as asked.
    """
    lr, beta, wd = p["lr"], p["beta"], p.get("weight_decay", 0.0)
    convention = p.get("convention", "ema")
    rule = convention  # the rule V follows; the rest of the step is as asked
    if mistake == "momentum-convention-swapped":
        rule = {"ema": "heavy-ball", "heavy-ball": "ema"}[convention]
    param = [list(row) for row in p["W"]]
    buf = [list(row) for row in p["V"]] if "V" in p else None
    out = {}
    for n, grad in enumerate(p["grads"]):
        k = p.get("t", 1) + n
        new_buf, corrected = [], []
        for r in range(len(param)):
            new_buf.append([])
            corrected.append([])
            for c in range(len(param[r])):
                g = grad[r][c]
                if wd:
                    g = g + wd * param[r][c]
                if rule == "ema":
                    one_minus = 1.0 if mistake == "momentum-missing-one-minus-beta" else 1 - beta
                    b = beta * (0.0 if buf is None else buf[r][c]) + one_minus * g
                else:
                    b = g if buf is None else beta * buf[r][c] + g
                if convention == "ema":
                    step = b / (1 - beta**k) if p.get("bias_correction") else b
                    corrected[r].append(step)
                elif beta == 0:
                    step = g
                elif p.get("nesterov") and mistake != "nesterov-lookahead-missed":
                    step = g + beta * b
                else:
                    step = b
                new_buf[r].append(b)
                param[r][c] = param[r][c] - lr * step
        buf = new_buf
        out[f"V[{k}]"] = [list(row) for row in buf]
        out[f"W[{k}]"] = [list(row) for row in param]
        if p.get("bias_correction"):
            out[f"V_corr[{k}]"] = corrected
    return out


OPTIONS = ["ema", "ema-bias", "heavy-ball", "nesterov"]


def random_problem(rng: random.Random, option: str | None = None) -> dict:
    rows, cols, steps = rng.randint(1, 4), rng.randint(1, 5), rng.randint(1, 4)
    option = option or rng.choice(OPTIONS)
    p = {
        "solver": "momentum",
        "lr": rng.choice([1e-3, 0.01, 0.1, rng.uniform(0.001, 1)]),
        "beta": rng.choice([0.0, 0.5, 0.9, rng.uniform(0, 0.99)]),
        "t": rng.randint(1, 30),
        "W": matrix(rng, rows, cols, -2, 2),
        "grads": [matrix(rng, rows, cols, -3, 3) for _ in range(steps)],
        "convention": "ema" if option.startswith("ema") else "heavy-ball",
    }
    if rng.random() < 0.7:
        p["V"] = matrix(rng, rows, cols, -1, 1)
    if option == "ema-bias":
        p["bias_correction"] = True
    if option == "nesterov":
        p["nesterov"] = True
    if rng.random() < 0.5:
        p["weight_decay"] = rng.uniform(0.001, 0.5)
    return p


@pytest.mark.parametrize("seed", range(40))
def test_random_problems_agree_with_plain_loops(seed, tmp_path):
    data = random_problem(random.Random(seed))
    trace = solve_data(data, tmp_path)
    assert_agrees(trace, plain_momentum(data), data)
    last = data["t"] + len(data["grads"]) - 1
    assert trace.asked == [f"V[{last}]", f"W[{last}]"]


@pytest.mark.parametrize("option", OPTIONS)
def test_every_option_with_and_without_weight_decay(option, tmp_path):
    rng = random.Random(option)
    for n in range(6):
        data = random_problem(rng, option)
        if n % 2:
            data["weight_decay"] = 0.1
        else:
            data.pop("weight_decay", None)
        assert_agrees(solve_data(data, tmp_path, f"{n}.yaml"), plain_momentum(data), data)


def _scalar(**options) -> dict:
    return {"solver": "momentum", "lr": 0.1, "beta": 0.9, "t": 2, "W": 1.0, "V": 0.5, "grad": 2.0, **options}


def test_each_convention_worked_by_hand(tmp_path):
    # W[1] = 1, V[1] = 0.5, g[2] = 2, β = 0.9, lr = 0.1
    ema = solve_data(_scalar(), tmp_path, "ema.yaml")
    assert [s.name for s in ema] == ["W[1]", "V[1]", "g[2]", "V[2]", "W[2]"]
    assert ema["V[2]"].formula == "0.9·V[1] + (1 − 0.9)·g[2]" and ema["W[2]"].formula == "W[1] − 0.1·V[2]"
    assert ema.value("V[2]") == pytest.approx(0.45 + 0.2) and ema.value("W[2]") == pytest.approx(1 - 0.065)
    assert isinstance(ema.value("W[2]"), float)
    bias = solve_data(_scalar(bias_correction=True), tmp_path, "bias.yaml")
    assert bias["V_corr[2]"].formula == "V[2] / (1 − 0.9^2)" and bias["W[2]"].inputs == ("W[1]", "V_corr[2]")
    assert bias.value("V_corr[2]") == pytest.approx(0.65 / 0.19) and bias.value("W[2]") == pytest.approx(1 - 0.065 / 0.19)
    heavy = solve_data(_scalar(convention="heavy-ball"), tmp_path, "heavy.yaml")
    assert heavy["V[2]"].formula == "0.9·V[1] + g[2]"
    assert heavy.value("V[2]") == pytest.approx(2.45) and heavy.value("W[2]") == pytest.approx(0.755)
    nesterov = solve_data(_scalar(convention="heavy-ball", nesterov=True), tmp_path, "nesterov.yaml")
    assert nesterov["W[2]"].formula == "W[1] − 0.1·(g[2] + 0.9·V[2])"
    assert nesterov["W[2]"].inputs == ("W[1]", "g[2]", "V[2]")
    assert nesterov.value("W[2]") == pytest.approx(1 - 0.1 * (2 + 0.9 * 2.45))
    decayed = solve_data(_scalar(convention="heavy-ball", nesterov=True, weight_decay=0.5), tmp_path, "wd.yaml")
    assert decayed["g_wd[2]"].formula == "g[2] + 0.5·W[1]" and decayed.value("g_wd[2]") == pytest.approx(2.5)
    assert decayed["V[2]"].inputs == ("V[1]", "g_wd[2]") and decayed["W[2]"].inputs == ("W[1]", "g_wd[2]", "V[2]")
    assert decayed.value("W[2]") == pytest.approx(1 - 0.1 * (2.5 + 0.9 * (0.45 + 2.5)))


def test_defaults_and_pytorch_first_step(tmp_path):
    # No V: V[0] = 0, so heavy-ball's V[1] is g itself (PyTorch's first step), and ema's is (1 − β)·g.
    heavy = solve_data({"solver": "momentum", "convention": "heavy-ball", "W": [1.0, 2.0], "grad": [0.5, -1.0]}, tmp_path)
    np.testing.assert_array_equal(heavy.value("V[1]"), [0.5, -1.0])
    np.testing.assert_allclose(heavy.value("W[1]"), [1 - 0.001 * 0.5, 2 + 0.001])  # lr 0.001, torch.optim.SGD's
    ema = solve_data({"solver": "momentum", "W": [1.0, 2.0], "grad": [0.5, -1.0]}, tmp_path, "ema.yaml")
    np.testing.assert_allclose(ema.value("V[1]"), [0.05, -0.1])  # β = 0.9
    aliased = solve_data({"solver": "momentum", "momentum": 0.5, "W": 1.0, "grad": 1.0}, tmp_path, "alias.yaml")
    assert aliased.value("V[1]") == pytest.approx(0.5)
    repeated = solve_data({"solver": "momentum", "W": 1.0, "grad": 0.5, "steps": 3}, tmp_path, "r.yaml")
    listed = solve_data({"solver": "momentum", "W": 1.0, "grads": [0.5, 0.5, 0.5]}, tmp_path, "l.yaml")
    assert [repeated.value(f"W[{k}]") for k in (1, 2, 3)] == [listed.value(f"W[{k}]") for k in (1, 2, 3)]


@pytest.mark.parametrize("option", OPTIONS)
def test_steps_meet_the_solver_contract(option, tmp_path):
    data = random_problem(random.Random(f"contract {option}"), option)
    data["weight_decay"] = 0.05
    assert_contract(write_problem(data, tmp_path))


# ------------------------------------------------------------------ mistakes, made by hand
def _mistake_problem(rng: random.Random, option: str) -> dict:
    p = random_problem(rng, option)
    p.update(lr=rng.choice([0.3, 0.5, 1.0]), beta=rng.choice([0.5, 0.8, 0.9]), V=matrix(rng, 2, 3, -1, 1, 2),
             W=matrix(rng, 2, 3, -1, 1, 2), grads=[matrix(rng, 2, 3, -1, 1, 2) for _ in range(rng.randint(1, 3))])
    p.pop("weight_decay", None)
    return p


def _last_W(p: dict) -> str:
    return f"W[{p['t'] + len(p['grads']) - 1}]"


@pytest.mark.parametrize(
    "mistake, option",
    [
        ("momentum-missing-one-minus-beta", "ema"),
        ("momentum-convention-swapped", "ema"),
        ("momentum-convention-swapped", "heavy-ball"),
        ("momentum-convention-swapped", "nesterov"),
        ("nesterov-lookahead-missed", "nesterov"),
    ],
)
def test_every_mistake_is_named_back(mistake, option, tmp_path):
    assert_named_back(mistake, lambda rng: _mistake_problem(rng, option), plain_momentum, _last_W, tmp_path)


# ------------------------------------------------------------------ files, flags, templates, variants
P = "solver: momentum\nlr: 0.1\nbeta: 0.9\nt: 2\nW: [[1, 2]]\ngrad: [[0.5, -1]]\nV: [[0.1, 0.2]]\n"
BAD_FILES = [
    ("convention", P + "convention: hb\n", ["convention.yaml:8:", "convention: 'hb'", "expected one of ema, heavy-ball"]),
    ("bias", P + "convention: heavy-ball\nbias_correction: true\n",
     ["bias_correction: true with convention heavy-ball", "only with convention: ema"]),
    ("nesterov", P + "nesterov: true\n", ["nesterov: true with convention ema", "only with convention: heavy-ball"]),
    ("Vshape", P.replace("V: [[0.1, 0.2]]", "V: [0.1, 0.2, 0.3]"), ["Vshape.yaml:7:", "V: shape (3,), expected (1, 2) like W"]),
    ("nograd", P.replace("grad: [[0.5, -1]]\n", ""), ["missing key 'grad'"]),
    ("beta", P.replace("beta: 0.9", "beta: 1"), ["beta.yaml:3:", "beta: 1, expected a number < 1"]),
    ("alias", P + "momentum: 0.9\n", ["momentum: both beta and its alias momentum"]),
    ("unknown", P + "dampening: 0.1\n", ["dampening: unknown key"]),
    ("overflow", "solver: momentum\nconvention: heavy-ball\nW: 1\ngrad: 1.0e308\nsteps: 2\n",
     ["grad: values so large that V[2] overflows"]),
    ("decay", "solver: momentum\nW: 1.0e300\ngrad: 1\nweight_decay: 1.0e10\n", ["weight_decay: values so large that g_wd[1]"]),
    ("lr", "solver: momentum\nlr: 1.0e300\nW: 1\ngrad: 1.0e300\nconvention: heavy-ball\n", ["lr: values so large that W[1]"]),
    ("steps", P + "steps: 100000\n", ["steps: 100,000 steps, expected at most 4,999"]),
]


@pytest.mark.parametrize("name, text, fragments", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_gives_one_located_line(name, text, fragments, write):
    assert_bad_file(name, text, fragments, write)


def test_command_equals_the_same_problem_as_a_file(write):
    flags = run_cli("momentum", "--beta", "0.9", "--lr", "0.1", "--t", "2", "--W", "0.5 -1.2; 0.3 0.8",
                    "--grad", "[[0.4, 0.6], [-0.2, 0.1]]", "--V", "0.1 -0.2; 0 0.05", "--format", "json")
    path = write("m.yaml", "solver: momentum\nbeta: 0.9\nlr: 0.1\nt: 2\nW: [[0.5, -1.2], [0.3, 0.8]]\n"
                           "grad: [[0.4, 0.6], [-0.2, 0.1]]\nV: [[0.1, -0.2], [0, 0.05]]\n")
    assert quantities(flags) == quantities(run_cli("solve", path, "--format", "json"))
    options = run_cli("momentum", "--W", "1 2", "--grads", "0.5 0.5", "--grads", "-1 0.25", "--convention", "heavy-ball",
                      "--nesterov", "--weight-decay", "0.01", "--format", "json")
    expected = plain_momentum({"lr": 0.001, "beta": 0.9, "W": [[1, 2]], "grads": [[[0.5, 0.5]], [[-1, 0.25]]],
                               "convention": "heavy-ball", "nesterov": True, "weight_decay": 0.01})
    np.testing.assert_allclose(quantities(options)["W[2]"], expected["W[2]"][0], rtol=1e-12)
    biased = quantities(run_cli("momentum", "--W", "1", "--grad", "1", "--bias-correction", "--format", "json"))
    assert biased["V_corr[1]"] == pytest.approx(1.0)  # (1 − β)·g / (1 − β)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--grad", "1"], "--W is missing"),
        (["--W", "1", "--grad", "1", "--beta", "1.5"], "beta: 1.5, expected a number < 1"),
        (["--W", "1 2", "--grad", "1 2 3"], "grad: shape (3,), expected (2,) like W"),
        (["--W", "1", "--grad", "1", "--convention", "nesterov"], "convention: 'nesterov'"),
        (["--W", "1", "--grad", "1", "--nesterov"], "nesterov: true with convention ema"),
    ],
)
def test_bad_flags_give_one_line(args, fragment):
    assert_bad_flags("momentum", args, fragment)


def test_template_checks_solves_and_varies(tmp_path):
    assert_template_varies("momentum", plain_momentum, ("lr", "beta", "t", "convention"), tmp_path)


def test_example_is_an_exam_problem():
    assert_example("momentum", plain_momentum)
