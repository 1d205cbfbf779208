"""Every value form of SPEC §4.1, read as written, and nothing dropped silently.

Expected values are computed by hand from the bundled problems:
p1 S[2] = β2·S[1] + (1 − β2)·g² = 0.999·S[1] + 0.001·g² =
[[0.0105984, 0.0699304, 0.1098916], [0.1406344, 0.1698496, 0.0210001]];
p2 φ'(0) = σ'(0) = 1/4; p3's claims a–e are false, false, true, false, true;
p4 h[2] = −0.18988.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import PROBLEMS, invoke

S2_ROWS = "0.0106 0.0699 0.1099; 0.1406 0.1698 0.0210"


def grade(tmp_path: Path, text: str, key: Path = PROBLEMS) -> dict:
    path = tmp_path / "student.yaml"
    path.write_text(text, encoding="utf-8")
    result = invoke("grade", str(key), str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["submissions"]
    return row


def test_fractions_claim_words_and_reasons(tmp_path):
    row = grade(
        tmp_path,
        "answers:\n"
        "  p2: {phi_prime: 1/4}\n"
        '  p3: {a: 0, b: "False, because the biases only shift the gates", c: 1, d: "no", e: "T"}\n',
    )
    assert row["problems"]["p2"]["phi_prime"]["verdict"] == "correct"
    p3 = row["problems"]["p3"]
    assert {q: r["verdict"] for q, r in p3.items()} == dict.fromkeys("abcde", "correct")
    assert p3["b"]["explanation"] == "because the biases only shift the gates"
    assert "explanation" not in p3["a"]


def test_a_claim_letter_with_a_mark_after_it_starts_a_sentence_too(tmp_path):
    # p3's claims are false, false, true, false, true: the letters as a TA reads them
    row = grade(
        tmp_path,
        'answers:\n  p3: {a: "F, because the bias still moves h", b: "F.", c: "T.", d: "N, they need not", e: "Y."}\n',
    )
    p3 = row["problems"]["p3"]
    assert {q: r["verdict"] for q, r in p3.items()} == dict.fromkeys("abcde", "correct")
    assert p3["a"]["explanation"] == "because the bias still moves h" and "explanation" not in p3["b"]
    # a letter without a mark is a word of a sentence, not a claim ("N is the number of ..."): invalid
    row = grade(tmp_path, 'answers:\n  p3: {d: "N is the hidden size", b: "F(x) is bounded"}\n')
    assert row["problems"]["p3"]["d"]["verdict"] == "invalid" and row["problems"]["p3"]["b"]["verdict"] == "invalid"


def test_a_wrong_fraction_is_wrong_and_a_zero_denominator_is_invalid(tmp_path):
    row = grade(tmp_path, "answers:\n  p2: {phi_prime: 1/3, critical_W: 4/0}\n")
    p2 = row["problems"]["p2"]
    assert p2["phi_prime"]["verdict"] == "incorrect"
    assert p2["critical_W"]["verdict"] == "invalid"


def test_matlab_rows_as_text_and_inside_a_yaml_list(tmp_path):
    for written in (f'"{S2_ROWS}"', '["0.0106 0.0699 0.1099", "0.1406 0.1698 0.0210"]', f'"[{S2_ROWS}]"'):
        row = grade(tmp_path, f'answers:\n  p1: {{"S[2]": {written}}}\n')
        assert row["problems"]["p1"]["S[2]"]["verdict"] == "correct", written


def test_one_number_in_brackets_as_text_is_a_one_element_row(tmp_path):
    # p4's h[1] = 0.21741, h[2] = −0.18988 (H = 1): "[0.2174]" is how MATLAB prints the vector;
    # "[0.22]" keeps its two decimals (rule b: 0.22 is 0.2174 to two decimals, 1.2 % off)
    for h1, h2 in (("[0.2174]", "[-0.1899]"), ("[0.22]", "[[-0.19]]")):
        row = grade(tmp_path, f'answers:\n  p4: {{"h[1]": "{h1}", "h[2]": "{h2}"}}\n')
        assert row["problems"]["p4"]["h[1]"]["verdict"] == "correct", h1
        assert row["problems"]["p4"]["h[2]"]["verdict"] == "correct", h2
    # brackets round a word are still not a number
    row = grade(tmp_path, 'answers:\n  p4: {"h[1]": "[h]"}\n')
    assert row["problems"]["p4"]["h[1]"]["verdict"] == "invalid"


def test_written_decimals_are_kept_through_matlab_rows(tmp_path):
    # 0.011 is 0.0105984 to the 3 decimals written (rule b), though 3.8 % off (so not rule a):
    # correct only if the text's decimals reach the grader; 0.012 is not 0.0105984 to 3 decimals
    rest = "0.0699 0.1099; 0.1406 0.1698 0.0210"
    three = grade(tmp_path, f'answers:\n  p1: {{"S[2]": "0.011 {rest}"}}\n')
    assert three["problems"]["p1"]["S[2]"]["verdict"] == "correct"
    wrong = grade(tmp_path, f'answers:\n  p1: {{"S[2]": "0.012 {rest}"}}\n')
    elements = wrong["problems"]["p1"]["S[2]"]["elements"]
    assert [e["verdict"] for e in elements] == ["incorrect"] + ["correct"] * 5


def test_a_flat_list_is_read_row_by_row_and_the_report_says_so(tmp_path):
    row = grade(tmp_path, 'answers:\n  p1: {"S[2]": [0.0106, 0.0699, 0.1099, 0.1406, 0.1698, 0.0210]}\n')
    s2 = row["problems"]["p1"]["S[2]"]
    assert s2["verdict"] == "correct" and "row by row" in s2["note"]
    column_order = grade(tmp_path, 'answers:\n  p1: {"S[2]": [0.0106, 0.1406, 0.0699, 0.1698, 0.1099, 0.0210]}\n')
    assert column_order["problems"]["p1"]["S[2]"]["verdict"] == "incorrect"


def test_unicode_minus_and_problem_ids_in_any_case(tmp_path):
    row = grade(tmp_path, 'answers:\n  P4: {"h[2]": "−0.1899"}\n')
    assert row["problems"]["p4"]["h[2]"]["verdict"] == "correct"
    assert "ignored" not in row


def test_a_quantity_answered_twice_is_invalid_alone(tmp_path):
    row = grade(tmp_path, "answers:\n  p3:\n    a: false\n    b: false\n    a: true\n  p2: {phi_prime: 0.25}\n")
    a = row["problems"]["p3"]["a"]
    assert a["verdict"] == "invalid" and a["reason"] == "answered twice: false, then true"
    assert row["problems"]["p3"]["b"]["verdict"] == "correct"
    assert row["problems"]["p2"]["phi_prime"]["verdict"] == "correct"
    assert row["score"] == 2


def test_the_same_problem_twice_in_two_cases_is_one_problem(tmp_path):
    row = grade(tmp_path, 'answers:\n  p4: {"h[1]": 0.2174}\n  P4: {"h[2]": -0.1899}\n')
    p4 = row["problems"]["p4"]
    assert p4["h[1]"]["verdict"] == p4["h[2]"]["verdict"] == "correct"


def test_nothing_is_dropped_silently(tmp_path):
    row = grade(tmp_path, 'answers:\n  p4: {"h[1]": 0.2174, msee: 0.53, zzz: 1}\n  p7: {x: 1}\n')
    assert {"problem": "p4", "name": "msee", "did_you_mean": "mse"} in row["ignored"]
    assert {"problem": "p4", "name": "zzz", "did_you_mean": None} in row["ignored"]
    assert {"problem": "p7", "name": None, "did_you_mean": "p4"} in row["ignored"] or any(
        item["problem"] == "p7" and item["name"] is None for item in row["ignored"]
    )
    table = " ".join(invoke("grade", str(PROBLEMS), str(tmp_path / "student.yaml"), "--details").stdout.split())
    assert "'msee' matches nothing asked" in table and "did you mean 'mse'" in table


def test_check_against_a_key_warns_and_exits_non_zero(tmp_path):
    path = tmp_path / "student.yaml"
    path.write_text('answers:\n  p4: {"h[1]": 0.2174, "h[2]": abc, msee: 0.53}\n')
    result = invoke("check", str(PROBLEMS / "p4.yaml"), str(path))
    assert result.exit_code == 1
    assert "msee" in result.stderr and "did you mean 'mse'" in result.stderr
    assert "p4.h[2]: 'abc'" in result.stderr and "no answer for mse" in result.stderr
    assert "correct" not in result.output  # check never says what is right
    path.write_text('answers:\n  p4: {"h[1]": 0.9, "h[2]": 0.9, mse: 0.9}\n')  # all wrong, all readable
    assert invoke("check", str(PROBLEMS / "p4.yaml"), str(path)).exit_code == 0


def test_a_problem_in_two_blocks_keeps_its_digits_and_its_repeats(tmp_path):
    # review findings: a key repeated inside the second block was exit 3; digits written there were lost
    row = grade(tmp_path, 'answers:\n  p4:\n    "h[1]": 0.2174\n  p4:\n    "h[2]": -0.19\n    "h[2]": -0.18\n')
    assert row["problems"]["p4"]["h[1]"]["verdict"] == "correct"
    assert row["problems"]["p4"]["h[2]"]["reason"] == "answered twice: -0.19, then -0.18"
    # 0.220 is written to 3 decimals: not 0.2174 rounded, and 1.2 % off
    row = grade(tmp_path, 'answers:\n  p4: {"h[2]": -0.1899}\n  p4: {"h[1]": 0.220}\n')
    assert row["problems"]["p4"]["h[1]"]["verdict"] == "incorrect"
    row = grade(tmp_path, 'answers:\n  p4:\n    "h[1]": 0.1\n    "h[1]": 0.2\n  P4:\n    "h[1]": 0.3\n')
    assert row["problems"]["p4"]["h[1]"]["reason"] == "answered 3 times: 0.1, then 0.2, then 0.3"


def test_the_same_number_written_twice_is_one_answer(tmp_path):
    row = grade(tmp_path, 'answers:\n  p4:\n    "h[1]": 0.2174\n    h1: 0.2174\n')
    assert row["problems"]["p4"]["h[1]"]["verdict"] == "correct"


def test_an_invalid_word_does_not_show_the_key(tmp_path):
    key = tmp_path / "p2.yaml"
    key.write_text((PROBLEMS / "p2.yaml").read_text().replace("ask: [phi_prime, critical_W, W_vanish, W_explode]", "ask: [regime]"))
    row = grade(tmp_path, "answers:\n  regime: 5\n", key=key)
    assert row["problems"]["p2"]["regime"]["verdict"] == "invalid"
    assert "vanishing" not in row["problems"]["p2"]["regime"]["reason"]
