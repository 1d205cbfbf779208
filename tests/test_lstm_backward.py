"""lstm-backward against finite differences of a plain LSTM, and a plain backward pass that makes each mistake by hand.

The reference values come from :func:`plain_loss` (the forward pass and the
loss written out here) by central differences, and the mistakes from
:func:`plain_backward`, a separate hand-written BPTT: never from lstmhw.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import yaml
from conftest import ROOT, graded, named, one_error_line, run_cli

from lstmhw.mistakes import patched_ops
from lstmhw.problem import load_problem
from lstmhw.solvers import run, solver_module
from lstmhw.solvers.lstm_forward import LstmOps
from lstmhw.variant import variant_yaml

EXAMPLE = ROOT / "examples" / "lstm-backward.yaml"
GATES = "fioc"
REDUCTIONS = ["mean", "sum", "half-sum"]
RELATIVE = 1e-7
NOISE = 1e-11  # the difference quotient of an exactly-zero gradient (c[0] = 0 makes df[1] = 0) rounds to this


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def arrays(p: dict) -> dict:
    return {
        "W": {g: np.array(p["W"][g], dtype=float) for g in GATES},
        "U": {g: np.array(p["U"][g], dtype=float) for g in GATES},
        "b": {g: np.array(p["b"][g], dtype=float) for g in GATES},
        "x": np.array(p["x"], dtype=float).reshape(len(p["x"]), -1),
        "h0": np.array(p["h0"], dtype=float),
        "c0": np.array(p["c0"], dtype=float),
        "y": np.array(p["y"], dtype=float).reshape(len(p["x"]), -1),
    }


def plain_loss(p: dict, a: dict, inject: dict | None = None) -> float:
    """The mse of h[t] against y[t]; ``inject[(name, t)]`` is added to that quantity as it is made."""
    inject = inject or {}
    at = lambda name, t: inject.get((name, t), 0.0)
    h, c = a["h0"], a["c0"]
    squares = []
    for t, x in enumerate(a["x"], start=1):
        z = {g: a["W"][g] @ x + a["U"][g] @ h + a["b"][g] + at(f"z_{g}", t) for g in GATES}
        f, i, o = sig(z["f"]) + at("f", t), sig(z["i"]) + at("i", t), sig(z["o"]) + at("o", t)
        c_tilde = np.tanh(z["c"]) + at("c_tilde", t)
        c = f * c + i * c_tilde + at("c", t)
        h = o * np.tanh(c) + at("h", t)
        squares.extend((h - a["y"][t - 1]) ** 2)
    total = float(np.sum(squares))
    reduction = p.get("loss", {}).get("reduction", "mean")
    return total / len(squares) if reduction == "mean" else total / 2 if reduction == "half-sum" else total


def central_difference(f, x: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """The five-point central difference (error O(step⁴)), one element at a time."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        values = []
        for k in (2, 1, -1, -2):
            bumped = x.copy()
            bumped[index] += k * step
            values.append(f(bumped))
        grad[index] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * step)
    return grad


def relative_error(got, expected) -> float:
    got, expected = np.asarray(got, dtype=float).reshape(-1), np.asarray(expected, dtype=float).reshape(-1)
    assert got.size == expected.size
    scale = np.linalg.norm(expected)
    return float(np.linalg.norm(got)) if scale < NOISE else float(np.linalg.norm(got - expected) / scale)


def random_problem(rng: np.random.Generator, reduction: str, target: float = 0.8, **sizes) -> dict:
    H = sizes.get("H", int(rng.integers(1, 5)))
    D = sizes.get("D", int(rng.integers(1, 4)))
    T = sizes.get("T", int(rng.integers(1, 7)))
    mat = lambda r, c, s: rng.uniform(-s, s, (r, c)).tolist()
    vec = lambda n, s: rng.uniform(-s, s, n).tolist()
    return {
        "id": "q",
        "solver": "lstm-backward",
        "W": {g: mat(H, D, 1.5) for g in GATES},
        "U": {g: mat(H, H, 1.2) for g in GATES},
        "b": {g: vec(H, 0.5) for g in GATES},
        "x": mat(T, D, 1.0),
        "h0": vec(H, 0.5),
        "c0": vec(H, 0.5),
        "y": mat(T, H, target),
        "loss": {"reduction": reduction},
    }


def write_problem(tmp_path, p: dict, name: str = "q.yaml") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(p))
    return str(path)


