"""SPEC §4.2: verdicts a careful human would sign, each rule from hand-computed expectations.

p4's key (SPEC §5): h[1] = 0.217415, h[2] = -0.189882, mse = 0.529861.
"""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
from conftest import PROBLEMS, run_cli

P1, P3, P4 = (str(PROBLEMS / f"p{n}.yaml") for n in (1, 3, 4))


def graded(tmp_path, key, answers_yaml: str, *args) -> dict:
    """Grade one submission written as this YAML text (numbers keep their written digits)."""
    path = tmp_path / "s.yaml"
    path.write_text("student: s\nanswers:\n" + answers_yaml, encoding="utf-8")
    result = run_cli("grade", key, str(path), "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["submissions"][0]["problems"]


def verdicts(problems: dict, pid: str) -> dict:
    return {q: r["verdict"] for q, r in problems[pid].items()}


# ---------------------------------------------------------------- (a) and (b)
@pytest.mark.parametrize(
    "h1, verdict",
    [
        ("0.2174", "correct"),  # (a): within 1 %
        ("0.22", "correct"),  # (b): 0.217415 rounded to 2 decimals, two figures shown
        ("0.2", "incorrect"),  # (b) needs two figures of 0.217; 0.2 shows one
        ("0.2211", "incorrect"),  # 1.7 % off, and no rounding of 4 decimals explains it (h = o⊙c)
        # |0.215 − 0.217415| = 0.002415 > 1 % (0.002174); 0.217415 to 3 decimals is 0.217; the paper
        # chains give 0.23, 0.217 and 0.2173: no rule credits it
        ("0.215", "incorrect"),
    ],
)
def test_rules_a_and_b_on_h1(tmp_path, h1, verdict):
    problems = graded(tmp_path, P4, f'  "h[1]": {h1}\n  "h[2]": -0.1899\n  mse: 0.5299\n')
    assert problems["p4"]["h[1]"]["verdict"] == verdict, problems["p4"]["h[1]"]


def test_the_wrong_h_without_tanh_is_named_not_credited(tmp_path):
    # h = o⊙c with no tanh: o[1] = σ(3.8) = 0.97812, c[1] = 0.22605 → 0.22111 (by hand), 1.7 % off the key
    h1 = graded(tmp_path, P4, '  "h[1]": 0.2211\n')["p4"]["h[1]"]
    assert h1["verdict"] == "incorrect" and h1["diagnosis"]["mistake"] == "h-without-tanh"


# ---------------------------------------------------------------- small quantities: no absolute tolerance
SMALL_ADAM = """\
id: s3
solver: adam
lr: 0.1
t: 1
W: [[0.5, -0.2], [0.1, 0.3]]
grads: [[[0.01, 0.01], [0.005, 0.02]], [[0.01, 0.01], [0.005, 0.02]], [[0.01, 0.01], [0.005, 0.02]]]
ask: ["S[3]"]
"""


def test_zero_for_a_tiny_second_moment_is_incorrect(tmp_path):
    # S[3] = (1 − β2)(1 + β2 + β2²)·g² = 0.001·2.997001·g²: 2.997e-07, 2.997e-07, 7.4925e-08, 1.1988e-06 (by hand)
    key = tmp_path / "s3.yaml"
    key.write_text(SMALL_ADAM, encoding="utf-8")
    zero = graded(tmp_path, str(key), '  "S[3]": [[0, 0], [0, 0]]\n')["s3"]["S[3]"]
    assert zero["verdict"] == "incorrect" and zero["points"] == 0
    right = graded(tmp_path, str(key), '  "S[3]": [[2.997e-07, 2.997e-07], [7.49e-08, 1.199e-06]]\n')["s3"]["S[3]"]
    assert right["verdict"] == "correct"
    # (b) to the decimals written: 0.00000030 is 2.997e-07 to 8 decimals (two figures shown); 0.0000003 is one figure
    shown = graded(tmp_path, str(key), '  "S[3]": [[0.00000030, 0.00000030], [0.000000075, 0.0000012]]\n')["s3"]["S[3]"]
    assert shown["verdict"] == "correct"
    coarse = graded(tmp_path, str(key), '  "S[3]": [[0.0000003, 0.0000003], [0.00000007, 0.000001]]\n')["s3"]["S[3]"]
    assert coarse["verdict"] == "incorrect"


def test_grad_not_squared_on_p1_is_incorrect_and_named(tmp_path):
    # S[2] = β2·S[1] + (1 − β2)·g with g unsquared, by hand: 0.999·S + 0.001·g
    S = [[0.01, 0.07, 0.11], [0.14, 0.17, 0.02]]
    g = [[0.78, 0.02, 0.04], [-0.88, -0.14, 1.01]]
    wrong = [[0.999 * s + 0.001 * gv for s, gv in zip(rs, rg, strict=True)] for rs, rg in zip(S, g, strict=True)]
    text = "[" + ", ".join("[" + ", ".join(f"{v:.6f}" for v in row) + "]" for row in wrong) + "]"
    s2 = graded(tmp_path, P1, f'  p1:\n    "S[2]": {text}\n')["p1"]["S[2]"]
    assert s2["verdict"] == "incorrect"
    assert s2["diagnosis"]["mistake"] == "grad-not-squared" or "grad-not-squared" in s2["diagnosis"].get("alternatives", [])


# ---------------------------------------------------------------- (c) the chain as on paper
def test_every_value_rounded_to_two_decimals_tanh_included_is_correct(tmp_path):
    # by hand, 2 decimals, two figures at least: z_f = 1.2, f = 0.77, z_i = −1.1, i = 0.25, z_o = 3.8, o = 0.98,
    # z_c = 1.5, c̃ = 0.91, c[1] = 0.77·0 + 0.25·0.91 = 0.23 (0.2275), tanh(0.23) = 0.23, h[1] = 0.98·0.23 = 0.23 (0.2254);
    # t = 2 likewise gives c[2] = −0.22, tanh(c[2]) = −0.22, o[2] = 0.89, h[2] = −0.20 (−0.1958)
    problems = graded(tmp_path, P4, '  "h[1]": 0.23\n  "h[2]": -0.20\n')
    assert problems["p4"]["h[1]"]["verdict"] == "correct"
    assert problems["p4"]["h[2]"]["verdict"] == "correct"
    assert problems["p4"]["h[1]"].get("diagnosis") is None and problems["p4"]["h[2]"].get("diagnosis") is None


def test_one_figure_fewer_is_not_the_paper_chain(tmp_path):
    # -0.2 (one decimal) shows one significant figure: neither (b) nor (c); right at its own precision,
    # so it is told so rather than blamed on a mistake
    h2 = graded(tmp_path, P4, '  "h[2]": -0.2\n')["p4"]["h[2]"]
    assert h2["verdict"] == "incorrect" and h2.get("diagnosis") is None
    assert "two significant figures" in h2["reason"]


# ---------------------------------------------------------------- the seeds, as before
def test_seed_000_and_002_are_graded_as_before(tmp_path):
    seeds = PROBLEMS.parent / "tests" / "fixtures" / "seeds"
    result = run_cli("grade", str(PROBLEMS), str(seeds / "student000.yaml"), str(seeds / "abuitano.yaml"), "--format", "json")
    assert result.returncode == 0, result.stderr
    by_student = {s["student"]: s["problems"] for s in json.loads(result.stdout)["submissions"]}
    p4 = by_student["student000"]["p4"]
    assert p4["h[1]"]["diagnosis"]["mistake"] == "sigmoid-sign-flipped"
    assert p4["h[2]"]["diagnosis"]["mistake"] == "sigmoid-sign-flipped"
    assert p4["mse"]["verdict"] == "correct-ecf"
    s2 = by_student["student000"]["p1"]["S[2]"]
    assert s2["points"] == pytest.approx(5 / 6)
    shifted = [e for e in s2["elements"] if e["verdict"] == "incorrect"]
    assert len(shifted) == 1 and shifted[0]["diagnosis"]["mistake"] == "decimal-shift"
    assert by_student["student000"]["p2"]["critical_W"]["verdict"] == "correct"
    assert all(r["verdict"] == "correct" for r in by_student["abuitano"]["p4"].values())
    assert all(r["verdict"] == "correct" for r in by_student["abuitano"]["p3"].values())


# ---------------------------------------------------------------- ECF never from trivial answers
def test_no_error_carried_forward_from_zeros(tmp_path):
    # h[1] = h[2] = 0: the mse "from them" is ½(0.5² + 0.8²) = 0.445 (by hand) — but zeros are no work to carry
    problems = graded(tmp_path, P4, '  "h[1]": 0\n  "h[2]": 0\n  mse: 0.445\n')
    assert problems["p4"]["mse"]["verdict"] == "incorrect"
    worked = graded(tmp_path, P4, '  "h[1]": 0.1\n  "h[2]": 0.1\n  mse: 0.325\n')  # ½(0.4² + 0.7²) = 0.325
    assert worked["p4"]["mse"]["verdict"] == "correct-ecf"


# ---------------------------------------------------------------- claims
def test_a_wrong_claim_is_misjudged_never_an_arithmetic_mistake(tmp_path):
    problems = graded(tmp_path, P3, "  p3: {a: true, b: true, c: false, d: true, e: false}\n")
    for label, result in problems["p3"].items():
        assert result["verdict"] == "incorrect"
        assert result["diagnosis"]["mistake"] == "claim-misjudged", (label, result)
    assert "not a softmax" in problems["p3"]["d"]["diagnosis"]["message"]
    assert "1.715" in problems["p3"]["d"]["diagnosis"]["message"]  # f + i + o for the given LSTM, x = 0


# ---------------------------------------------------------------- hostile answers, every format
HOSTILE_VALUES = ["[1, abc]", "[[]]", "[0x10]", "[.inf]", '["0.1 0.2; 0.3 0.4"]', ".nan", "1e999", "{a: 1}", "[[1, 2], [3]]"]


@pytest.mark.parametrize("args", [(), ("--details",), ("--format", "json"), ("--format", "csv"),
                                  ("--format", "csv", "--details")])
def test_hostile_answers_are_invalid_alone_in_every_format(tmp_path, args):
    files = []
    for n, value in enumerate(HOSTILE_VALUES + ["[" + ", ".join(["0.1"] * 10_000) + "]"]):
        path = tmp_path / f"h{n}.yaml"
        path.write_text(f"student: h{n}\nanswers:\n  p4:\n    h[1]: {value}\n    h[2]: -0.1899\n", encoding="utf-8")
        files.append(str(path))
    result = run_cli("grade", P4, *files, *args)
    assert result.returncode == 0, result.stderr  # every file read and graded: nothing refused
    assert "internal error" not in result.stdout + result.stderr and "Traceback" not in result.stderr
    if args == ("--format", "json"):
        for row in json.loads(result.stdout)["submissions"]:
            assert row["status"] == "graded"
            assert row["problems"]["p4"]["h[1]"]["verdict"] == "invalid" and row["problems"]["p4"]["h[1]"]["reason"]
            assert row["problems"]["p4"]["h[2]"]["verdict"] == "correct"


def test_hostile_answers_in_gradescope_results(tmp_path):
    for n, value in enumerate(HOSTILE_VALUES):
        path = tmp_path / f"h{n}.yaml"
        path.write_text(f"student: h{n}\nanswers:\n  h[1]: {value}\n  h[2]: -0.1899\n", encoding="utf-8")
        result = run_cli("grade", P4, str(path), "--format", "gradescope")
        assert result.returncode == 0, (value, result.stderr)
        json.loads(result.stdout)
    out = tmp_path / "out"
    result = run_cli("grade", P4, *(str(tmp_path / f"h{n}.yaml") for n in range(len(HOSTILE_VALUES))),
                     "--format", "gradescope", "--out-dir", str(out))
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob("*/results.json"))) == len(HOSTILE_VALUES)


