"""rnn-bptt against finite differences of a plain forward pass, and a plain BPTT that makes each mistake by hand.

Nothing here is checked against lstmhw's own output: every gradient is a
central difference of :func:`plain_loss` (a forward pass written out below),
every mistake is made by :func:`plain_bptt`, a separate hand-written BPTT.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pytest
import yaml
from conftest import ROOT, graded, named, one_error_line, run_cli

from lstmhw.mistakes import patched_ops
from lstmhw.problem import load_problem
from lstmhw.solvers import run, solver_module
from lstmhw.variant import variant_yaml

EXAMPLE = ROOT / "examples" / "rnn-bptt.yaml"
ACTIVATIONS = ["tanh", "sigmoid", "sigmoid-centered", "relu", "linear"]
LOSSES = [("squared", "mean"), ("squared", "sum"), ("squared", "half-sum"), ("cross-entropy", "mean"), ("cross-entropy", "sum")]
RELATIVE = 1e-7  # issue 14: gradients within 1e-7 of finite differences, relative to the gradient's norm


# --------------------------------------------------------------- a plain forward pass
def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


PHI = {
    "tanh": np.tanh,
    "sigmoid": sig,
    "sigmoid-centered": lambda z: sig(z) - 0.5,
    "relu": lambda z: np.maximum(z, 0.0),
    "linear": lambda z: z,
}


def arrays(p: dict) -> dict:
    out = {k: np.array(p[k], dtype=float) for k in ("W_h", "W_x", "x") if k in p}
    H = out["W_h"].shape[0]
    out["b"] = np.array(p.get("b", np.zeros(H)), dtype=float)
    out["h0"] = np.array(p.get("h0", np.zeros(H)), dtype=float)
    if "W_y" in p:
        out["W_y"] = np.array(p["W_y"], dtype=float)
        out["b_y"] = np.array(p.get("b_y", np.zeros(out["W_y"].shape[0])), dtype=float)
    return out


def plain_loss(p: dict, a: dict, inject: dict | None = None, zs: list | None = None) -> float:
    """The loss, straight from the equations; ``inject[(name, t)]`` is added to z[t], h[t] or yhat[t] as it is made."""
    inject = inject or {}
    kind, reduction = p["loss"]["kind"], p["loss"]["reduction"]
    h = a["h0"]
    total, count = 0.0, 0
    for t, x in enumerate(a["x"], start=1):
        z = a["W_h"] @ h + a["W_x"] @ x + a["b"] + inject.get(("z", t), 0.0)
        if zs is not None:
            zs.append(z)
        h = PHI[p["activation"]](z) + inject.get(("h", t), 0.0)
        out = (a["W_y"] @ h + a["b_y"] if "W_y" in a else h) + inject.get(("yhat", t), 0.0)
        if kind == "squared":
            total += float(np.sum((out - np.array(p["y"][t - 1], dtype=float)) ** 2))
            count += out.size
        else:
            k = p["y"][t - 1]
            m = out.max()
            total += -(out[k] - m - math.log(np.sum(np.exp(out - m))))
            count += 1
    if reduction == "mean":
        return total / count
    return total / 2 if reduction == "half-sum" else total


def central_difference(f, x: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """∂f/∂x by the five-point central difference (error O(step⁴)), one element at a time."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        values = []
        for k in (2, 1, -1, -2):
            bumped = x.copy()
            bumped[index] += k * step
            values.append(f(bumped))
        grad[index] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * step)
    return grad


NOISE = 1e-11  # what the difference quotient of a gradient that is exactly 0 (a ReLU off everywhere) rounds to


def relative_error(got, expected) -> float:
    """‖got − expected‖ / ‖expected‖; a zero gradient (below the quotient's rounding noise) must come out zero."""
    got, expected = np.asarray(got, dtype=float).reshape(-1), np.asarray(expected, dtype=float).reshape(-1)
    assert got.size == expected.size, (got.shape, expected.shape)
    scale = np.linalg.norm(expected)
    if scale < NOISE:
        return float(np.linalg.norm(got))
    return float(np.linalg.norm(got - expected) / scale)


