"""clip-grad against plain implementations of PyTorch's clip_grad_norm_, Keras' clipnorm and
Ng's clip(), written here element by element; its mistakes made by hand and named back.

PyTorch (torch/nn/utils/clip_grad.py, norm_type 2): ``total_norm`` is the 2-norm of the
per-tensor 2-norms, ``clip_coef = max_norm / (total_norm + 1e-6)``, and every gradient is
multiplied by ``clamp(clip_coef, max=1.0)``.  Keras' ``clipnorm`` sends each gradient through
``tf.clip_by_norm``: ``g · clip_norm / max(‖g‖, clip_norm)``.  Nothing here is pasted from
lstmhw's output.
"""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
import yaml
from conftest import ROOT, graded, named, one_error_line, run_cli
from step_contract import check_step_contract
from test_reruns import assert_own_values

from lstmhw.mistakes import patched_ops
from lstmhw.problem import load_problem
from lstmhw.reruns import Reruns
from lstmhw.solvers import run
from lstmhw.solvers.clip_grad import MISTAKES, TEMPLATE
from lstmhw.variant import variant_yaml

PYTORCH_EPS = 1e-6


# --------------------------------------------------------------- plain references
def each(g, f):
    """f applied to every number of a number, a list or a list of rows."""
    return [each(v, f) for v in g] if isinstance(g, list) else f(g)


def numbers(g) -> list[float]:
    return [x for v in g for x in numbers(v)] if isinstance(g, list) else [float(g)]


def two_norm(g) -> float:
    return math.sqrt(sum(v * v for v in numbers(g)))


def pytorch_clip_grad_norm_(grads: dict, max_norm: float, eps: float = PYTORCH_EPS) -> dict:
    """torch.nn.utils.clip_grad_norm_ as documented (eps is PyTorch's 1e-6 unless told)."""
    norms = {name: two_norm(g) for name, g in grads.items()}  # torch.linalg.vector_norm of each
    total_norm = math.sqrt(sum(n**2 for n in norms.values()))  # vector_norm(stack(norms))
    clip_coef = max_norm / (total_norm + eps)
    clip_coef_clamped = min(clip_coef, 1.0)  # torch.clamp(clip_coef, max=1.0)
    out = {f"norm[{name}]": n for name, n in norms.items()}
    out.update({"total_norm": total_norm, "scale": clip_coef_clamped})
    out.update({f"clipped[{name}]": each(g, lambda v: v * clip_coef_clamped) for name, g in grads.items()})  # noqa: B023
    return out


def keras_clipnorm(grads: dict, max_norm: float) -> dict:
    """Keras' clipnorm: each gradient on its own, tf.clip_by_norm(g, clip_norm)."""
    out = {}
    for name, g in grads.items():
        l2norm = two_norm(g)
        out[f"norm[{name}]"] = l2norm
        out[f"clipped[{name}]"] = each(g, lambda v: v * max_norm / max(l2norm, max_norm))  # noqa: B023
    return out


def per_tensor_with_eps(grads: dict, max_norm: float, eps: float) -> dict:
    """Per tensor, with eps as PyTorch adds it: min(1, max_norm / (‖g‖ + eps))."""
    out = {}
    for name, g in grads.items():
        scale = min(1.0, max_norm / (two_norm(g) + eps))
        out[f"scale[{name}]"] = scale
        out[f"clipped[{name}]"] = each(g, lambda v: v * scale)  # noqa: B023
    return out


def ng_clip(grads: dict, max_value: float) -> dict:
    """Ng's clip(): every element into [−max_value, max_value] (np.clip, written out)."""
    return {f"clipped[{name}]": each(g, lambda v: max(-max_value, min(max_value, v))) for name, g in grads.items()}


