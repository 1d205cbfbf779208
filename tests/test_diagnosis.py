"""Error carried forward and diagnosis (SPEC §4, issue 5).

Student answers with a mistake in them are made here by a plain, separate
implementation that makes the mistake by hand, never by the catalog's own
patches, so a wrong patch in the catalog cannot pass its own test.
"""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
from conftest import FIXTURES, PROBLEMS, run_cli
from reference import plain_lstm

from lstmhw.files import load_problems
from lstmhw.grading import Key, Options, grade_submission
from lstmhw.mistakes import GENERIC_IDS, catalog
from lstmhw.submission import Submission

P4 = str(PROBLEMS / "p4.yaml")


def grade(path: str, pid: str, answers: dict, **options) -> dict:
    key = Key(load_problems([path]), Options(**options))
    return grade_submission(key, Submission(file="s.yaml", student="s", answers={pid: answers})).problems[pid]


def named(result) -> set[str]:
    if not result.diagnosis:
        return set()
    return {result.diagnosis["mistake"], *result.diagnosis.get("alternatives", [])}


def random_lstm(rng: random.Random) -> dict:
    H, D, T = rng.randint(1, 3), rng.randint(1, 3), rng.randint(2, 3)
    mat = lambda r, c: [[round(rng.uniform(-2, 2), 2) for _ in range(c)] for _ in range(r)]
    vec = lambda n: [round(rng.uniform(-1, 1), 2) for _ in range(n)]
    return {
        "id": "q",
        "solver": "lstm-forward",
        "W": {g: mat(H, D) for g in "fioc"},
        "U": {g: mat(H, H) for g in "fioc"},
        "b": {g: vec(H) for g in "fioc"},
        "x": mat(T, D),
        "h0": vec(H),  # non-zero, so the recurrent term matters from step 1
        "c0": vec(H),
        "y": mat(T, H),
        "loss": {"reduction": rng.choice(["mean", "sum", "half-sum"])},
    }


LSTM_MISTAKES = [
    "sigmoid-sign-flipped",
    "tanh-for-gate",
    "sigmoid-for-candidate",
    "h-without-tanh",
    "recurrent-term-dropped",
    "bias-dropped",
    "f-i-swapped",
]


def _shows(wrong, right) -> bool:
    """The mistake moves the answer clearly beyond what 2-decimal hand rounding could."""
    a, b = np.asarray(wrong, dtype=float), np.asarray(right, dtype=float)
    return bool(np.any(np.abs(a - b) > 0.02 + 0.05 * np.abs(b)))


@pytest.mark.parametrize("mistake", LSTM_MISTAKES)
def test_every_lstm_mistake_is_named_back(mistake, tmp_path):
    rng = random.Random(mistake)
    named_back = 0
    for n in range(30):
        if named_back == 4:
            break
        p = random_lstm(rng)
        path = tmp_path / f"q{n}.yaml"
        path.write_text(json.dumps(p))
        right, wrong = plain_lstm(p), plain_lstm(p, mistake)
        last = f"h[{len(p['x'])}]"
        if not _shows(wrong[last], right[last]):
            continue  # this draw does not show the mistake
        # Only the final h: with no earlier answers, nothing can be carried forward,
        # so the whole chain with the mistake is what has to explain it.
        results = grade(str(path), "q", {last: wrong[last]})
        assert results[last].verdict == "incorrect"
        assert mistake in named(results[last]), (results[last].diagnosis, p)
        named_back += 1
    assert named_back == 4  # four random problems that show the mistake, each named back


def test_wrong_reduction_is_named_back(tmp_path):
    rng = random.Random(7)
    for n in range(6):
        p = random_lstm(rng)
        path = tmp_path / f"q{n}.yaml"
        path.write_text(json.dumps(p))
        answers = plain_lstm(p, "wrong-reduction")
        result = grade(str(path), "q", answers)["mse"]
        assert result.verdict == "incorrect"
        assert "wrong-reduction" in named(result)


def test_generic_sign_and_decimal_mistakes_are_named_back():
    exact = {"h[1]": 0.217415, "h[2]": -0.189882}
    results = grade(P4, "p4", {"h[1]": exact["h[1]"] * 10, "h[2]": -exact["h[2]"]})
    assert named(results["h[1]"]) == {"decimal-shift"}
    assert "10^1" in results["h[1]"].diagnosis["message"]
    assert named(results["h[2]"]) == {"sign-flipped"}