@pytest.mark.parametrize("seed", range(30))
def test_gradients_agree_with_finite_differences(seed, tmp_path):
    rng = np.random.default_rng(seed)
    p = random_problem(rng, REDUCTIONS[seed % 3])
    trace = run(load_problem(write_problem(tmp_path, p)))
    a = arrays(p)
    assert trace.value("mse") == pytest.approx(plain_loss(p, a), rel=1e-12)
    for key in ("W", "U", "b"):
        for g in GATES:
            expected = central_difference(lambda v, key=key, g=g: plain_loss(p, {**a, key: {**a[key], g: v}}), a[key][g])
            name = f"d{key}_{g}"
            assert relative_error(trace.value(name), expected) <= RELATIVE, (name, trace.value(name), expected)
    for key, name in (("h0", "dh[0]"), ("c0", "dc[0]")):
        expected = central_difference(lambda v, key=key: plain_loss(p, {**a, key: v}), a[key])
        assert relative_error(trace.value(name), expected) <= RELATIVE, name
    # every intermediate gradient is ∂mse/∂(that quantity), with everything after it depending on it
    H = len(p["h0"])
    for t in range(1, len(p["x"]) + 1):
        for what, name in [("h", "dh"), ("c", "dc"), ("f", "df"), ("i", "di"), ("o", "do"), ("c_tilde", "dc_tilde")] + [
            (f"z_{g}", f"dz_{g}") for g in GATES
        ]:
            expected = central_difference(lambda v, what=what, t=t: plain_loss(p, a, {(what, t): v}), np.zeros(H))
            assert relative_error(trace.value(f"{name}[{t}]"), expected) <= RELATIVE, (f"{name}[{t}]", seed)


def test_the_forward_steps_are_lstm_forwards_own(tmp_path):
    p = random_problem(np.random.default_rng(3), "half-sum", H=2, D=2, T=3)
    backward = run(load_problem(write_problem(tmp_path, p, "b.yaml")))
    forward = run(load_problem(write_problem(tmp_path, {**p, "solver": "lstm-forward"}, "f.yaml")))
    for step in forward:
        other = backward[step.name]
        assert (step.formula, step.latex, step.inputs, step.group, step.uses) == (other.formula, other.latex, other.inputs, other.group, other.uses)
        np.testing.assert_array_equal(np.asarray(step.value), np.asarray(other.value), err_msg=step.name)
    assert list(backward.steps)[: len(forward.steps)] == list(forward.steps)


def test_groups_and_names(tmp_path):
    p = random_problem(np.random.default_rng(4), "mean", H=1, D=1, T=2)
    trace = run(load_problem(write_problem(tmp_path, p)))
    groups = [g for g, _ in trace.groups()]
    assert groups == ["t = 0", "t = 1", "t = 2", "loss", "backward t = 2", "backward t = 1", "gradients"]
    backward = [s.name for s in trace.groups()[5][1]]
    assert backward == ["dh[1]", "do[1]", "dc[1]", "df[1]", "di[1]", "dc_tilde[1]", "dz_f[1]", "dz_i[1]", "dz_o[1]", "dz_c[1]"]
    gradients = [s.name for s in trace.groups()[6][1]]
    assert gradients == [f"{d}_{g}" for g in GATES for d in ("dW", "dU", "db")] + ["dh[0]", "dc[0]"]
    assert trace["dc[1]"].formula == "dh[1] ⊙ o[1] ⊙ (1 − tanh²(c[1])) + dc[2] ⊙ f[2]"
    assert trace["do[1]"].formula == "dh[1] ⊙ tanh(c[1])"


# --------------------------------------------------------------- the exam example
def test_example_agrees_with_finite_differences():
    doc = yaml.safe_load(EXAMPLE.read_text())
    assert len(doc["x"]) == 2 and len(doc["h0"]) == 1
    trace = run(load_problem(str(EXAMPLE)))
    a = arrays(doc)
    for name in doc["ask"]:
        if name.startswith(("dW_", "dU_", "db_")):
            key, g = name[1], name[-1]
            expected = central_difference(lambda v, key=key, g=g: plain_loss(doc, {**a, key: {**a[key], g: v}}), a[key][g])
        elif name in ("dh[0]", "dc[0]"):
            key = "h0" if name == "dh[0]" else "c0"
            expected = central_difference(lambda v, key=key: plain_loss(doc, {**a, key: v}), a[key])
        else:
            what, t = name[1:].split("[")[0], int(name.split("[")[1][0])
            expected = central_difference(lambda v, what=what, t=t: plain_loss(doc, a, {(what, t): v}), np.zeros(1))
        assert relative_error(trace.value(name), expected) <= RELATIVE, name