def random_grads(rng: random.Random, digits: int | None = None) -> dict:
    names = rng.sample(["W_h", "W_x", "b", "dW", "db", "V2", "g"], rng.randint(1, 4))
    num = (lambda: round(rng.uniform(-3, 3), digits)) if digits else (lambda: rng.uniform(-3, 3))
    grads = {}
    for name in names:
        kind = rng.choice(["number", "vector", "matrix"])
        if kind == "number":
            grads[name] = num()
        elif kind == "vector":
            grads[name] = [num() for _ in range(rng.randint(1, 4))]
        else:
            cols = rng.randint(1, 3)
            grads[name] = [[num() for _ in range(cols)] for _ in range(rng.randint(1, 3))]
    return grads


def solve_data(data: dict, tmp_path, name: str = "q.yaml"):
    path = tmp_path / name
    path.write_text(json.dumps(data))  # JSON is YAML, and keeps every digit
    return run(load_problem(str(path)))


def assert_values(trace, expected: dict, context) -> None:
    for name, value in expected.items():
        np.testing.assert_allclose(trace.value(name), value, rtol=1e-10, atol=1e-12, err_msg=f"{name} {context}")


# --------------------------------------------------------------- values
@pytest.mark.parametrize("seed", range(40))
def test_random_problems_agree_with_pytorch_keras_and_ng(seed, tmp_path):
    rng = random.Random(f"clip-{seed}")
    grads = random_grads(rng)
    total = math.sqrt(sum(two_norm(g) ** 2 for g in grads.values()))
    # max_norm on both sides of the norms, so both regimes are tried
    max_norm = max(total, 0.1) * rng.choice([0.2, 0.6, 0.9, 1.3, 3.0])
    kind = ["global", "global-pytorch", "per-tensor", "per-tensor-eps", "value"][seed % 5]
    p = {"solver": "clip-grad", "grads": grads, "max_norm": max_norm}
    if kind == "global":
        if rng.random() < 0.5:  # the default, written or not
            p["scope"] = "global"
        expected = pytorch_clip_grad_norm_(grads, max_norm, eps=0.0)
    elif kind == "global-pytorch":
        p["eps"] = 1e-6
        expected = pytorch_clip_grad_norm_(grads, max_norm)
    elif kind == "per-tensor":
        p["scope"] = "per-tensor"
        expected = keras_clipnorm(grads, max_norm)
    elif kind == "per-tensor-eps":
        p.update(scope="per-tensor", eps=rng.choice([1e-6, 0.1]))
        expected = per_tensor_with_eps(grads, max_norm, p["eps"])
    else:
        p["by"] = "value"
        max_norm = p["max_norm"] = rng.uniform(0.5, 2.5)
        expected = ng_clip(grads, max_norm)
    trace = solve_data(p, tmp_path)
    assert_values(trace, expected, p)
    assert trace.asked == [f"clipped[{name}]" for name in grads]
    if kind == "value":
        assert not any(name.startswith(("norm[", "scale", "total_norm")) for name in trace.steps)
    if kind.startswith("per-tensor"):
        assert "total_norm" not in trace and "scale" not in trace
        assert all(f"scale[{name}]" in trace for name in grads)


def test_template_by_hand(tmp_path):
    """SPEC's example: norms 5, √5, 0.5; total_norm = √(25 + 5 + 0.25) = √30.25 = 5.5; scale = 1/5.5."""
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE)
    trace = run(load_problem(str(path)))
    assert trace.value("norm[W_h]") == 5.0
    assert trace.value("norm[W_x]") == pytest.approx(math.sqrt(5), rel=1e-15)
    assert trace.value("norm[b]") == 0.5
    assert trace.value("total_norm") == 5.5
    assert trace.value("scale") == pytest.approx(2 / 11, rel=1e-15)
    np.testing.assert_allclose(trace.value("clipped[W_h]"), [[6 / 11, -8 / 11]], rtol=1e-15)
    np.testing.assert_allclose(trace.value("clipped[b]"), [1 / 11], rtol=1e-15)
    assert trace["total_norm"].formula == "√(norm[W_h]² + norm[W_x]² + norm[b]²)"
    assert trace["scale"].formula == "min(1, 1 / total_norm)"
    assert trace["clipped[W_x]"].formula == "scale·g[W_x]" and trace["clipped[W_x]"].inputs == ("g[W_x]", "scale")