def test_catalog_ids_are_the_specs():
    ids = {m.id for m in catalog()} | set(GENERIC_IDS)
    spec = {
        "sigmoid-sign-flipped", "tanh-for-gate", "sigmoid-for-candidate", "h-without-tanh",
        "recurrent-term-dropped", "bias-dropped", "f-i-swapped", "wrong-reduction",
        "sign-flipped", "decimal-shift", "transposed",
    }
    assert spec <= ids


# --------------------------------------------------------------- never diagnose what is right
@pytest.mark.parametrize("seed", range(6))
def test_correct_and_hand_rounded_answers_are_never_diagnosed(seed, tmp_path):
    rng = random.Random(1000 + seed)
    p = random_lstm(rng)
    path = tmp_path / "q.yaml"
    path.write_text(json.dumps(p))
    exact = plain_lstm(p)
    for answers in (exact, {k: np.round(v, 4).tolist() for k, v in exact.items()}):
        results = grade(str(path), "q", answers)
        for q, r in results.items():
            assert r.verdict == "correct", (q, r)
            assert r.diagnosis is None


# --------------------------------------------------------------- error carried forward
def test_seed_000_is_diagnosed_and_its_mse_carried_forward():
    results = grade(P4, "p4", {"h[1]": 0.013, "h[2]": 0.005, "mse": 0.435})
    assert results["h[1]"].verdict == "incorrect"
    assert results["h[1]"].diagnosis["mistake"] == "sigmoid-sign-flipped"
    assert "1/(1+e^z)" in results["h[1]"].diagnosis["message"]
    assert results["h[2]"].verdict == "incorrect"
    assert results["h[2]"].diagnosis["mistake"] == "sigmoid-sign-flipped"
    mse = results["mse"]
    assert mse.verdict == "correct-ecf" and mse.points == 1
    # the details show which of the student's values were used: ½[(0.013−0.5)² + (0.005−0.8)²]
    assert mse.ecf["from"] == {"h[1]": [0.013], "h[2]": [0.005]}
    assert mse.ecf["expected"] == pytest.approx(((0.013 - 0.5) ** 2 + (0.005 - 0.8) ** 2) / 2)


def test_an_inconsistent_later_answer_gets_no_ecf():
    results = grade(P4, "p4", {"h[1]": 0.013, "h[2]": 0.005, "mse": 0.30})
    assert results["mse"].verdict == "incorrect" and results["mse"].points == 0


def test_ecf_credit_is_taken_from_the_problem(write):
    path = write("p4.yaml", (PROBLEMS / "p4.yaml").read_text() + "ecf_credit: 0.5\n")
    results = grade(path, "p4", {"h[1]": 0.013, "h[2]": 0.005, "mse": 0.435})
    assert results["mse"].verdict == "correct-ecf" and results["mse"].points == 0.5


def test_ecf_recomputes_a_step_from_an_earlier_wrong_answer():
    # h[2] from a wrong h[1] = 0.3 (with the key's c[1]), worked by hand:
    sig = lambda z: 1 / (1 + math.exp(-z))
    h1, c1 = 0.3, 0.22605163  # c[1] from the key
    f = sig(0.5 - 2 + 0.5 * h1 + 0.2)
    i = sig(-0.5 + 2 * h1 - 0.1)
    o = sig(1.5 - h1 + 0.8)
    ct = math.tanh(0.5 - 2 + 1.5 * h1 + 0.5)
    h2 = o * math.tanh(f * c1 + i * ct)
    results = grade(P4, "p4", {"h[1]": 0.3, "h[2]": round(h2, 4)})
    assert results["h[1]"].verdict == "incorrect"
    assert results["h[2]"].verdict == "correct-ecf"
    assert results["h[2]"].ecf["from"] == {"h[1]": [0.3]}


def test_cli_table_details_carry_verdicts_and_diagnoses():
    result = run_cli("grade", P4, str(FIXTURES / "seeds" / "student000.yaml"), "--details")
    assert result.returncode == 0
    assert "sigmoid" in result.stdout or "1/(1+e^z)" in result.stdout
    assert "correct-ecf" in result.stdout