# ---------------------------------------------------------------- found in review
def test_an_exponent_too_long_for_any_float_is_one_invalid_answer(tmp_path):
    problems = graded(tmp_path, P4, '  "h[1]": "1e' + "9" * 400 + '"\n  "h[2]": -0.1899\n')
    assert problems["p4"]["h[1]"]["verdict"] == "invalid" and problems["p4"]["h[2]"]["verdict"] == "correct"


def test_no_ecf_for_a_copied_given_beside_zeros(tmp_path):
    # V[2] = 0 makes W[2] = W[1] exactly: a copy of the given W[1] "follows" from the zeros, and earns nothing
    text = ('  p1:\n    V[2]: [[0, 0, 0], [0, 0, 0]]\n    S[2]: [[0.010598, 0.06993, 0.109892], [0.140634, 0.16985, 0.021]]\n'
            '    W[2]: [[-0.22, 0.33, 0.67], [0.49, -0.86, -0.90]]\n')
    w2 = graded(tmp_path, P1, text)["p1"]["W[2]"]
    assert w2["verdict"] == "incorrect" and not w2.get("ecf")
    assert all(e["verdict"] != "correct-ecf" for e in w2["elements"])  # elements near W[1] may be right, not carried


@pytest.mark.parametrize("answer", ["h[2]: 0.0", "h[2]: 1", "h[2]: 0.3", "h[2]: -0.3", "mse: 0.4", "mse: 0.05", "h[2]: 0"])
def test_a_one_figure_answer_alone_gets_no_guessed_mistake(tmp_path, answer):
    name = answer.split(":")[0]
    result = graded(tmp_path, P4, f'  "{name}": {answer.split(": ")[1]}\n')["p4"][name]
    assert result["verdict"] == "incorrect" and result.get("diagnosis") is None, result