def test_example_solves_and_its_latex_is_balanced():
    result = run_cli("solve", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    marked = [line.split("│")[2].strip() for line in result.stdout.splitlines() if line.startswith("│ ▶")]
    assert marked == yaml.safe_load(EXAMPLE.read_text())["ask"]
    tex = run_cli("solve", str(EXAMPLE), "--format", "latex").stdout
    depth = 0
    for ch in tex.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0 and all(ord(ch) < 128 for ch in tex)
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}")
    assert r"dc_{1} &= dh_{1} \odot o_{1} \odot \left(1 - \tanh^2(c_{1})\right) + dc_{2} \odot f_{2}" in tex


# --------------------------------------------------------------- a plain backward pass that makes each mistake by hand
def plain_backward(p: dict, mistake: str | None = None, slip: dict | None = None) -> dict:
    """h[t] and every gradient by hand; the forward mistakes of lstm-forward too, then the usual backward."""
    a = arrays(p)
    gate = {"sigmoid-sign-flipped": lambda z: sig(-z), "tanh-for-gate": np.tanh}.get(mistake, sig)
    cand = sig if mistake == "sigmoid-for-candidate" else np.tanh
    T, H = a["x"].shape[0], a["h0"].size
    f, i, o, ct, c, h = {}, {}, {}, {}, {0: a["c0"]}, {0: a["h0"]}
    for t in range(1, T + 1):
        z = {}
        for g in GATES:
            z[g] = a["W"][g] @ a["x"][t - 1]
            if mistake != "recurrent-term-dropped":
                z[g] = z[g] + a["U"][g] @ h[t - 1]
            if mistake != "bias-dropped":
                z[g] = z[g] + a["b"][g]
        f[t], i[t], o[t], ct[t] = gate(z["f"]), gate(z["i"]), gate(z["o"]), cand(z["c"])
        c[t] = i[t] * c[t - 1] + f[t] * ct[t] if mistake == "f-i-swapped" else f[t] * c[t - 1] + i[t] * ct[t]
        h[t] = o[t] * (c[t] if mistake == "h-without-tanh" else np.tanh(c[t]))
    reduction = p["loss"]["reduction"]
    factor = {"mean": 2 / (T * H), "sum": 2.0, "half-sum": 1.0}[reduction]
    tanh_prime = (lambda v: 1 - v) if mistake == "tanh-derivative-wrong" else (lambda v: 1 - v**2)
    sig_prime = (lambda s: s) if mistake == "sigmoid-derivative-wrong" else (lambda s: s * (1 - s))
    out = {f"h[{t}]": h[t] for t in range(1, T + 1)}
    dz = {g: {} for g in GATES}
    dc = {}
    for t in range(T, 0, -1):
        dh = factor * (h[t] - a["y"][t - 1])
        if t < T and mistake != "hidden-gradient-not-carried":
            dh = dh + sum(a["U"][g].T @ dz[g][t + 1] for g in GATES)
        if slip and f"dh[{t}]" in slip:
            dh = np.array(slip[f"dh[{t}]"], dtype=float)
        do = dh * (c[t] if mistake == "output-gate-gradient-uses-c" else np.tanh(c[t]))
        dc[t] = dh * o[t] * tanh_prime(np.tanh(c[t]))
        if t < T and mistake != "cell-gradient-not-carried":
            dc[t] = dc[t] + dc[t + 1] * f[t + 1]
        df, di, dct = dc[t] * c[t - 1], dc[t] * ct[t], dc[t] * i[t]
        dz["f"][t], dz["i"][t], dz["o"][t] = df * sig_prime(f[t]), di * sig_prime(i[t]), do * sig_prime(o[t])
        dz["c"][t] = dct * tanh_prime(ct[t])
        out[f"dh[{t}]"], out[f"dc[{t}]"] = dh, dc[t]
    for g in GATES:
        out[f"dW_{g}"] = sum(np.outer(dz[g][t], a["x"][t - 1]) for t in range(1, T + 1))
        out[f"dU_{g}"] = sum(np.outer(dz[g][t], h[t - 1]) for t in range(1, T + 1))
        out[f"db_{g}"] = sum(dz[g][t] for t in range(1, T + 1))
    out["dh[0]"] = sum(a["U"][g].T @ dz[g][1] for g in GATES)
    out["dc[0]"] = dc[1] * f[1]
    return out