# --------------------------------------------------------------- Adam, by hand
def plain_adam(p: dict, mistake: str | None = None) -> dict:
    """One Adam step k = t, element by element, with a mistake made by hand (Kingma & Ba, Alg. 1)."""
    b1, b2 = p["beta1"], p["beta2"]
    if mistake == "betas-swapped":
        b1, b2 = b2, b1
    k = p["t"]
    power = k - 1 if mistake == "bias-correction-wrong-t" else k
    V0, S0 = p["V"], p["S"]
    if mistake == "moments-swapped":
        V0, S0 = S0, V0
    out = {"V": [], "S": [], "W": []}
    for r, row in enumerate(p["grad"]):
        V, S, W = [], [], []
        for c, g in enumerate(row):
            v = b1 * V0[r][c] + (1 - b1) * g
            s = b2 * S0[r][c] + (1 - b2) * (g if mistake == "grad-not-squared" else g * g)
            v_hat = v if mistake == "no-bias-correction" else v / (1 - b1**power)
            s_hat = s if mistake == "no-bias-correction" else s / (1 - b2**power)
            # g instead of g² can make S negative: no real square root, as on paper
            root = s_hat if mistake == "missing-sqrt" else (math.sqrt(s_hat) if s_hat >= 0 else math.nan)
            V.append(v)
            S.append(s)
            W.append(p["W"][r][c] - p["lr"] * v_hat / (root + p["eps"]))
        out["V"].append(V)
        out["S"].append(S)
        out["W"].append(W)
    return {f"{name}[{k}]": value for name, value in out.items()}


def random_adam(rng: random.Random, shape=(2, 3)) -> dict:
    mat = lambda lo, hi: [[round(rng.uniform(lo, hi), 2) for _ in range(shape[1])] for _ in range(shape[0])]
    t = rng.randint(2, 6)
    return {
        # β2 below 0.999 and a large lr, so that a mistake moves the answer beyond the tolerance
        "id": "a", "solver": "adam", "lr": rng.choice([0.1, 0.3, 0.5]), "beta1": rng.choice([0.8, 0.9]),
        "beta2": rng.choice([0.9, 0.99]),
        "eps": 1e-8, "t": t, "W": mat(-1, 1), "grad": mat(-1, 1), "V": mat(-0.3, 0.3), "S": mat(0.01, 0.2),
        "ask": [f"V[{t}]", f"S[{t}]", f"W[{t}]"],
    }


ADAM_MISTAKES = {
    # mistake -> the quantity that shows it
    "no-bias-correction": "W",
    "bias-correction-wrong-t": "W",
    "missing-sqrt": "W",
    "grad-not-squared": "S",
    "betas-swapped": "V",
    "moments-swapped": "V",
}


@pytest.mark.parametrize("mistake, shows_in", ADAM_MISTAKES.items())
def test_every_adam_mistake_is_named_back(mistake, shows_in, tmp_path):
    pytest.importorskip("lstmhw.solvers.adam")
    rng = random.Random(mistake)
    named_back = 0
    for n in range(30):
        if named_back == 3:
            break
        p = random_adam(rng)
        path = tmp_path / f"a{n}.yaml"
        path.write_text(json.dumps(p))
        q = f"{shows_in}[{p['t']}]"
        right, wrong = plain_adam(p), plain_adam(p, mistake)
        if np.isnan(wrong[q]).any() or not _shows(wrong[q], right[q]):
            continue  # this draw does not show the mistake (or gives no number at all)
        result = grade(str(path), "a", {q: wrong[q]})[q]
        assert result.verdict == "incorrect"
        assert mistake in named(result), (result.diagnosis, p)
        named_back += 1
    assert named_back == 3


def test_a_misplaced_decimal_is_named_on_its_element():
    """Seed 000's S[2]: 0.699 for 0.0699 in a 2×3 answer: 5 of 6 elements, the sixth named."""
    pytest.importorskip("lstmhw.solvers.adam")
    answer = [[0.011, 0.699, 0.110], [0.141, 0.170, 0.021]]
    result = grade(str(PROBLEMS / "p1.yaml"), "p1", {"S[2]": answer})["S[2]"]
    assert result.verdict == "incorrect"
    assert result.points == pytest.approx(5 / 6)
    wrong = [e for e in result.elements if e["verdict"] == "incorrect"]
    assert [e["index"] for e in wrong] == [[0, 1]]
    assert wrong[0]["diagnosis"]["mistake"] == "decimal-shift"
    assert result.diagnosis["mistake"] == "decimal-shift"


def test_transposed_answers_are_named(tmp_path):
    pytest.importorskip("lstmhw.solvers.adam")
    rng = random.Random(3)
    square = random_adam(rng, shape=(2, 2))
    path = tmp_path / "sq.yaml"
    path.write_text(json.dumps(square))
    q = f"W[{square['t']}]"
    W = plain_adam(square)[q]
    result = grade(str(path), "a", {q: [list(col) for col in zip(*W, strict=True)]})[q]
    assert result.verdict == "incorrect" and "transposed" in named(result)
    # a 2×3 answer given as 3×2: the wrong shape, but recognisably the transpose
    V = plain_adam({**random_adam(random.Random(4))})
    p = random_adam(random.Random(4))
    path = tmp_path / "rect.yaml"
    path.write_text(json.dumps(p))
    q = f"V[{p['t']}]"
    result = grade(str(path), "a", {q: [list(col) for col in zip(*V[q], strict=True)]})[q]
    assert result.verdict == "incorrect" and named(result) == {"transposed"} and result.points == 0