# ----------------------------------------------------------------------------- could_match_rounded
def test_could_match_rounded_filters_only_what_cannot_match():
    """By hand: a chain of 2 decimals gives values on the 0.01 grid, so 0.2174 (4 decimals written)
    is 0.0026 from the nearest (0.22), far more than half a unit of its last digit (0.00005)."""
    from lstmhw.grading.verdicts import could_match_rounded

    one = np.array([True])
    assert not could_match_rounded(0.2174, 4.0, one, 2)
    assert not could_match_rounded(0.2174, 4.0, one, 3)  # 0.217 is 0.0004 away
    assert could_match_rounded(0.2174, 4.0, one, 4)
    assert could_match_rounded(0.2200, 4.0, one, 2)  # 0.22 written with two trailing zeros
    assert could_match_rounded(0.22, 2.0, one, 4)  # fewer decimals than the chain: anything near
    assert could_match_rounded(0.0047, 4.0, one, 2)  # below 10^(1-2): two significant figures, not the grid
    assert could_match_rounded(0.2174, math.nan, one, 2)  # precision unknown: cannot be told
    # Only the elements asked about count.
    matrix = np.array([[0.2174, 0.22]])
    assert not could_match_rounded(matrix, np.array([[4.0, 2.0]]), np.array([True, False]), 2)
    assert could_match_rounded(matrix, np.array([[4.0, 2.0]]), np.array([False, True]), 2)


def test_could_match_rounded_never_misses_a_match():
    """Against matches_paper itself: wherever an answer matches a value rounded as a chain rounds it
    (round_value), the filter must let that chain run. Answers are drawn near the rounded value and
    written with 0 to 7 decimals."""
    from lstmhw.grading.verdicts import could_match_rounded, matches_paper
    from lstmhw.trace import round_value

    rng = random.Random(7)
    one = np.array([True])
    matched = 0
    for _ in range(20000):
        x = rng.choice([1, -1]) * 10 ** rng.uniform(-5, 2)
        chain_decimals = rng.choice((2, 3, 4))
        c = round_value(x, chain_decimals)
        written = rng.randint(0, 7)
        a = round(c + rng.uniform(-1, 1) * 10.0 ** -rng.randint(1, 8), written)
        if matches_paper(a, float(written), c).all():
            matched += 1
            assert could_match_rounded(a, float(written), one, chain_decimals), (a, written, c, chain_decimals)
    assert matched > 1000  # the draw does reach matches