# --------------------------------------------------------------- random problems
def random_problem(rng: np.random.Generator, activation: str, kind: str, reduction: str, with_output: bool, **sizes) -> dict:
    """H ≤ 4, D ≤ 3, T ≤ 6; for ReLU every z[t] at least 0.05 away from the kink."""
    for _ in range(1000):
        H = sizes.get("H", int(rng.integers(1, 5)))
        D = sizes.get("D", int(rng.integers(1, 4)))
        T = sizes.get("T", int(rng.integers(1, 7)))
        n_out = int(rng.integers(2, 4)) if kind == "cross-entropy" else int(rng.integers(1, 4)) if with_output else H
        p = {
            "id": "q",
            "solver": "rnn-bptt",
            "activation": activation,
            "W_h": rng.uniform(-1.2, 1.2, (H, H)).tolist(),
            "W_x": rng.uniform(-1.5, 1.5, (H, D)).tolist(),
            "b": rng.uniform(-0.5, 0.5, H).tolist(),
            "x": rng.uniform(-1, 1, (T, D)).tolist(),
            "h0": rng.uniform(-0.5, 0.5, H).tolist(),
            "loss": {"kind": kind, "reduction": reduction},
        }
        if with_output:
            p["W_y"] = rng.uniform(-1.5, 1.5, (n_out, H)).tolist()
            p["b_y"] = rng.uniform(-0.5, 0.5, n_out).tolist()
        p["y"] = rng.integers(0, n_out, T).tolist() if kind == "cross-entropy" else rng.uniform(-1, 1, (T, n_out)).tolist()
        zs: list = []
        plain_loss(p, arrays(p), zs=zs)
        if activation != "relu" or min(np.abs(z).min() for z in zs) >= 0.05:
            return p
    raise AssertionError("no ReLU problem away from the kink")


def write_problem(tmp_path, p: dict, name: str = "q.yaml") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(p))  # JSON is YAML; floats keep every digit
    return str(path)


