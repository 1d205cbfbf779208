"""gru-forward against a plain GRU written here (loops, math), a scalar GRU worked by hand,
and its mistakes made by hand and named back by the grader.

Nothing here is pasted from lstmhw's output: every expected value is computed by the
plain implementation below or written out by hand.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re

import numpy as np
import pytest
import yaml
from conftest import graded, named, one_error_line, run_cli
from step_contract import check_step_contract
from test_reruns import assert_own_values

from lstmhw.mistakes import patched_ops
from lstmhw.problem import load_problem
from lstmhw.reruns import Reruns
from lstmhw.solvers import run
from lstmhw.solvers.gru_forward import MISTAKES, TEMPLATE

CONVENTIONS = list(itertools.product(("old", "new"), ("before", "after")))


# --------------------------------------------------------------- a plain GRU
def plain_gru(p: dict, mistake: str | None = None) -> dict:
    """A deliberately plain GRU: Python lists and math, one element at a time.

    ``p`` is a problem as written to the file (gate names u, r, h). ``mistake`` makes
    one catalogued mistake by hand, the way a student makes it on paper.
    """
    conv = p.get("convention", {})
    update, reset = conv.get("update", "old"), conv.get("reset", "before")
    if mistake == "update-convention-swapped":
        update = {"old": "new", "new": "old"}[update]
    if mistake == "reset-placement-swapped":
        reset = {"before": "after", "after": "before"}[reset]

    def sig(z):
        if mistake == "sigmoid-sign-flipped":
            return 1 / (1 + math.exp(z))
        if mistake == "tanh-for-gate":
            return math.tanh(z)
        return 1 / (1 + math.exp(-z))

    W, U, b = p["W"], p["U"], p["b"]
    H = len(p["h0"])
    b_U = p.get("b_U", {g: [0.0] * H for g in "urh"})
    keep_bias = mistake != "bias-dropped"
    keep_recurrent = mistake != "recurrent-term-dropped"
    h = list(p["h0"])
    out = {}
    for t, x in enumerate(p["x"], start=1):
        def wx(g, r, x):
            return sum(W[g][r][k] * x[k] for k in range(len(x))) + (b[g][r] if keep_bias else 0.0)

        def uh(g, r, vec):
            return (sum(U[g][r][k] * vec[k] for k in range(H)) if keep_recurrent else 0.0) + (
                b_U[g][r] if keep_bias else 0.0
            )

        z_u = [wx("u", r, x) + uh("u", r, h) for r in range(H)]
        z_r = [wx("r", r, x) + uh("r", r, h) for r in range(H)]
        u = [sig(v) for v in z_u]
        rg = [sig(v) for v in z_r]
        r_used = [1.0] * H if mistake == "reset-gate-ignored" else rg
        if reset == "before":
            reset_h = [r_used[k] * h[k] for k in range(H)]
            z_h = [wx("h", r, x) + uh("h", r, reset_h) for r in range(H)]
        else:
            z_h = [wx("h", r, x) + r_used[r] * uh("h", r, h) for r in range(H)]
        ht = [math.tanh(v) for v in z_h]
        if update == "old":
            h = [u[r] * h[r] + (1 - u[r]) * ht[r] for r in range(H)]
        else:
            h = [u[r] * ht[r] + (1 - u[r]) * h[r] for r in range(H)]
        out.update({f"z_u[{t}]": z_u, f"z_r[{t}]": z_r, f"u[{t}]": u, f"r[{t}]": rg})
        out.update({f"z_h[{t}]": z_h, f"h_tilde[{t}]": ht, f"h[{t}]": list(h)})
    if "y" in p:
        squares = [(out[f"h[{t}]"][r] - p["y"][t - 1][r]) ** 2 for t in range(1, len(p["x"]) + 1) for r in range(H)]
        reduction = p.get("loss", {}).get("reduction", "mean")
        if mistake == "wrong-reduction":
            reduction = {"mean": "sum", "sum": "half-sum", "half-sum": "mean"}[reduction]
        total = sum(squares)
        out["mse"] = {"mean": total / len(squares), "sum": total, "half-sum": total / 2}[reduction]
    return out


def random_gru(rng: random.Random, *, H=None, D=None, T=None, update="old", reset="before", b_U=False,
               reduction=None, digits=None) -> dict:
    H = H or rng.randint(1, 4)
    D = D or rng.randint(1, 3)
    T = T or rng.randint(1, 5)
    num = (lambda lo, hi: round(rng.uniform(lo, hi), digits)) if digits else rng.uniform
    mat = lambda r, c: [[num(-2, 2) for _ in range(c)] for _ in range(r)]
    vec = lambda n: [num(-1, 1) for _ in range(n)]
    p = {
        "id": "q",
        "solver": "gru-forward",
        "W": {g: mat(H, D) for g in "urh"},
        "U": {g: mat(H, H) for g in "urh"},
        "b": {g: vec(H) for g in "urh"},
        "x": mat(T, D),
        "h0": vec(H),  # non-zero, so the recurrent terms and the reset gate matter from step 1
    }
    if b_U:
        p["b_U"] = {g: vec(H) for g in "urh"}
    # The convention as a teacher writes it: left out where it is the default, or one field only.
    written = {k: v for k, v in (("update", update), ("reset", reset)) if rng.random() < 0.5 or v != {"update": "old", "reset": "before"}[k]}
    if written:
        p["convention"] = written
    if reduction is not None:
        p["y"] = mat(T, H)
        p["loss"] = {"reduction": reduction}
    return p


def solve_data(data: dict, tmp_path, name: str = "q.yaml"):
    path = tmp_path / name
    path.write_text(json.dumps(data))  # JSON is YAML, and keeps every digit
    return run(load_problem(str(path)))


# --------------------------------------------------------------- values
CASES = list(itertools.product(CONVENTIONS, (False, True), (None, "mean", "sum", "half-sum")))


@pytest.mark.parametrize("case", range(len(CASES) + 8))
def test_random_problems_agree_with_plain_gru(case, tmp_path):
    """Every convention, with and without b_U, with and without y and each reduction (and 8 more draws)."""
    rng = random.Random(f"gru-{case}")
    if case < len(CASES):
        (update, reset), b_U, reduction = CASES[case]
    else:
        (update, reset), b_U, reduction = rng.choice(CASES)
    p = random_gru(rng, update=update, reset=reset, b_U=b_U, reduction=reduction)
    trace = solve_data(p, tmp_path)
    expected = plain_gru(p)
    for name, value in expected.items():
        np.testing.assert_allclose(trace.value(name), value, rtol=1e-10, atol=1e-12, err_msg=f"{name} {p}")
    T = len(p["x"])
    assert trace.asked == [f"h[{t}]" for t in range(1, T + 1)] + (["mse"] if reduction else [])
    assert list(trace.steps)[:9] == ["h[0]", "x[1]", "z_u[1]", "z_r[1]", "u[1]", "r[1]", "z_h[1]", "h_tilde[1]", "h[1]"]


def test_scalar_gru_by_hand(tmp_path):
    """H = D = 1, T = 1, reset after with b_U (PyTorch's arrangement), both update conventions.

    x = 1, h0 = 0.5; W = (u 0.5, r −1, h 1), U = (u 1, r 2, h −2), b = (u 0, r 0, h 0.5),
    b_U = (u 0, r 0, h 0.4):
        z_u = 0.5·1 + 1·0.5 + 0 + 0          = 1      u = σ(1) = 1/(1 + e^−1) ≈ 1/1.36787944 ≈ 0.73105858
        z_r = −1·1 + 2·0.5 + 0 + 0           = 0      r = σ(0) = 0.5
        z_h = 1·1 + 0.5 + r·(−2·0.5 + 0.4)   = 1.5 + 0.5·(−0.6) = 1.2
        h̃   = tanh(1.2) = (e^2.4 − 1)/(e^2.4 + 1) ≈ 10.02317638/12.02317638 ≈ 0.83365461
        old: h = u·h0 + (1 − u)·h̃ ≈ 0.73105858·0.5 + 0.26894142·0.83365461 ≈ 0.36552929 + 0.22420429 = 0.58973358
        new: h = u·h̃ + (1 − u)·h0 ≈ 0.73105858·0.83365461 + 0.26894142·0.5 ≈ 0.60945035 + 0.13447071 = 0.74392106
    With reset before instead, z_h = 1 + (−2)·(0.5·0.5) + 0.5 + 0.4 = 1.4 (for H = 1 the two
    placements differ only through b_U,h).
    """
    base = {"solver": "gru-forward", "W": {"u": 0.5, "r": -1, "h": 1}, "U": {"u": 1, "r": 2, "h": -2},
            "b": {"u": 0, "r": 0, "h": 0.5}, "b_U": {"u": 0, "r": 0, "h": 0.4}, "x": [1], "h0": [0.5]}
    u = 1 / (1 + math.exp(-1))
    old = solve_data({**base, "convention": {"reset": "after"}}, tmp_path, "old.yaml")
    assert old.value("z_u[1]")[0] == pytest.approx(1.0, abs=1e-15)
    assert old.value("z_r[1]")[0] == pytest.approx(0.0, abs=1e-15)
    assert old.value("u[1]")[0] == pytest.approx(u, rel=1e-15)
    assert old.value("r[1]")[0] == 0.5
    assert old.value("z_h[1]")[0] == pytest.approx(1.2, rel=1e-15)
    assert old.value("h_tilde[1]")[0] == pytest.approx(math.tanh(1.2), rel=1e-15)
    assert old.value("h[1]")[0] == pytest.approx(u * 0.5 + (1 - u) * math.tanh(1.2), rel=1e-14)
    assert old.value("h[1]")[0] == pytest.approx(0.58973358, abs=1e-7)
    new = solve_data({**base, "convention": {"update": "new", "reset": "after"}}, tmp_path, "new.yaml")
    assert new.value("h[1]")[0] == pytest.approx(u * math.tanh(1.2) + (1 - u) * 0.5, rel=1e-14)
    assert new.value("h[1]")[0] == pytest.approx(0.74392106, abs=1e-7)
    before = solve_data(base, tmp_path, "before.yaml")
    assert before.value("z_h[1]")[0] == pytest.approx(1.4, rel=1e-15)
    # and the plain GRU above agrees with the hand values
    plain = {"W": {g: [[v]] for g, v in base["W"].items()}, "U": {g: [[v]] for g, v in base["U"].items()},
             "b": {g: [v] for g, v in base["b"].items()}, "b_U": {g: [v] for g, v in base["b_U"].items()},
             "x": [[1]], "h0": [0.5], "convention": {"reset": "after"}}
    assert plain_gru(plain)["h[1]"][0] == pytest.approx(0.58973358, abs=1e-7)


def test_formulas_follow_the_conventions(tmp_path):
    rng = random.Random(5)
    p = random_gru(rng, H=2, D=2, T=2)
    default = solve_data(p, tmp_path, "d.yaml")
    assert default["z_u[2]"].formula == "W_u·x[2] + U_u·h[1] + b_u"
    assert default["z_h[2]"].formula == "W_h·x[2] + U_h·(r[2]⊙h[1]) + b_h"
    assert default["h[2]"].formula == "u[2]⊙h[1] + (1 − u[2])⊙h̃[2]"
    assert default["h[2]"].inputs == ("u[2]", "h[1]", "h_tilde[2]")
    other = solve_data({**p, "b_U": {g: [0.1, 0.2] for g in "urh"}, "convention": {"update": "new", "reset": "after"}}, tmp_path, "o.yaml")
    assert other["z_r[1]"].formula == "W_r·x[1] + U_r·h[0] + b_r + b_U,r"
    assert other["z_h[1]"].formula == "W_h·x[1] + b_h + r[1]⊙(U_h·h[0] + b_U,h)"
    assert other["h[1]"].formula == "u[1]⊙h̃[1] + (1 − u[1])⊙h[0]"


def test_a_convention_naming_one_field_keeps_the_other_default(tmp_path):
    rng = random.Random(9)
    p = random_gru(rng, H=3, D=2, T=3, b_U=True)
    p.pop("convention", None)
    for written, full in (({"update": "new"}, {"update": "new", "reset": "before"}),
                          ({"reset": "after"}, {"update": "old", "reset": "after"})):
        trace = solve_data({**p, "convention": written}, tmp_path)
        expected = plain_gru({**p, "convention": full})
        np.testing.assert_allclose(trace.value("h[3]"), expected["h[3]"], rtol=1e-12)
    default = solve_data(p, tmp_path)
    np.testing.assert_allclose(default.value("h[3]"), plain_gru({**p, "convention": {"update": "old", "reset": "before"}})["h[3]"], rtol=1e-12)


def test_z_is_an_alias_of_u_in_every_gate_mapping(tmp_path):
    rng = random.Random(3)
    p = random_gru(rng, H=2, D=2, T=2, b_U=True, reduction="sum")
    aliased = {**p, **{key: {("z" if g == "u" else g): v for g, v in p[key].items()} for key in ("W", "U", "b", "b_U")}}
    assert "z" in aliased["W"] and "u" not in aliased["b_U"]
    a, b = solve_data(aliased, tmp_path, "z.yaml"), solve_data(p, tmp_path, "u.yaml")
    assert list(a.steps) == list(b.steps)  # the steps keep the name u: z_u[t], u[t]
    for step in b:
        assert np.array_equal(np.asarray(a.value(step.name)), np.asarray(step.value)), step.name
    # the alias in one mapping only is fine too
    mixed = {**p, "U": {("z" if g == "u" else g): v for g, v in p["U"].items()}}
    np.testing.assert_array_equal(solve_data(mixed, tmp_path, "m.yaml").value("h[2]"), b.value("h[2]"))


# --------------------------------------------------------------- mistakes
def _shows(wrong, right) -> bool:
    """The mistake moves the answer clearly beyond what 2-decimal hand rounding could."""
    a, b = np.asarray(wrong, dtype=float), np.asarray(right, dtype=float)
    return bool(np.any(np.abs(a - b) > 0.02 + 0.05 * np.abs(b)))


GRU_MISTAKES = [
    "update-convention-swapped",
    "reset-placement-swapped",
    "reset-gate-ignored",
    "sigmoid-sign-flipped",
    "tanh-for-gate",
    "recurrent-term-dropped",
    "bias-dropped",
]


@pytest.mark.parametrize("mistake", GRU_MISTAKES)
def test_every_gru_mistake_is_named_back(mistake, tmp_path):
    rng = random.Random(mistake)
    named_back = 0
    for n in range(40):
        if named_back == 4:
            break
        update, reset = rng.choice(CONVENTIONS)
        p = random_gru(rng, H=rng.randint(1, 3), T=rng.randint(2, 3), update=update, reset=reset,
                       b_U=rng.random() < 0.5, reduction=rng.choice(["mean", "sum", "half-sum"]), digits=2)
        path = tmp_path / f"q{n}.yaml"
        path.write_text(json.dumps(p))
        right, wrong = plain_gru(p), plain_gru(p, mistake)
        last = f"h[{len(p['x'])}]"
        if not _shows(wrong[last], right[last]):
            continue  # this draw does not show the mistake
        # Only the final h: nothing to carry forward, so the whole mistaken chain must explain it.
        result = graded(str(path), "q", {last: wrong[last]})[last]
        assert result.verdict == "incorrect"
        assert mistake in named(result), (result.diagnosis, p)
        named_back += 1
    assert named_back == 4


def test_wrong_reduction_is_named_back(tmp_path):
    rng = random.Random(17)
    named_back = 0
    for n in range(20):
        p = random_gru(rng, T=2, reduction=rng.choice(["mean", "sum", "half-sum"]), digits=2)
        path = tmp_path / f"q{n}.yaml"
        path.write_text(json.dumps(p))
        answers = plain_gru(p, "wrong-reduction")
        if not _shows(answers["mse"], plain_gru(p)["mse"]):
            continue  # the mean of two terms is their half sum
        result = graded(str(path), "q", answers)["mse"]
        assert result.verdict == "incorrect" and "wrong-reduction" in named(result), result.diagnosis
        named_back += 1
    assert named_back >= 4


def test_correct_answers_are_never_diagnosed(tmp_path):
    rng = random.Random(23)
    for n in range(4):
        update, reset = CONVENTIONS[n]
        p = random_gru(rng, T=2, update=update, reset=reset, b_U=bool(n % 2), reduction="mean", digits=2)
        path = tmp_path / f"q{n}.yaml"
        path.write_text(json.dumps(p))
        exact = plain_gru(p)
        answers = {q: exact[q] for q in ("h[1]", "h[2]", "mse")}
        for given in (answers, {k: np.round(v, 4).tolist() for k, v in answers.items()}):
            for q, result in graded(str(path), "q", given).items():
                assert result.verdict == "correct" and result.diagnosis is None, (q, result)


def test_the_mistake_ids_are_the_specs_and_in_gru_words():
    assert [m.id for m in MISTAKES] == GRU_MISTAKES + ["wrong-reduction"]
    from lstmhw.solvers.lstm_forward import MISTAKES as LSTM_MISTAKES

    lstm = {id(m) for m in LSTM_MISTAKES}
    for mistake in MISTAKES:
        if mistake.id in GRU_MISTAKES:
            assert id(mistake) not in lstm, f"{mistake.id} is the LSTM's own object"
        for variant in mistake.variants:
            text = variant.message
            assert not re.search(r"(?<![A-Za-z_])[fio](?![A-Za-z_])", text), text  # no gates f, i, o
            assert "c̃" not in text and "c_tilde" not in text and "forget" not in text.lower(), text


# --------------------------------------------------------------- the step contract
def _problems(tmp_path):
    rng = random.Random(31)
    out = []
    for n, ((update, reset), b_U) in enumerate(itertools.product(CONVENTIONS, (False, True))):
        p = random_gru(rng, H=2, D=2, T=2, update=update, reset=reset, b_U=b_U, reduction="half-sum")
        path = tmp_path / f"c{n}.yaml"
        path.write_text(json.dumps(p))
        out.append(load_problem(str(path)))
    return out


def test_steps_read_only_their_inputs_data_and_declared_ops(tmp_path):
    for problem in _problems(tmp_path):
        for ops in [None] + [ops for _, _, ops in patched_ops("gru-forward")]:
            check_step_contract(run(problem, ops=ops), ops)


def test_reruns_equal_full_runs(tmp_path):
    rng = np.random.default_rng(4)
    for problem in _problems(tmp_path)[::3]:
        base = run(problem)
        reruns = Reruns(problem)
        for _ in range(3):
            overrides = {q: np.asarray(base.value(q)) * rng.choice([0.5, -1.0, 1.1]) for q in problem.ask if rng.random() < 0.6}
            overrides = {q: float(v) if v.ndim == 0 else v for q, v in overrides.items()}
            for ops in [None] + [ops for _, _, ops in patched_ops("gru-forward")]:
                assert_own_values(problem, reruns, overrides, ops)


# --------------------------------------------------------------- files
P = TEMPLATE


@pytest.mark.parametrize(
    "name, text, fragments",
    [
        ("shape", P.replace("W: {u: [[1, 0]],", "W: {u: [[1, 0, 2]],"),
         ["shape.yaml:8:", "W.u: shape (1, 3), expected (1, 2) for hidden size 1 and input size 2"]),
        ("zshape", P.replace("U: {u: [[0.5]],", "U: {z: [[0.5, 1]],"), ["zshape.yaml:9:", "U.z: shape (1, 2), expected (1, 1)"]),
        ("missing", P.replace("b: {u: [0.1],    r: [0.0],", "b: {u: [0.1],"), ["missing.yaml:10:", "b: missing key 'r'"]),
        ("both", P.replace("W: {u: [[1, 0]],", "W: {u: [[1, 0]], z: [[1, 0]],"), ["W.z: both u and its alias z"]),
        ("update", P.replace("{update: old, reset: before}", "{update: newer, reset: before}"),
         ["convention.update: 'newer'", "expected one of old, new"]),
        ("reset", P.replace("{update: old, reset: before}", "{update: old, reset: inside}"),
         ["convention.reset: 'inside'", "expected one of before, after"]),
        ("convkey", P.replace("{update: old, reset: before}", "{update: old, rest: before}"), ["convention.rest: unknown key"]),
        ("bU", P.replace("# b_U: {u: [0], r: [0], h: [0]}", "b_U: {u: [0], r: [0], h: [0, 1]}"),
         ["b_U.h: shape (2,), expected (1,) for hidden size 1"]),
        ("nox", P.replace("x: [[1, 0], [0.5, -1]]   # one row of D inputs per time step\n", ""), ["missing key 'x'"]),
        ("y", P.replace("y: [0.5, 0.8]", "y: [0.5, 0.8, 0.1]"), ["y: shape (3,), expected (2, 1)"]),
        ("h0", P.replace("h0: [0]", "h0: [0, 0]"), ["h0: shape (2,), expected (1,) for hidden size 1"]),
        ("loss", P.replace("{reduction: mean}", "{reduction: avg}"), ["loss.reduction: 'avg'"]),
        ("unknown", P + "c0: [0]\n", ["c0", "unknown key"]),
    ],
)
def test_bad_gru_file_gives_one_located_line(name, text, fragments, write):
    assert text != P
    line = one_error_line(run_cli("solve", write(f"{name}.yaml", text)))
    for fragment in fragments:
        assert fragment in line, line


def test_template_and_example_check_and_solve(tmp_path):
    from conftest import ROOT

    for path in (ROOT / "examples" / "gru-forward.yaml", tmp_path / "t.yaml"):
        if path.parent == tmp_path:
            path.write_text(run_cli("new", "gru-forward").stdout)
        result = run_cli("solve", str(path), "--format", "json")
        assert result.returncode == 0, result.stderr
        (problem,) = json.loads(result.stdout)["problems"]
        expected = plain_gru(_as_plain(yaml.safe_load(path.read_text())))
        for q in problem["asked"]:
            np.testing.assert_allclose(problem["quantities"][q], expected[q], rtol=1e-12)


def _as_plain(doc: dict) -> dict:
    """A file as PyYAML reads it, in the plain GRU's layout (matrices as lists of rows)."""
    H = len(np.atleast_1d(doc.get("h0", [0])))
    out = dict(doc)
    for key, shape in (("W", None), ("U", (H, H)), ("b", (H,)), ("b_U", (H,))):
        if key in doc:
            out[key] = {("u" if g == "z" else g): (np.reshape(v, shape) if shape else np.atleast_2d(v)).tolist() for g, v in doc[key].items()}
    D = len(out["W"]["u"][0])
    out["x"] = np.reshape(doc["x"], (-1, D)).tolist()
    out["h0"] = np.atleast_1d(doc.get("h0", np.zeros(H))).tolist()
    if "y" in doc:
        out["y"] = np.reshape(doc["y"], (len(out["x"]), H)).tolist()
    return out


def test_variant_of_the_template_is_a_plain_gru(tmp_path):
    path = tmp_path / "gru.yaml"
    path.write_text(TEMPLATE)
    for seed in (0, 1):
        result = run_cli("variant", str(path), "--seed", str(seed))
        assert result.returncode == 0, result.stderr
        doc = yaml.safe_load(result.stdout)
        original = yaml.safe_load(TEMPLATE)
        assert doc["convention"] == original["convention"] and doc["loss"] == original["loss"]
        assert doc["W"] != original["W"]
        variant = tmp_path / f"v{seed}.yaml"
        variant.write_text(result.stdout)
        trace = run(load_problem(str(variant)))
        expected = plain_gru(_as_plain(doc))
        for q in ("h[1]", "h[2]", "mse"):
            np.testing.assert_allclose(trace.value(q), expected[q], rtol=1e-12)