def test_example_by_hand():
    """examples/clip-grad.yaml: ‖dW‖ = √(1 + 4 + 4) = 3, ‖db‖ = 4, total 5, scale 2.5/5 = 0.5."""
    trace = run(load_problem(str(ROOT / "examples" / "clip-grad.yaml")))
    assert (trace.value("norm[dW]"), trace.value("norm[db]"), trace.value("total_norm"), trace.value("scale")) == (3.0, 4.0, 5.0, 0.5)
    np.testing.assert_array_equal(trace.value("clipped[dW]"), [[0.5, -1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(trace.value("clipped[db]"), [2.0])


def test_under_the_threshold_nothing_changes_and_zero_gradients_stay_zero(tmp_path):
    trace = solve_data({"solver": "clip-grad", "grads": {"a": [0.3, 0.4], "b": 0}, "max_norm": 1}, tmp_path)
    assert trace.value("total_norm") == pytest.approx(0.5) and trace.value("scale") == 1.0
    np.testing.assert_array_equal(trace.value("clipped[a]"), [0.3, 0.4])
    assert trace.value("clipped[b]") == 0.0 and isinstance(trace.value("clipped[b]"), float)  # a number stays a number
    zero = solve_data({"solver": "clip-grad", "grads": {"a": [0, 0]}, "max_norm": 1, "scope": "per-tensor"}, tmp_path, "z.yaml")
    assert zero.value("scale[a]") == 1.0  # max_norm/0 is ∞, and min(1, ∞) = 1
    np.testing.assert_array_equal(zero.value("clipped[a]"), [0.0, 0.0])


# --------------------------------------------------------------- mistakes
def _shows(wrong, right) -> bool:
    a, b = np.asarray(wrong, dtype=float), np.asarray(right, dtype=float)
    return a.shape == b.shape and bool(np.any(np.abs(a - b) > 0.02 + 0.05 * np.abs(b)))


def _global(grads, M, eps):
    return pytorch_clip_grad_norm_(grads, M, eps)


def _per_tensor(grads, M, eps):
    out = per_tensor_with_eps(grads, M, eps)
    out.update({f"norm[{n}]": two_norm(g) for n, g in grads.items()})
    return out


def mistaken(p: dict, mistake: str) -> dict:
    """The answers of a student who made ``mistake``, by hand (eps as the problem gives it)."""
    grads, M, eps = p["grads"], p["max_norm"], p.get("eps", 0.0)
    scope = p.get("scope", "global")
    if mistake == "per-tensor-instead-of-global":
        return per_tensor_with_eps(grads, M, eps)  # the clipped[name]; no total_norm is involved
    if mistake == "global-instead-of-per-tensor":
        g = _global(grads, M, eps)
        return {**{f"scale[{n}]": g["scale"] for n in grads}, **{f"clipped[{n}]": g[f"clipped[{n}]"] for n in grads}}
    if mistake == "scaled-below-threshold":
        if scope == "global":
            total = math.sqrt(sum(two_norm(g) ** 2 for g in grads.values()))
            scale = M / (total + eps)  # not capped at 1
            return {"scale": scale, **{f"clipped[{n}]": each(g, lambda v: v * scale) for n, g in grads.items()}}  # noqa: B023
        out = {}
        for n, g in grads.items():
            scale = M / (two_norm(g) + eps)
            out[f"scale[{n}]"] = scale
            out[f"clipped[{n}]"] = each(g, lambda v: v * scale)  # noqa: B023
        return out
    if mistake == "clipped-by-value-instead-of-norm":
        return ng_clip(grads, M)
    if mistake == "norm-not-square-rooted":
        squares = {n: sum(v * v for v in numbers(g)) for n, g in grads.items()}
        if scope == "global":
            total = sum(squares.values())  # Σ of every square, no root
            scale = min(1.0, M / (total + eps))
            return {"total_norm": total, "scale": scale,
                    **{f"clipped[{n}]": each(g, lambda v: v * scale) for n, g in grads.items()}}  # noqa: B023
        out = {}
        for n, g in grads.items():
            scale = min(1.0, M / (squares[n] + eps))
            out.update({f"norm[{n}]": squares[n], f"scale[{n}]": scale, f"clipped[{n}]": each(g, lambda v: v * scale)})  # noqa: B023
        return out
    raise AssertionError(mistake)


# mistake -> (scope, where the norm sits against max_norm)
MISTAKE_PROBLEMS = {
    "per-tensor-instead-of-global": ("global", "above"),
    "global-instead-of-per-tensor": ("per-tensor", "mixed"),
    "scaled-below-threshold": ("either", "below"),
    "clipped-by-value-instead-of-norm": ("global", "above"),
    "norm-not-square-rooted": ("either", "near"),
}


def _problem_for(mistake: str, rng: random.Random) -> dict:
    scope, regime = MISTAKE_PROBLEMS[mistake]
    scope = rng.choice(["global", "per-tensor"]) if scope == "either" else scope
    grads = random_grads(rng, digits=2)
    while len(grads) < 2:
        grads = random_grads(rng, digits=2)
    norms = [two_norm(g) for g in grads.values()]
    total = math.sqrt(sum(n**2 for n in norms))
    reference = total if scope == "global" else max(norms)
    factor = {"above": rng.uniform(0.3, 0.7), "below": rng.uniform(1.5, 3), "mixed": rng.uniform(0.5, 0.9),
              "near": rng.uniform(0.6, 1.5)}[regime]
    p = {"id": "q", "solver": "clip-grad", "grads": grads, "max_norm": round(max(reference * factor, 0.05), 2), "scope": scope}
    if rng.random() < 0.3:
        p["eps"] = 1e-6
    quantities = {"global": ["total_norm", "scale"], "per-tensor": [f"{k}[{n}]" for n in grads for k in ("norm", "scale")]}[scope]
    p["ask"] = quantities + [f"clipped[{n}]" for n in grads]
    return p


@pytest.mark.parametrize("mistake", list(MISTAKE_PROBLEMS))
def test_every_clip_mistake_is_named_back(mistake, tmp_path):
    rng = random.Random(mistake)
    named_back = 0
    for n in range(60):
        if named_back == 4:
            break
        p = _problem_for(mistake, rng)
        right = (_global if p["scope"] == "global" else _per_tensor)(p["grads"], p["max_norm"], p.get("eps", 0.0))
        wrong = mistaken(p, mistake)
        # the one answer that shows the mistake, given alone: the whole mistaken chain must explain it
        shown = [q for q in p["ask"] if q in wrong and _shows(wrong[q], right[q])]
        if not shown:
            continue
        q = shown[-1]
        path = tmp_path / f"q{n}.yaml"
        path.write_text(json.dumps(p))
        result = graded(str(path), "q", {q: wrong[q]})[q]
        assert result.verdict == "incorrect", (q, result, p)
        assert mistake in named(result), (q, result.diagnosis, p)
        named_back += 1
    assert named_back == 4


def test_correct_and_rounded_answers_are_never_diagnosed(tmp_path):
    rng = random.Random(8)
    for n, mistake in enumerate(MISTAKE_PROBLEMS):
        p = _problem_for(mistake, rng)
        path = tmp_path / f"q{n}.yaml"
        path.write_text(json.dumps(p))
        right = (_global if p["scope"] == "global" else _per_tensor)(p["grads"], p["max_norm"], p.get("eps", 0.0))
        answers = {q: right[q] for q in p["ask"]}
        for given in (answers, {q: np.round(v, 4).tolist() for q, v in answers.items()}):
            for q, result in graded(str(path), "q", given).items():
                assert result.verdict == "correct" and result.diagnosis is None, (q, result, p)


def test_mistake_ids_are_the_specs():
    assert [m.id for m in MISTAKES] == list(MISTAKE_PROBLEMS)


# --------------------------------------------------------------- the step contract
def _problems(tmp_path):
    out = []
    rng = random.Random(12)
    for n, extra in enumerate([{}, {"eps": 1e-6}, {"scope": "per-tensor"}, {"scope": "per-tensor", "eps": 0.1}, {"by": "value"}]):
        grads = {"a": [[1.5, -2.0], [0.5, 0.25]], "b": [0.3, -0.7], "c": round(rng.uniform(-2, 2), 2)}
        path = tmp_path / f"c{n}.yaml"
        path.write_text(json.dumps({"solver": "clip-grad", "grads": grads, "max_norm": 1.2, **extra,
                                    "ask": ["clipped[a]", "clipped[b]", "clipped[c]"]}))
        out.append(load_problem(str(path)))
    return out


def test_steps_read_only_their_inputs_data_and_declared_ops(tmp_path):
    for problem in _problems(tmp_path):
        for ops in [None] + [ops for _, _, ops in patched_ops("clip-grad")]:
            check_step_contract(run(problem, ops=ops), ops)


def test_reruns_equal_full_runs(tmp_path):
    rng = np.random.default_rng(5)
    for problem in _problems(tmp_path):
        base = run(problem)
        reruns = Reruns(problem)
        computed = [s.name for s in base if not s.given]
        for _ in range(4):
            overrides = {}
            for q in computed:
                if rng.random() < 0.4:
                    value = np.asarray(base.value(q)) * rng.choice([0.5, -1.0, 1.1, 3.0])
                    overrides[q] = float(value) if value.ndim == 0 else value
            for ops in [None] + [ops for _, _, ops in patched_ops("clip-grad")]:
                assert_own_values(problem, reruns, overrides, ops)


# --------------------------------------------------------------- files
P = TEMPLATE


@pytest.mark.parametrize(
    "name, text, fragments",
    [
        ("nograds", P.replace("grads: {W_h: [[3, -4]], W_x: [[1, 2]], b: [0.5]}", ""), ["missing key 'grads'"]),
        ("list", P.replace("grads: {W_h: [[3, -4]], W_x: [[1, 2]], b: [0.5]}", "grads: [[3, -4]]"),
         ["list.yaml:5:", "grads: a list of 1, expected a mapping of named gradients"]),
        ("badname", P.replace("W_x: [[1, 2]]", "2x: [[1, 2]]"), ["badname.yaml:5:", "grads.2x: a gradient named '2x'"]),
        ("ragged", P.replace("W_h: [[3, -4]]", "W_h: [[3, -4], [1]]"), ["grads.W_h[1]", "ragged"]),
        ("text", P.replace("b: [0.5]", "b: [half]"), ["grads.b[0]: 'half', expected a finite number"]),
        ("max0", P.replace("max_norm: 1.0 ", "max_norm: 0 "), ["max0.yaml:6:", "max_norm: 0, expected a number > 0"]),
        ("nomax", P.replace("max_norm: 1.0 ", "# "), ["missing key 'max_norm'"]),
        ("scope", P.replace("scope: global ", "scope: local "), ["scope: 'local'", "expected one of global, per-tensor"]),
        ("by", P.replace("by: norm ", "by: l2 "), ["by: 'l2'", "expected one of norm, value"]),
        ("eps", P.replace("eps: 0 ", "eps: -1e-6 "), ["eps: ", "expected a number ≥ 0"]),
        ("valueeps", P.replace("by: norm ", "by: value "), ["scope: given with by: value"]),
        ("unknown", P + "clipnorm: 1\n", ["clipnorm", "unknown key"]),
        ("ask", P.replace('ask: [total_norm,', 'ask: [total_norms,'), ["ask[0]", "'total_norms' is not a quantity", "total_norm"]),
    ],
)
def test_bad_clip_file_gives_one_located_line(name, text, fragments, write):
    assert text != P
    line = one_error_line(run_cli("solve", write(f"{name}.yaml", text)))
    for fragment in fragments:
        assert fragment in line, line


def test_by_value_refuses_eps_too_and_per_tensor_has_no_total_norm(write):
    text = "solver: clip-grad\ngrads: {a: [1, 2]}\nmax_norm: 1\nby: value\neps: 0\n"
    assert "eps: given with by: value, expected eps only with by: norm" in one_error_line(run_cli("solve", write("v.yaml", text)))
    text = "solver: clip-grad\ngrads: {a: [1, 2]}\nmax_norm: 1\nscope: per-tensor\nask: [total_norm]\n"
    assert "'total_norm' is not a quantity" in one_error_line(run_cli("solve", write("p.yaml", text)))


def test_template_checks_and_solves(tmp_path):
    template = run_cli("new", "clip-grad")
    assert template.returncode == 0 and template.stdout == TEMPLATE
    path = tmp_path / "clip.yaml"
    path.write_text(template.stdout)
    assert run_cli("check", str(path)).returncode == 0
    solved = run_cli("solve", str(path), "--format", "json")
    assert solved.returncode == 0, solved.stderr
    quantities = json.loads(solved.stdout)["problems"][0]["quantities"]
    expected = pytorch_clip_grad_norm_(yaml.safe_load(TEMPLATE)["grads"], 1.0, eps=0.0)
    for q, value in expected.items():
        np.testing.assert_allclose(quantities[q], np.reshape(value, np.shape(quantities[q])), rtol=1e-12)


# --------------------------------------------------------------- variants
def _thresholded(doc: dict) -> list[float]:
    """What the variant rule compares with max_norm, computed here from the file as PyYAML reads it."""
    grads, by, scope = doc["grads"], doc.get("by", "norm"), doc.get("scope", "global")
    if by == "value":
        return [abs(v) for g in grads.values() for v in numbers(g)]
    norms = [two_norm(g) for g in grads.values()]
    return [math.sqrt(sum(n**2 for n in norms))] if scope == "global" else norms


@pytest.mark.parametrize(
    "grads, extra",
    [
        ({"a": [0.6, -0.8], "b": [0.5]}, {}),  # total_norm ≈ 1.12: many draws fall near 1
        ({"a": [0.6, -0.9], "b": [0.9, 0.2]}, {"scope": "per-tensor"}),  # ‖a‖ ≈ 1.08, ‖b‖ ≈ 0.92
        ({"a": [[0.9, -1.3], [1.1, 0.2]]}, {"by": "value"}),
    ],
)
def test_variants_keep_max_norm_and_stay_off_the_knife_edge(grads, extra, tmp_path):
    original = {"id": "k", "solver": "clip-grad", "grads": grads, "max_norm": 1.0, **extra}
    path = tmp_path / "k.yaml"
    path.write_text(yaml.safe_dump(original, default_flow_style=True))
    base = load_problem(str(path))
    before = _thresholded(original)
    for seed in range(12):
        doc = yaml.safe_load(variant_yaml(base, seed))
        assert doc["max_norm"] == 1.0 and all(doc.get(k) == v for k, v in extra.items())
        assert doc["grads"] != grads
        for old, new in zip(before, _thresholded(doc), strict=True):
            assert abs(new - 1.0) > 0.05, (seed, doc)  # not within 5% of max_norm
            assert (new > 1.0) == (old > 1.0), (seed, doc)  # clipped where the original clips


def test_variant_of_the_template_solves_like_pytorch(tmp_path):
    path = tmp_path / "clip.yaml"
    path.write_text(TEMPLATE)
    result = run_cli("variant", str(path), "--seed", "3")
    assert result.returncode == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    (tmp_path / "v.yaml").write_text(result.stdout)
    trace = run(load_problem(str(tmp_path / "v.yaml")))
    expected = pytorch_clip_grad_norm_(doc["grads"], doc["max_norm"], eps=0.0)
    for q, value in expected.items():
        np.testing.assert_allclose(trace.value(q), np.reshape(value, np.shape(trace.value(q))), rtol=1e-12)