def _shows(wrong, right) -> bool:
    """The mistake moves the answer clearly beyond what hand rounding could."""
    a, b = np.asarray(wrong, dtype=float), np.asarray(right, dtype=float)
    return bool(np.any(np.abs(a - b) > 0.01 + 0.05 * np.abs(b)))


SHOWN_ON = ["db_c", "db_o", "db_i", "db_f", "dW_c", "dW_o"]  # the first of these the mistake moves is answered


BACKWARD_MISTAKES = [
    "cell-gradient-not-carried", "hidden-gradient-not-carried", "output-gate-gradient-uses-c",
    "tanh-derivative-wrong", "sigmoid-derivative-wrong",
]
FORWARD_MISTAKES = [
    "sigmoid-sign-flipped", "tanh-for-gate", "sigmoid-for-candidate", "h-without-tanh",
    "recurrent-term-dropped", "bias-dropped", "f-i-swapped",
]


@pytest.mark.parametrize("mistake", BACKWARD_MISTAKES + FORWARD_MISTAKES)
def test_every_mistake_is_named_back_on_a_gradient(mistake, tmp_path):
    rng = np.random.default_rng(sum(map(ord, mistake)))
    named_back = 0
    for n in range(40):
        if named_back == 3:
            break
        # targets far from h[t] and the sum: gradients large enough for a mistake to show beyond the tolerance
        sizes = {"H": int(rng.integers(1, 3)), "D": int(rng.integers(1, 3)), "T": int(rng.integers(2, 4))}
        p = random_problem(rng, ["sum", "half-sum"][n % 2], target=2.0, **sizes)
        right, wrong = plain_backward(p), plain_backward(p, mistake)
        q = next((q for q in SHOWN_ON if _shows(wrong[q], right[q])), None)
        if q is None:
            continue
        result = graded(write_problem(tmp_path, p, f"q{n}.yaml"), "q", {q: wrong[q]})[q]
        assert result.verdict == "incorrect"
        assert mistake in named(result), (result.diagnosis, mistake)
        named_back += 1
    assert named_back == 3


def test_the_catalog_is_the_specs():
    ids = [m.id for m in solver_module("lstm-backward").MISTAKES]
    assert ids == BACKWARD_MISTAKES + FORWARD_MISTAKES + ["wrong-reduction"]


def test_a_slipped_dh_is_carried_forward(tmp_path):
    p = random_problem(np.random.default_rng(8), "sum", target=2.0, H=2, D=2, T=3)
    p["ask"] = ["dh[2]", "dU_c", "db_c"]
    right = plain_backward(p)
    slipped = right["dh[2]"] + np.array([0.4, -0.3])
    theirs = plain_backward(p, slip={"dh[2]": slipped})
    assert _shows(theirs["dU_c"], right["dU_c"]) and _shows(theirs["db_c"], right["db_c"])
    results = graded(write_problem(tmp_path, p), "q", {"dh[2]": slipped, "dU_c": np.round(theirs["dU_c"], 4), "db_c": theirs["db_c"]})
    assert results["dh[2]"].verdict == "incorrect"
    for q in ("dU_c", "db_c"):
        assert results[q].verdict == "correct-ecf", (q, results[q])
        assert list(results[q].ecf["from"]) == ["dh[2]"]


@pytest.mark.parametrize("seed", range(3))
def test_right_and_rounded_answers_are_never_diagnosed(seed, tmp_path):
    p = random_problem(np.random.default_rng(200 + seed), REDUCTIONS[seed], H=2, D=2, T=2)
    p["ask"] = ["dh[1]", "dc[1]", "dW_f", "dU_i", "db_o", "dW_c", "dh[0]", "dc[0]"]
    exact = plain_backward(p)
    path = write_problem(tmp_path, p)
    for answers in ({q: exact[q] for q in p["ask"]}, {q: np.round(exact[q], 5) for q in p["ask"]}):
        for q, r in graded(path, "q", answers).items():
            assert r.verdict == "correct" and r.diagnosis is None, (q, r)


# --------------------------------------------------------------- the solver contract
class Only:
    def __init__(self, ops, uses):
        self._ops, self._uses = ops, uses

    def __getattr__(self, name):
        if name not in self._uses:
            raise AssertionError(f"the step calls ops.{name}, which it does not list in uses")
        return getattr(self._ops, name)


