"""`lstmhw variant`: redrawn numbers, deterministic per seed, never degenerate.

Answers are checked against plain re-implementations written here (an LSTM
and an Adam step in a few lines of NumPy) on the variant file as PyYAML reads
it, never against lstmhw's own output.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import yaml
from conftest import PROBLEMS, run_cli
from reference import plain_lstm as reference_lstm

from lstmhw.errors import LstmhwError
from lstmhw.problem import load_problem
from lstmhw.solvers import SOLVERS, run, solver_module
from lstmhw.variant import variant_problem, variant_yaml

P1, P2, P3, P4 = (PROBLEMS / f"p{n}.yaml" for n in (1, 2, 3, 4))
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
RTOL, ATOL = 1e-2, 0.0  # SPEC §4.2 default grading tolerance (no absolute part)


def variant_text(path, seed: int) -> str:
    result = run_cli("variant", str(path), "--seed", str(seed))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def library_text(path, seed: int) -> str:
    """The same text in-process (the CLI's equality with it is tested once, below)."""
    return variant_yaml(load_problem(str(path)), seed)


def needs(path):
    return pytest.mark.skipif(not path.exists(), reason=f"{path.name} not there yet")


def value_tokens(text: str, key: str) -> list[str]:
    """The number tokens of the top-level ``key:`` line (comments dropped)."""
    for line in text.splitlines():
        if line.startswith(f"{key}:"):
            return NUMBER.findall(line.split(":", 1)[1].split("#", 1)[0])
    raise AssertionError(f"no line for {key}")


def decimals(token: str) -> int:
    return len(token.split(".")[1]) if "." in token else 0


def close(a, b) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return bool(np.all(np.abs(a - b) <= ATOL + RTOL * np.abs(b)))


# ---------------------------------------------------- plain references

def plain_lstm(doc: dict, mistake: str | None = None) -> dict:
    """h[t] and the loss by the plain LSTM of tests/reference.py, as arrays."""
    return {k: np.asarray(v, dtype=float) for k, v in reference_lstm(doc, mistake).items()}


def plain_adam(doc: dict) -> dict:
    lr, b1, b2, eps, t = doc["lr"], doc["beta1"], doc["beta2"], float(doc["eps"]), doc["t"]
    W, g, V, S = (np.array(doc[k], float) for k in ("W", "grad", "V", "S"))
    V2 = b1 * V + (1 - b1) * g
    S2 = b2 * S + (1 - b2) * g**2
    Vc, Sc = V2 / (1 - b1**t), S2 / (1 - b2**t)
    return {"V[2]": V2, "S[2]": S2, "W[2]": W - lr * Vc / (np.sqrt(Sc) + eps), "ratio": np.abs(Vc) / np.sqrt(Sc)}


def solved(text: str, tmp_path, name="v.yaml") -> dict:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run_cli("solve", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["problems"][0]


# ------------------------------------------------------- determinism
def test_same_seed_byte_identical_across_processes_and_library():
    first, second = variant_text(P4, 7), variant_text(P4, 7)
    assert first == second
    assert variant_yaml(load_problem(str(P4)), 7) == first


def test_different_seeds_give_different_numbers():
    seen = {}
    for seed in range(10):
        doc = yaml.safe_load(library_text(P4, seed))
        numbers = tuple(NUMBER.findall(json.dumps([doc[k] for k in ("W", "U", "b", "x", "y")])))
        assert numbers not in seen.values(), f"seed {seed} repeats seed {[s for s, n in seen.items() if n == numbers]}"
        seen[seed] = numbers
    original = yaml.safe_load(P4.read_text())
    assert tuple(NUMBER.findall(json.dumps([original[k] for k in ("W", "U", "b", "x", "y")]))) not in seen.values()


# ------------------------------------------- precision, signs, records
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 11, 97])
def test_precision_sign_pattern_and_record_p4(seed):
    original, text = P4.read_text(), library_text(P4, seed)
    for key in ("W", "U", "b", "x", "y", "h0", "c0"):
        old, new = value_tokens(original, key), value_tokens(text, key)
        assert len(new) == len(old), key
        places = max(decimals(t) for t in old)
        for o, n in zip(old, new, strict=True):
            assert np.sign(float(n)) == np.sign(float(o)), (key, o, n)  # zero stays zero
            if float(o) != 0:
                assert decimals(n) == places, (key, o, n)
                units_old, units_new = round(abs(float(o)) * 10**places), round(abs(float(n)) * 10**places)
                assert max(1, units_old // 2) <= units_new <= max(units_old + 2, -(-3 * units_old // 2)), (key, o, n)
    doc = yaml.safe_load(text)
    assert doc["id"] == f"p4-v{seed}"
    assert doc["variant"] == {"seed": seed, "of": "p4"}
    kept = yaml.safe_load(original)
    for key in ("title", "solver", "loss", "ask"):
        assert doc[key] == kept[key]


@needs(P1)
def test_adam_keeps_hyper_parameters_and_precision():
    original, text = P1.read_text(), variant_text(P1, 4)
    for key in ("lr", "beta1", "beta2", "eps", "t"):
        assert float(yaml.safe_load(text)[key]) == float(yaml.safe_load(original)[key])
    for key in ("W", "grad", "V", "S"):
        old, new = value_tokens(original, key), value_tokens(text, key)
        assert len(new) == len(old) and old != new
        assert all(decimals(n) == 2 and np.sign(float(n)) == np.sign(float(o)) for o, n in zip(old, new, strict=True)), key


# ------------------------------------------------------ loads and solves
@pytest.mark.parametrize("seed", [0, 5, 42])
def test_lstm_variant_matches_a_plain_lstm(seed, tmp_path):
    text = variant_text(P4, seed)
    problem = solved(text, tmp_path)
    assert problem["id"] == f"p4-v{seed}"
    expected = plain_lstm(yaml.safe_load(text))
    for q in ("h[1]", "h[2]"):
        assert np.allclose(problem["quantities"][q], expected[q], rtol=1e-12, atol=1e-14), q
    assert problem["quantities"]["mse"] == pytest.approx(expected["mse"], rel=1e-12)


@needs(P1)
def test_adam_variant_matches_a_plain_adam(tmp_path):
    text = variant_text(P1, 9)
    problem = solved(text, tmp_path)
    expected = plain_adam(yaml.safe_load(text))
    for q in ("V[2]", "S[2]", "W[2]"):
        assert np.allclose(problem["quantities"][q], expected[q], rtol=1e-12, atol=1e-14), q


def test_library_problem_is_the_printed_file(tmp_path):
    base = load_problem(str(P4))
    text = variant_yaml(base, 3)
    path = tmp_path / "p4-v3.yaml"
    path.write_text(text)
    from_file, from_library = run(load_problem(str(path))), run(variant_problem(base, 3))
    assert from_library.problem_id == "p4-v3"
    for step in from_file:
        assert np.array_equal(np.asarray(step.value), np.asarray(from_library.value(step.name))), step.name


@needs(P3)
def test_claims_have_nothing_to_redraw():
    text = variant_text(P3, 4)
    doc, original = yaml.safe_load(text), yaml.safe_load(P3.read_text())
    assert doc["id"] == "p3-v4" and doc["variant"] == {"seed": 4, "of": "p3"}
    assert {k: v for k, v in doc.items() if k not in ("id", "variant")} == {k: v for k, v in original.items() if k != "id"}


# ------------------------------------------------------ never degenerate
def test_lstm_variants_are_not_degenerate():
    base = plain_lstm(yaml.safe_load(P4.read_text()))
    mistakes = {
        "bias dropped": dict(mistake="bias-dropped"),
        "sigmoid sign flipped": dict(mistake="sigmoid-sign-flipped"),
        "h without tanh": dict(mistake="h-without-tanh"),
    }
    base_wrong = {name: plain_lstm(yaml.safe_load(P4.read_text()), **kw) for name, kw in mistakes.items()}
    for seed in range(15):
        doc = yaml.safe_load(library_text(P4, seed))
        answers = plain_lstm(doc)
        asked = ("h[1]", "h[2]", "mse")
        for n, a in enumerate(asked):
            assert not close(answers[a], base[a]), (seed, a, "same as the original")
            assert np.all(np.abs(answers[a]) > ATOL), (seed, a, "a sign flip would pass")
            for b in asked[n + 1 :]:
                assert not close(answers[a], answers[b]), (seed, a, b)
        for name, kw in mistakes.items():
            wrong = plain_lstm(doc, **kw)
            for q in asked:
                if not close(base_wrong[name][q], base[q]):  # coincidences the original has are structural
                    assert not close(wrong[q], answers[q]), (seed, q, name)


@needs(P2)
def test_rnn_regime_is_never_on_a_knife_edge():
    original = yaml.safe_load(P2.read_text())
    for seed in range(30):
        doc = yaml.safe_load(library_text(P2, seed))
        for key in ("activation", "z", "steps", "target", "ask"):
            assert doc[key] == original[key] or float(doc[key]) == float(original[key])
        factor = abs(doc["W_h"]) * 0.25  # φ′(0) = σ′(0) = 1/4 for the centred sigmoid
        assert abs(factor - 1) > 0.05, (seed, doc["W_h"])


@needs(P1)
def test_adam_variants_have_no_near_zero_denominator():
    for seed in range(15):
        values = plain_adam(yaml.safe_load(library_text(P1, seed)))
        assert values["ratio"].max() <= 10, seed


def test_impossible_to_vary_is_one_clear_error(tmp_path):
    # Whatever the draw, mse stays below 1e-5: within this problem's absolute tolerance of the original.
    path = tmp_path / "tiny.yaml"
    path.write_text("solver: mse\npred: [0.001]\ny: [0.002]\ntolerance: {atol: 0.001}\n")
    result = run_cli("variant", str(path), "--seed", "1")
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "no usable variant with seed 1" in line and str(path) in line
    with pytest.raises(LstmhwError, match="no usable variant"):
        variant_problem(load_problem(str(path)), 1)


# ---------------------------------------------------------- the command
def test_count_and_out_write_one_file_per_seed(tmp_path):
    out = tmp_path / "variants"
    result = run_cli("variant", str(P4), "--seed", "10", "--count", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["p4-v10.yaml", "p4-v11.yaml", "p4-v12.yaml"]  # and no temporary files
    for seed in (10, 11, 12):
        assert (out / f"p4-v{seed}.yaml").read_text() == variant_text(P4, seed)
    checked = run_cli("check", str(out))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count("ok: ") == 3


def test_count_without_out_is_one_stream():
    result = run_cli("variant", str(P4), "--seed", "2", "--count", "2")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("---\n")
    assert first == variant_text(P4, 2) and second == variant_text(P4, 3)


def test_a_folder_varies_every_problem(tmp_path):
    result = run_cli("variant", str(PROBLEMS), "--seed", "5", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    stems = sorted(p.stem for p in PROBLEMS.glob("*.yaml"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{s}-v5.yaml" for s in stems]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["no/such.yaml", "--seed", "1"], "no such file"),
        ([str(P4), "--seed", "-1"], "--seed: -1, expected a whole number ≥ 0"),
        ([str(P4), "--seed", "1", "--count", "0"], "--count: 0"),
        ([str(P4), "--seed", "1", "--out", str(P4)], "is a file, expected a folder"),
    ],
)
def test_bad_input_is_one_line(args, fragment):
    result = run_cli("variant", *args)
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert fragment in line


def test_invalid_problem_is_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(P4.read_text().replace("b: {f: [0.2],", "b: {f: [abc],"))
    result = run_cli("variant", str(path), "--seed", "1")
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"lstmhw: {path}:7: b.f[0]")


# ---------------------------------------------------------- and grading
def test_a_submission_to_variant_n_is_graded_against_variant_n(tmp_path):
    answers = plain_lstm(yaml.safe_load(variant_text(P4, 7)))
    flat = {q: float(np.asarray(answers[q]).reshape(-1)[0]) for q in ("h[1]", "h[2]", "mse")}
    sub = tmp_path / "ana.yaml"
    sub.write_text(f"student: ana\nvariant: 7\nanswers: {json.dumps(flat)}\n")
    plain = tmp_path / "ben.yaml"  # the same answers, but for the original problem
    plain.write_text(f"student: ben\nanswers: {json.dumps(flat)}\n")
    result = run_cli("grade", str(P4), str(sub), str(plain), "--format", "json")
    assert result.returncode == 0, result.stderr
    scores = {s["student"]: (s["score"], s["max_score"]) for s in json.loads(result.stdout)["submissions"]}
    assert scores["ana"] == (3, 3)
    assert scores["ben"][0] < 3


# ------------------------------------------------ every registered solver
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_every_solver_has_a_variant_rule_and_its_template_varies(solver, tmp_path):
    path = tmp_path / f"{solver}.yaml"
    path.write_text(solver_module(solver).TEMPLATE, encoding="utf-8")
    base = load_problem(str(path))
    texts = [variant_yaml(base, seed) for seed in (0, 1, 2)]
    for seed, text in enumerate(texts):
        (tmp_path / f"v{seed}.yaml").write_text(text, encoding="utf-8")
        problem = load_problem(str(tmp_path / f"v{seed}.yaml"))
        assert problem.id == f"{base.id}-v{seed}" and problem.variant == {"seed": seed, "of": base.id}
        trace = run(problem)
        assert all(q in trace for q in problem.ask)
    redrawn = [k for k in solver_module(solver).REDRAW if k in yaml.safe_load(path.read_text())]
    if redrawn:
        assert len(set(texts)) == 3, "different seeds, different numbers"


def test_matrix_rnn_trajectory_varies(tmp_path):
    if "rnn-gradient" not in SOLVERS:
        pytest.skip("rnn-gradient not registered")
    path = tmp_path / "traj.yaml"
    path.write_text(
        "solver: rnn-gradient\nactivation: tanh\nsteps: 3\ntarget: 1.0e-2\n"
        "W_h: [[0.5, 1.2], [-0.3, 0.8]]\nW_x: [[1.0], [0.5]]\nx: [[1], [0], [-1]]\nh0: [0.1, -0.2]\n"
        "ask: [sigma_max, ratio]\n"
    )
    text = variant_yaml(load_problem(str(path)), 8)
    doc = yaml.safe_load(text)
    assert doc["x"][1] == [0] and doc["steps"] == 3 and doc["activation"] == "tanh"
    W = np.array(doc["W_h"])
    sigma = np.linalg.svd(W, compute_uv=False)[0]  # σ_max by SVD, independent of the solver
    assert run(variant_problem(load_problem(str(path)), 8)).value("sigma_max") == pytest.approx(sigma, rel=1e-12)
    assert abs(sigma * 1.0 - 1) > 0.05  # γ = sup tanh′ = 1: not on the knife edge