CASES = [(seed, ACTIVATIONS[seed % 5], *LOSSES[(seed // 5) % 5]) for seed in range(50)]


@pytest.mark.parametrize("seed, activation, kind, reduction", CASES)
def test_gradients_agree_with_finite_differences(seed, activation, kind, reduction, tmp_path):
    rng = np.random.default_rng(seed)
    with_output = kind == "cross-entropy" or seed % 2 == 0
    p = random_problem(rng, activation, kind, reduction, with_output)
    trace = run(load_problem(write_problem(tmp_path, p)))
    a = arrays(p)
    assert trace.value("loss") == pytest.approx(plain_loss(p, a), rel=1e-12, abs=1e-15)
    for key, name in (("W_h", "dW_h"), ("W_x", "dW_x"), ("b", "db"), ("h0", "dh[0]"), ("W_y", "dW_y"), ("b_y", "db_y")):
        if key not in a:
            assert name not in trace
            continue
        expected = central_difference(lambda v, key=key: plain_loss(p, {**a, key: v}), a[key])
        assert relative_error(trace.value(name), expected) <= RELATIVE, (name, trace.value(name), expected)
    # the intermediate gradients are derivatives too: of the loss with respect to z[t], h[t], yhat[t]
    T, H = len(p["x"]), len(p["h0"])
    out_size = len(p["b_y"]) if with_output else H
    for t in range(1, T + 1):
        for what, name, size in (("z", "dz", H), ("h", "dh", H), ("yhat", "dyhat", out_size)):
            expected = central_difference(lambda v, what=what, t=t: plain_loss(p, a, {(what, t): v}), np.zeros(size))
            assert relative_error(trace.value(f"{name}[{t}]"), expected) <= RELATIVE, (f"{name}[{t}]", p)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_values_agree_with_a_plain_forward_pass(activation, tmp_path):
    p = random_problem(np.random.default_rng(7), activation, "squared", "mean", True, H=3, D=2, T=4)
    trace = run(load_problem(write_problem(tmp_path, p)))
    a = arrays(p)
    h = a["h0"]
    for t, x in enumerate(a["x"], start=1):
        z = a["W_h"] @ h + a["W_x"] @ x + a["b"]
        h = PHI[activation](z)
        np.testing.assert_allclose(trace.value(f"z[{t}]"), z, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(trace.value(f"h[{t}]"), h, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(trace.value(f"yhat[{t}]"), a["W_y"] @ h + a["b_y"], rtol=1e-13, atol=1e-15)


def test_defaults_are_zeros_and_a_flat_x_is_scalar_inputs(tmp_path):
    explicit = {"solver": "rnn-bptt", "W_h": [[0.5]], "W_x": [[1.0]], "b": [0.0], "h0": [0.0], "x": [[1.0], [0.5]],
                "W_y": [[2.0]], "b_y": [0.0], "y": [[0.5], [0.8]], "loss": {"kind": "squared", "reduction": "mean"}}
    short = {"solver": "rnn-bptt", "W_h": 0.5, "W_x": 1.0, "x": [1.0, 0.5], "W_y": 2.0, "y": [0.5, 0.8]}
    one, other = run(load_problem(write_problem(tmp_path, explicit, "a.yaml"))), run(load_problem(write_problem(tmp_path, short, "b.yaml")))
    assert list(one.steps) == list(other.steps)
    for step in one:
        np.testing.assert_array_equal(np.asarray(step.value), np.asarray(other.value(step.name)), err_msg=step.name)
    assert one["h[1]"].formula == "tanh(z[1])"  # tanh is the default activation


def test_without_an_output_layer_the_loss_is_on_h(tmp_path):
    p = random_problem(np.random.default_rng(3), "tanh", "squared", "sum", False, H=2, D=2, T=3)
    trace = run(load_problem(write_problem(tmp_path, p)))
    assert "yhat[1]" not in trace and "dW_y" not in trace and "db_y" not in trace
    assert trace["err[2]"].inputs == ("h[2]", "y[2]")
    assert trace["dh[3]"].formula == "dyhat[3]" and trace["dh[2]"].formula == "dyhat[2] + W_hᵀ·dz[3]"


# --------------------------------------------------------------- the exam example
def test_example_matches_a_hand_computation():
    """examples/rnn-bptt.yaml: H = D = 1, tanh, loss ½Σ(h[t] − y[t])², worked as on paper."""
    doc = yaml.safe_load(EXAMPLE.read_text())
    assert doc["activation"] == "tanh" and doc["loss"] == {"kind": "squared", "reduction": "half-sum"}
    w, u, b = float(doc["W_h"][0][0]), float(doc["W_x"][0][0]), float(doc["b"][0])
    (x1,), (x2,) = doc["x"]
    y1, y2 = doc["y"]
    h0 = float(doc["h0"][0])
    h1 = math.tanh(w * h0 + u * x1 + b)
    h2 = math.tanh(w * h1 + u * x2 + b)
    dh2 = h2 - y2
    dz2 = dh2 * (1 - h2**2)
    dh1 = (h1 - y1) + w * dz2
    dz1 = dh1 * (1 - h1**2)
    trace = run(load_problem(str(EXAMPLE)))
    expected = {"h[1]": h1, "h[2]": h2, "loss": ((h1 - y1) ** 2 + (h2 - y2) ** 2) / 2, "dh[2]": dh2, "dz[2]": dz2,
                "dh[1]": dh1, "dz[1]": dz1, "dW_h": dz1 * h0 + dz2 * h1, "dW_x": dz1 * x1 + dz2 * x2, "db": dz1 + dz2,
                "dh[0]": w * dz1}
    for name, value in expected.items():
        assert float(np.asarray(trace.value(name)).reshape(-1)[0]) == pytest.approx(value, rel=1e-12, abs=1e-15), name
    assert set(doc["ask"]) <= set(expected)


def test_example_solves_on_the_command_line_with_marks_and_formulas():
    result = run_cli("solve", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for group in ("t = 1", "t = 2", "loss", "backward t = 2", "backward t = 1", "gradients"):
        assert group in out
    assert "dh[1] ⊙ (1 − tanh²(z[1]))" in out and "dyhat[1] + W_hᵀ·dz[2]" in out
    assert out.index("backward t = 2") < out.index("backward t = 1") < out.index("gradients")
    marked = [line.split("│")[2].strip() for line in out.splitlines() if line.startswith("│ ▶")]
    assert marked == yaml.safe_load(EXAMPLE.read_text())["ask"]


def test_example_latex_is_balanced():
    result = run_cli("solve", str(EXAMPLE), "--format", "latex")
    assert result.returncode == 0, result.stderr
    tex = result.stdout
    body = re.sub(r"\\[{}]", "", tex)  # escaped braces are text
    depth = 0
    for ch in body:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    # the givens, t = 0, 1, 2, loss, two backward, gradients, answers
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}") == 9
    assert all(ord(ch) < 128 for ch in tex), "pdflatex needs every Unicode character mapped"
    commands = set(re.findall(r"\\([A-Za-z]+)", tex))
    known = {"documentclass", "usepackage", "setcounter", "allowdisplaybreaks", "setlength", "parindent", "DeclareTextCommand",
             "textunderscore", "leavevmode", "kern", "vbox", "hrule", "renewcommand", "labelitemi", "bullet", "title", "author",
             "date", "begin", "end", "maketitle", "section", "subsection", "texttt", "text", "blacktriangleright", "boxed",
             "tanh", "odot", "top", "hat", "left", "right", "frac", "mathrm", "sum", "item", "clearpage", "ensuremath", "cdot", "sloppy",
             "partial", "tfrac", "smallskip"}  # the statement's math, and the space between its paragraphs
    assert commands <= known, commands - known


# --------------------------------------------------------------- a plain BPTT that makes each mistake by hand
def plain_bptt(p: dict, mistake: str | None = None, slip: dict | None = None) -> dict:
    """Every gradient by hand; ``mistake`` made the way a student makes it, ``slip`` = the student's own dh[t]."""
    a = arrays(p)
    act, kind, reduction = p["activation"], p["loss"]["kind"], p["loss"]["reduction"]
    T = a["x"].shape[0]
    zs, hs = [], [a["h0"]]
    for x in a["x"]:
        zs.append(a["W_h"] @ hs[-1] + a["W_x"] @ x + a["b"])
        hs.append(PHI[act](zs[-1]))
    outs = [a["W_y"] @ h + a["b_y"] if "W_y" in a else h for h in hs[1:]]
    dyhat = []
    for t in range(T):
        if kind == "squared":
            n = T * outs[0].size
            c = {"mean": 2 / n, "sum": 2.0, "half-sum": 1.0}[reduction]
            if mistake == "loss-derivative-factor":  # the 2 of the square lost
                c = {"mean": 1 / n, "sum": 1.0, "half-sum": 0.5}[reduction]
            if mistake == "loss-derivative-factor/mean":  # the 1/n of the mean lost
                c = {"mean": 2.0, "sum": 2.0, "half-sum": 1.0}[reduction]
            dyhat.append(c * (outs[t] - np.array(p["y"][t], dtype=float)))
        else:
            e = np.exp(outs[t] - outs[t].max())
            prob = e / e.sum()
            onehot = np.eye(prob.size)[p["y"][t]]
            g = prob if mistake == "softmax-gradient-wrong" else prob - onehot
            dyhat.append(g / T if reduction == "mean" and mistake != "loss-derivative-factor/mean" else g)

    def phi_prime(v):
        s = sig(v)
        if act == "tanh":
            return 1 - np.tanh(v) if mistake == "activation-derivative-wrong" else 1 - np.tanh(v) ** 2
        if act in ("sigmoid", "sigmoid-centered"):
            return s if mistake == "activation-derivative-wrong" else s * (1 - s)
        return (v > 0).astype(float) if act == "relu" else np.ones_like(v)

    out: dict = {}
    dz = [None] * (T + 1)
    for t in range(T, 0, -1):
        dh = a["W_y"].T @ dyhat[t - 1] if "W_y" in a else dyhat[t - 1].copy()
        if t < T and mistake != "carried-gradient-dropped":
            back = a["W_h"] if mistake == "recurrent-weight-not-transposed" else a["W_h"].T
            dh = dh + back @ dz[t + 1]
        if slip and f"dh[{t}]" in slip:
            dh = np.array(slip[f"dh[{t}]"], dtype=float)
        at = hs[t] if mistake == "derivative-of-output-not-preactivation" else zs[t - 1]
        dz[t] = dh * phi_prime(at)
        out[f"dh[{t}]"], out[f"dz[{t}]"] = dh, dz[t]
    steps = [T] if mistake == "gradient-last-step-only" else range(1, T + 1)
    out["dW_h"] = sum(np.outer(dz[t], hs[t - 1]) for t in steps)
    out["dW_x"] = sum(np.outer(dz[t], a["x"][t - 1]) for t in steps)
    out["db"] = sum(dz[t] for t in steps)
    if "W_y" in a:
        out["dW_y"] = sum(np.outer(dyhat[t - 1], hs[t]) for t in steps)
        out["db_y"] = sum(dyhat[t - 1] for t in steps)
    back = a["W_h"] if mistake == "recurrent-weight-not-transposed" else a["W_h"].T
    out["dh[0]"] = back @ dz[1]
    return out


def _shows(wrong, right) -> bool:
    """The mistake moves the answer clearly beyond what hand rounding could."""
    a, b = np.asarray(wrong, dtype=float), np.asarray(right, dtype=float)
    return bool(np.any(np.abs(a - b) > 0.02 + 0.05 * np.abs(b)))


MISTAKE_SETUPS = {
    # mistake id (and how plain_bptt spells the variant) -> (activations, losses, with_output, sizes)
    "activation-derivative-wrong": (["tanh", "sigmoid", "sigmoid-centered"], LOSSES[:3], True, {}),
    "derivative-of-output-not-preactivation": (["tanh", "sigmoid", "sigmoid-centered"], LOSSES[:3], False, {}),
    "carried-gradient-dropped": (["tanh", "sigmoid", "linear"], LOSSES, True, {"T": 3}),
    "gradient-last-step-only": (["tanh", "relu", "linear"], LOSSES, True, {"T": 3}),
    "recurrent-weight-not-transposed": (["tanh", "linear"], LOSSES[:3], True, {"H": 3, "T": 3}),
    "loss-derivative-factor": (["tanh", "sigmoid"], LOSSES[:2], True, {}),
    "loss-derivative-factor/mean": (["tanh", "relu"], [LOSSES[0], LOSSES[3]], True, {}),
    "softmax-gradient-wrong": (["tanh", "sigmoid", "relu"], LOSSES[3:], True, {}),
}


@pytest.mark.parametrize("mistake", MISTAKE_SETUPS)
def test_every_mistake_is_named_back(mistake, tmp_path):
    activations, losses, with_output, sizes = MISTAKE_SETUPS[mistake]
    mistake_id = mistake.split("/")[0]
    rng = np.random.default_rng(abs(hash(mistake)) % 2**32)
    named_back = 0
    for n in range(40):
        if named_back == 4:
            break
        kind, reduction = losses[n % len(losses)]
        p = random_problem(rng, activations[n % len(activations)], kind, reduction, with_output or kind == "cross-entropy", **sizes)
        right, wrong = plain_bptt(p), plain_bptt(p, mistake)
        if not _shows(wrong["dW_x"], right["dW_x"]):
            continue  # this draw does not show the mistake
        # Only the final gradient: with no earlier answers nothing is carried forward,
        # so the whole chain with the mistake is what has to explain it.
        result = graded(write_problem(tmp_path, p, f"q{n}.yaml"), "q", {"dW_x": wrong["dW_x"]})["dW_x"]
        assert result.verdict == "incorrect"
        assert mistake_id in named(result), (result.diagnosis, p)
        named_back += 1
    assert named_back == 4


def test_every_catalog_mistake_is_tested():
    ids = {m.id for m in solver_module("rnn-bptt").MISTAKES}
    assert ids == {m.split("/")[0] for m in MISTAKE_SETUPS}
    assert ids == {
        "activation-derivative-wrong", "derivative-of-output-not-preactivation", "carried-gradient-dropped",
        "gradient-last-step-only", "recurrent-weight-not-transposed", "loss-derivative-factor", "softmax-gradient-wrong",
    }


@pytest.mark.parametrize("seed", range(5))
def test_right_and_rounded_answers_are_never_diagnosed(seed, tmp_path):
    kind, reduction = LOSSES[seed]
    p = random_problem(np.random.default_rng(100 + seed), ACTIVATIONS[seed], kind, reduction, True, T=3)
    p["ask"] = ["dh[2]", "dW_h", "dW_x", "db", "dh[0]"]
    exact = plain_bptt(p)
    path = write_problem(tmp_path, p)
    for answers in ({q: exact[q] for q in p["ask"]}, {q: np.round(exact[q], 4) for q in p["ask"]}):
        for q, r in graded(path, "q", answers).items():
            assert r.verdict == "correct", (q, r)
            assert r.diagnosis is None


def test_a_slipped_dh_is_carried_forward_into_dW_h(tmp_path):
    """The student's dh[2] is wrong; their dW_h, worked from it, is right given it (correct-ecf)."""
    p = random_problem(np.random.default_rng(21), "tanh", "squared", "half-sum", True, H=2, D=2, T=3)
    p["ask"] = ["dh[2]", "dW_h"]
    right = plain_bptt(p)
    slipped = right["dh[2]"] + np.array([0.3, -0.25])
    theirs = plain_bptt(p, slip={"dh[2]": slipped})
    assert _shows(theirs["dW_h"], right["dW_h"])
    results = graded(write_problem(tmp_path, p), "q", {"dh[2]": slipped, "dW_h": np.round(theirs["dW_h"], 4)})
    assert results["dh[2]"].verdict == "incorrect"
    assert results["dW_h"].verdict == "correct-ecf" and results["dW_h"].points == 1
    assert list(results["dW_h"].ecf["from"]) == ["dh[2]"]


# --------------------------------------------------------------- the solver contract
class Only:
    """The ops, but only the fields a step says it uses."""

    def __init__(self, ops, uses):
        self._ops, self._uses = ops, uses

    def __getattr__(self, name):
        if name not in self._uses:
            raise AssertionError(f"the step calls ops.{name}, which it does not list in uses")
        return getattr(self._ops, name)


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("kind, reduction", LOSSES)
def test_steps_read_only_their_inputs_data_and_uses(kind, reduction, tmp_path):
    p = random_problem(np.random.default_rng(5), "tanh", kind, reduction, True, H=2, D=2, T=3)
    problem = load_problem(write_problem(tmp_path, p))
    for ops in [solver_module("rnn-bptt").OPS] + [ops for _, _, ops in patched_ops("rnn-bptt")]:
        trace = run(problem, ops=ops)
        for step in trace:
            if step.given:
                continue
            assert step.fn.__closure__ is None and not step.fn.__defaults__, step.name
            again = step.fn(Only(ops, step.uses), *[trace.value(i) for i in step.inputs], **step.data)
            assert _same(again, step.own), step.name
            assert isinstance(step.value, (float, np.ndarray)) and (isinstance(step.value, float) or step.value.dtype == float)


def test_the_steps_do_not_depend_on_the_values(tmp_path):
    rng = np.random.default_rng(9)
    p = random_problem(rng, "relu", "cross-entropy", "mean", True, H=2, D=2, T=4)
    q = {**p, **{k: (np.asarray(p[k]) * -1.7).tolist() for k in ("W_h", "W_x", "b", "x", "h0", "W_y", "b_y")}}
    one = run(load_problem(write_problem(tmp_path, p, "a.yaml")))
    other = run(load_problem(write_problem(tmp_path, q, "b.yaml")))
    assert [(s.name, s.inputs, s.uses, s.formula, s.group) for s in one] == [(s.name, s.inputs, s.uses, s.formula, s.group) for s in other]


def test_cost_is_linear_in_T(tmp_path):
    """Steps and edges grow by the same amount per time step: no step reads the whole past but the sums over t."""
    counts = {}
    for T in (10, 100, 1000):
        p = random_problem(np.random.default_rng(1), "tanh", "squared", "mean", True, H=3, D=2, T=T)
        trace = run(load_problem(write_problem(tmp_path, p, f"T{T}.yaml")))
        counts[T] = (len(trace.steps), sum(len(s.inputs) for s in trace))
    per_step = [(counts[100][i] - counts[10][i]) / 90 for i in (0, 1)]
    assert [(counts[1000][i] - counts[100][i]) / 900 for i in (0, 1)] == per_step
    assert per_step[0] == 10  # x, z, h, yhat, y, err, sq_err, dyhat, dh, dz


def test_the_groups_are_forward_then_loss_then_backward_then_gradients(tmp_path):
    p = random_problem(np.random.default_rng(2), "tanh", "cross-entropy", "sum", True, T=3)
    trace = run(load_problem(write_problem(tmp_path, p)))
    groups = [g for g, _ in trace.groups()]
    assert groups == ["t = 0", "t = 1", "t = 2", "t = 3", "loss", "backward t = 3", "backward t = 2", "backward t = 1", "gradients"]
    assert [s.name for s in trace.groups()[-1][1]] == ["dW_h", "dW_x", "db", "dW_y", "db_y", "dh[0]"]
    assert [s.name for s in trace.groups()[5][1]] == ["dyhat[3]", "dh[3]", "dz[3]"]


def test_mistakes_patch_ops_fields_only():
    ops = solver_module("rnn-bptt").OPS
    fields = {f.name for f in dataclasses.fields(ops)}
    for mistake in solver_module("rnn-bptt").MISTAKES:
        for variant in mistake.variants:
            assert set(variant.patch) <= fields and 1 <= len(variant.patch) <= 2, mistake.id


# --------------------------------------------------------------- bad input
BASE = """\
solver: rnn-bptt
W_h: [[0.5, 0], [0, 0.5]]
W_x: [[1], [-1]]
x: [[1], [0.5]]
W_y: [[1, 2], [0, 1]]
y: [[0.5, 0.1], [0.8, 0.2]]
"""


@pytest.mark.parametrize(
    "name, change, fragments",
    [
        ("shape", ("W_x: [[1], [-1]]", "W_x: [[1, 2, 3]]"), ["W_x", "shape (1, 3), expected (2, 1) for hidden size 2 and input size 1"]),
        ("square", ("W_h: [[0.5, 0], [0, 0.5]]", "W_h: [[0.5, 0]]"), [":2:", "W_h", "expected a square matrix"]),
        ("x", ("x: [[1], [0.5]]", "x: [[1, 2], [0.5, 1]]"), [":4:", "x", "expected (T, 1)"]),
        ("missing", ("y: [[0.5, 0.1], [0.8, 0.2]]\n", ""), ["missing key 'y'"]),
        ("y", ("y: [[0.5, 0.1], [0.8, 0.2]]", "y: [0.5, 0.8]"), [":6:", "y", "expected (2, 2)"]),
        ("kind", ("\ny:", "\nloss: {kind: hinge}\ny:"), ["loss.kind", "'hinge'", "expected one of squared, cross-entropy"]),
        ("reduction", ("\ny:", "\nloss: {kind: cross-entropy, reduction: half-sum}\ny:"), ["loss.reduction", "expected one of mean, sum"]),
        ("activation", ("solver: rnn-bptt", "solver: rnn-bptt\nactivation: tanhh"), ["activation", "did you mean 'tanh'"]),
        ("W_y", ("W_y: [[1, 2], [0, 1]]", "W_y: [[1, 2, 3]]"), ["W_y", "expected (O, 2)"]),
        ("b_y", ("W_y: [[1, 2], [0, 1]]\n", ""), ["b_y without W_y"]),
    ],
)
def test_bad_input_is_one_located_line(name, change, fragments, write):
    text = BASE.replace(*change)
    if name == "b_y":
        text += "b_y: [0, 0]\n"
    line = one_error_line(run_cli("solve", write(f"{name}.yaml", text)))
    for fragment in fragments:
        assert fragment in line, line


@pytest.mark.parametrize(
    "y, fragments",
    [
        ("[1, 2]", ["y[1]", "2, expected a class index: a whole number from 0 to 1"]),
        ("[0.5, 1]", ["y[0]", "0.5, expected a class index"]),
        ("[[0.5, 0.1], [0.8, 0.2]]", ["y", "expected a flat list of 2 class indices"]),
    ],
)
def test_cross_entropy_targets_are_class_indices(y, fragments, write):
    text = BASE.replace("y: [[0.5, 0.1], [0.8, 0.2]]", f"y: {y}") + "loss: {kind: cross-entropy}\n"
    line = one_error_line(run_cli("solve", write("ce.yaml", text)))
    for fragment in fragments:
        assert fragment in line, line


def test_cross_entropy_needs_an_output_layer(write):
    text = "solver: rnn-bptt\nW_h: 0.5\nW_x: 1\nx: [1, 2]\ny: [0, 1]\nloss: {kind: cross-entropy}\n"
    line = one_error_line(run_cli("solve", write("ce.yaml", text)))
    assert "loss.kind" in line and "without W_y" in line


def test_a_solution_too_long_is_refused_at_x(write):
    T = 2000
    text = "solver: rnn-bptt\nW_h: 0.5\nW_x: 1\nx: [" + ", ".join(["0.1"] * T) + "]\ny: [" + ", ".join(["0.2"] * T) + "]\n"
    line = one_error_line(run_cli("solve", write("long.yaml", text)))
    assert ":4: x:" in line and "2,000 time steps, expected at most 1,665" in line


# --------------------------------------------------------------- template and variants
def test_template_solves_and_varies(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(solver_module("rnn-bptt").TEMPLATE)
    problem = load_problem(str(path))
    texts = {variant_yaml(problem, seed) for seed in range(3)}
    assert len(texts) == 3


def test_cross_entropy_class_indices_are_never_redrawn(tmp_path):
    p = random_problem(np.random.default_rng(4), "tanh", "cross-entropy", "mean", True, H=2, D=2, T=5)
    p["W_h"] = np.round(p["W_h"], 2).tolist()
    p["W_x"] = np.round(p["W_x"], 2).tolist()
    p["y"] = [2, 1, 0, 1, 2] if len(p["b_y"]) == 3 else [1, 0, 1, 1, 0]
    path = write_problem(tmp_path, p)
    for seed in range(4):
        doc = yaml.safe_load(variant_yaml(load_problem(path), seed))
        assert doc["y"] == p["y"], seed
        assert doc["W_h"] != p["W_h"]


@pytest.mark.parametrize("kind, reduction", [LOSSES[0], LOSSES[4]])
def test_reruns_from_students_values_equal_full_runs(kind, reduction, tmp_path):
    """ECF and diagnosis recompute only what is downstream of a student's values: bit for bit a full run."""
    from test_reruns import assert_own_values

    from lstmhw.reruns import Reruns

    p = random_problem(np.random.default_rng(12), "tanh", kind, reduction, True, H=2, D=2, T=3)
    p["ask"] = ["h[2]", "dh[2]", "dz[1]", "dW_h", "dh[0]", "loss"]
    problem = load_problem(write_problem(tmp_path, p))
    base, reruns = run(problem), Reruns(problem)
    rng = np.random.default_rng(0)
    for ops in [None] + [ops for _, _, ops in patched_ops("rnn-bptt")]:
        for decimals in (None, 3):
            overrides = {}
            for name in p["ask"]:
                if rng.random() < 0.5:
                    value = base.value(name)
                    noisy = np.asarray(value) + rng.normal(0, 0.2, np.shape(value))
                    overrides[name] = float(noisy) if np.ndim(value) == 0 else noisy
            assert_own_values(problem, reruns, overrides, ops, decimals)