# --------------------------------------------------------------- RNN gradient, closed forms
def test_rnn_mistakes_are_named_back(tmp_path):
    pytest.importorskip("lstmhw.solvers.rnn_gradient")
    rng = random.Random(11)
    for n in range(4):
        steps, target = rng.choice([20, 50, 100, 200]), rng.choice([1e-2, 1e-3, 1e-4])
        path = tmp_path / f"r{n}.yaml"
        path.write_text(json.dumps({
            "id": "r", "solver": "rnn-gradient", "activation": "sigmoid-centered", "z": 0,
            "steps": steps, "target": target, "ask": ["phi_prime", "critical_W", "W_vanish", "W_explode"],
        }))
        # σ′(0) taken as 1/2: critical |w| = 1/φ′ = 2 instead of 4
        result = grade(str(path), "r", {"critical_W": 2.0})["critical_W"]
        assert "derivative-at-zero-wrong" in named(result), result.diagnosis
        # the exponent's sign inverted: 4·target^(−1/steps), which is really W_explode
        result = grade(str(path), "r", {"W_vanish": 4 * target ** (-1 / steps)})["W_vanish"]
        assert "target-exponent-inverted" in named(result), result.diagnosis


def test_of_a_mistakes_variants_the_one_written_is_named(tmp_path):
    # φ′ = σ′(0) = 1/4; the mistake's variants take it as 1/2 or as 1. "1", a whole number, is within
    # half a unit of 1/2 too, so both match: the message must be the one the student wrote
    for text in ("1", "1.0", "0.5"):
        path = tmp_path / "s.yaml"
        path.write_text(f"answers:\n  p2: {{phi_prime: {text}}}\n")
        result = run_cli("grade", str(PROBLEMS / "p2.yaml"), str(path), "--format", "json")
        found = json.loads(result.stdout)["submissions"][0]["problems"]["p2"]["phi_prime"]["diagnosis"]
        assert found["mistake"] == "derivative-at-zero-wrong", text
        taken = "1/2" if text == "0.5" else "1"
        assert f"taken as {taken} (" in found["message"], (text, found["message"])


def test_every_catalog_mistake_has_an_injection_test():
    from test_clip_grad import MISTAKE_PROBLEMS as CLIP_MISTAKES  # injected in tests/test_clip_grad.py
    from test_gru_forward import GRU_MISTAKES  # injected in tests/test_gru_forward.py
    from test_lstm_backward import BACKWARD_MISTAKES  # each made by hand and named back there
    from test_rnn_bptt import MISTAKE_SETUPS

    tested = set(LSTM_MISTAKES) | set(ADAM_MISTAKES) | {"wrong-reduction", "derivative-at-zero-wrong", "target-exponent-inverted"}
    tested |= set(GRU_MISTAKES) | set(CLIP_MISTAKES)
    tested |= set(BACKWARD_MISTAKES) | {m.split("/")[0] for m in MISTAKE_SETUPS}
    # made by hand and named back in tests/test_momentum.py, test_rmsprop.py and test_adagrad.py
    tested |= {"momentum-missing-one-minus-beta", "momentum-convention-swapped", "nesterov-lookahead-missed",
               "rmsprop-missing-sqrt", "rmsprop-grad-not-squared", "eps-inside-sqrt", "adagrad-not-accumulated"}
    assert {m.id for m in catalog()} <= tested


def test_two_mistakes_with_the_same_value_are_both_named(write):
    """g = 0, V = 0.9, S = 0.999: β1↔β2 gives 0.999·0.9 and V↔S gives 0.9·0.999 for V[1]."""
    pytest.importorskip("lstmhw.solvers.adam")
    path = write("tie.yaml", "id: tie\nsolver: adam\nlr: 0.1\nbeta1: 0.9\nbeta2: 0.999\neps: 1.0e-8\nt: 1\n"
                 "W: 0.5\ngrad: 0\nV: 0.9\nS: 0.999\nask: ['V[1]']\n")
    result = grade(path, "tie", {"V[1]": 0.8991})["V[1]"]  # the key is 0.9·0.9 = 0.81
    assert result.verdict == "incorrect"
    assert named(result) == {"betas-swapped", "moments-swapped"}
    assert "cannot tell which" in result.diagnosis["message"]