def test_ops_extend_lstm_forwards_and_every_patch_applies():
    ops = solver_module("lstm-backward").OPS
    forward = {f.name for f in dataclasses.fields(LstmOps)}
    assert forward <= {f.name for f in dataclasses.fields(ops)}
    for mistake in solver_module("lstm-backward").MISTAKES:
        for variant in mistake.variants:
            dataclasses.replace(ops, **variant.patch)  # lstm-forward's patches too


def test_steps_read_only_their_inputs_data_and_uses(tmp_path):
    p = random_problem(np.random.default_rng(6), "mean", H=2, D=2, T=3)
    problem = load_problem(write_problem(tmp_path, p))
    for ops in [solver_module("lstm-backward").OPS] + [ops for _, _, ops in patched_ops("lstm-backward")]:
        trace = run(problem, ops=ops)
        for step in trace:
            if step.given:
                continue
            assert step.fn.__closure__ is None and not step.fn.__defaults__, step.name
            again = step.fn(Only(ops, step.uses), *[trace.value(i) for i in step.inputs], **step.data)
            assert np.asarray(again).tobytes() == np.asarray(step.own).tobytes(), step.name


def test_cost_is_linear_in_T(tmp_path):
    counts = {}
    for T in (10, 100, 300):
        p = random_problem(np.random.default_rng(1), "mean", H=2, D=2, T=T)
        trace = run(load_problem(write_problem(tmp_path, p, f"T{T}.yaml")))
        counts[T] = (len(trace.steps), sum(len(s.inputs) for s in trace))
    per_step = [(counts[100][k] - counts[10][k]) / 90 for k in (0, 1)]
    assert [(counts[300][k] - counts[100][k]) / 200 for k in (0, 1)] == per_step
    assert per_step[0] == 24  # 14 forward and loss steps, 10 backward


# --------------------------------------------------------------- bad input, template, variants
P4 = (ROOT / "problems" / "p4.yaml").read_text().replace("solver: lstm-forward", "solver: lstm-backward")


def test_y_is_required(write):
    text = "\n".join(line for line in P4.splitlines() if not line.startswith("y:")) + "\n"
    line = one_error_line(run_cli("solve", write("noy.yaml", text)))
    assert "missing key 'y'" in line and "gradients" in line


def test_a_wrong_shape_is_lstm_forwards_located_error(write):
    line = one_error_line(run_cli("solve", write("shape.yaml", P4.replace("U: {f: [[0.5]],", "U: {f: [[0.5, 1]],"))))
    assert ":6: U.f:" in line and "expected (1, 1) for hidden size 1 and input size 2" in line


def test_a_solution_too_long_is_refused_at_x(write):
    T = 700
    text = (
        "solver: lstm-backward\nW: {f: 1, i: 1, o: 1, c: 1}\nU: {f: 0.5, i: 0.5, o: 0.5, c: 0.5}\nb: {f: 0, i: 0, o: 0, c: 0}\n"
        f"x: [{', '.join(['0.1'] * T)}]\ny: [{', '.join(['0.2'] * T)}]\n"
    )
    line = one_error_line(run_cli("solve", write("long.yaml", text)))
    assert ":5: x:" in line and "700 time steps, expected at most 624" in line


def test_template_varies_with_lstm_forwards_redraw(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(solver_module("lstm-backward").TEMPLATE)
    problem = load_problem(str(path))
    docs = [yaml.safe_load(variant_yaml(problem, seed)) for seed in range(3)]
    assert len({json.dumps(d, sort_keys=True) for d in docs}) == 3
    assert all(d["loss"] == {"reduction": "mean"} for d in docs)


def test_reruns_from_students_values_equal_full_runs(tmp_path):
    """ECF and diagnosis recompute only what is downstream of a student's values: bit for bit a full run."""
    from test_reruns import assert_own_values

    from lstmhw.reruns import Reruns

    p = random_problem(np.random.default_rng(12), "mean", H=2, D=2, T=3)
    p["ask"] = ["h[2]", "c[1]", "dh[2]", "dc[2]", "dz_o[1]", "dW_f", "dU_c", "dh[0]", "mse"]
    problem = load_problem(write_problem(tmp_path, p))
    base, reruns = run(problem), Reruns(problem)
    rng = np.random.default_rng(0)
    for ops in [None] + [ops for _, _, ops in patched_ops("lstm-backward")]:
        overrides = {}
        for name in p["ask"]:
            if rng.random() < 0.5:
                value = base.value(name)
                noisy = np.asarray(value) + rng.normal(0, 0.2, np.shape(value))
                overrides[name] = float(noisy) if np.ndim(value) == 0 else noisy
        assert_own_values(problem, reruns, overrides, ops)
