"""The working (SPEC §4.4) and the charged-once rule (§4.2), from hand-made submissions.

Expected verdicts are the SPEC's own examples (seed 000 as the student wrote it) and
submissions made by hand with the plain LSTM of tests/reference.py, which shares no code
with lstmhw.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml
from conftest import FIXTURES, PROBLEMS, invoke
from reference import plain_lstm, scalars

SEEDS = FIXTURES / "seeds"
P4 = yaml.safe_load((PROBLEMS / "p4.yaml").read_text())



def _grade(key: Path, submission: Path, *extra: str) -> dict:
    result = invoke("grade", str(key), str(submission), "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)["submissions"]
    return row


def test_seed_000_working_first_wrong_step_and_charged_once():
    row = _grade(PROBLEMS, SEEDS / "student000_working.yaml")
    p4, working = row["problems"]["p4"], row["working"]["p4"]
    assert working["first_wrong"] == "f[1]"
    steps = working["steps"]
    # the flipped sigmoid is named where it happened, in each gate of each time step ...
    for gate in ("f[1]", "i[1]", "o[1]", "f[2]", "i[2]", "o[2]"):
        assert steps[gate]["verdict"] == "incorrect"
        assert steps[gate]["diagnosis"]["mistake"] == "sigmoid-sign-flipped", gate
        assert "alternatives" not in steps[gate]["diagnosis"], gate
    # ... σ(1.2) = 1/(1 + e^−1.2) = 0.76852 is what f[1] should have been
    assert abs(steps["f[1]"]["should_be"][0] - 0.768525) < 1e-6
    # and the steps that merely follow from the student's own values carry no diagnosis of their own
    assert steps["c_tilde[1]"]["verdict"] == "correct"  # tanh(1.5) = 0.9051
    for follows in ("c[1]", "c_tilde[2]", "c[2]"):
        assert steps[follows]["verdict"] == "correct-ecf" and steps[follows]["diagnosis"] is None, follows
    # h[1] carries f[1], i[1], o[1]; h[2] the flipped gates of its own step: each charged there
    assert p4["h[1]"]["verdict"] == "incorrect" and p4["h[1]"]["points"] == 0
    # f[1] multiplies c[0] = 0, so its error cannot reach h[1]: the first error that does is i[1]'s
    assert p4["h[1]"]["diagnosis"]["mistake"] == "sigmoid-sign-flipped" and p4["h[1]"]["diagnosis"]["step"] == "i[1]"
    assert p4["h[2]"]["verdict"] == "incorrect"
    assert p4["h[2]"]["diagnosis"]["mistake"] == "sigmoid-sign-flipped" and p4["h[2]"]["diagnosis"]["step"] == "f[2]"
    # mse = ((0.013 − 0.5)² + (0.005 − 0.8)²)/2 = 0.434597: every error it carries is charged already
    assert p4["mse"]["verdict"] == "correct-ecf" and p4["mse"]["points"] == 1
    # p1: S_corr[2] = S[2]/(1 − β2) with the key's S[2] (0.0105984/0.001 = 10.598): the step index off by one
    s_corr = row["working"]["p1"]["steps"]["S_corr[2]"]
    assert s_corr["verdict"] == "incorrect" and s_corr["diagnosis"]["mistake"] == "bias-correction-wrong-t"
    assert row["working"]["p1"]["first_wrong"] == "V[2]"  # the asked V[2] comes first, and is wrong


def test_the_working_earns_no_points_and_shows_in_every_report(tmp_path):
    plain = _grade(PROBLEMS, SEEDS / "student000.yaml")
    working = _grade(PROBLEMS, SEEDS / "student000_working.yaml")
    assert working["max_score"] == plain["max_score"]
    assert all(step["max_points"] == 0 for w in working["working"].values() for step in w["steps"].values())
    table = invoke("grade", str(PROBLEMS), str(SEEDS / "student000_working.yaml"), "--details")
    assert "working" in table.stdout and "first wrong" in table.stdout


def _slipped_submission(tmp_path: Path, slips: dict, asked_only_after: bool = False) -> Path:
    """p4 worked by hand with one arithmetic slip, everything after it computed from it."""
    out = scalars(plain_lstm(P4, working=True, slips=slips))
    answers = {k: v for k, v in out.items() if not k.startswith("z_")}
    path = tmp_path / "slip.yaml"
    path.write_text(yaml.safe_dump({"student": "slip", "answers": {"p4": answers}}))
    return path


def test_a_slip_in_an_unasked_step_is_charged_once(tmp_path):
    row = _grade(PROBLEMS / "p4.yaml", _slipped_submission(tmp_path, {"c[1]": 0.1}))
    p4, working = row["problems"]["p4"], row["working"]["p4"]
    assert working["first_wrong"] == "c[1]"
    c1 = working["steps"]["c[1]"]
    assert c1["verdict"] == "incorrect"
    # c[1] = f[1]·c[0] + i[1]·c̃[1] = 0.76852·0 + 0.24974·0.90515 = 0.22605
    assert abs(c1["should_be"][0] - 0.2260516) < 1e-6
    assert p4["h[1]"]["verdict"] == "incorrect" and p4["h[1]"]["diagnosis"]["step"] == "c[1]"
    assert p4["h[1]"]["diagnosis"]["mistake"] is None  # no catalogued mistake adds 0.1
    assert p4["h[2]"]["verdict"] == "correct-ecf" and p4["mse"]["verdict"] == "correct-ecf"
    assert row["score"] == 2


def test_an_answer_that_does_not_follow_from_the_slipped_step_is_not_said_to(tmp_path):
    # c[1] slipped by +0.1 (0.3261 for 0.2261); from it h[1] = o[1]·tanh(0.3261) = 0.978119·0.31503
    # = 0.3081, and 0.9 is neither that nor the key's 0.2174: h[1] is wrong in itself, so no
    # "follows from your c[1]" (it does not) and no step blamed
    p4 = _p4(tmp_path, '"c[1]": 0.3261, "h[1]": 0.9')
    assert p4["h[1]"]["verdict"] == "incorrect" and p4["h[1]"]["diagnosis"] is None
    # the same slip with h[1] right from it is the case the message is for
    p4 = _p4(tmp_path, '"c[1]": 0.3261, "h[1]": 0.3081')
    assert p4["h[1]"]["verdict"] == "incorrect" and p4["h[1]"]["diagnosis"]["step"] == "c[1]"
    assert "follows from your c[1]" in p4["h[1]"]["diagnosis"]["message"]


def test_a_slip_in_an_asked_step_is_the_asked_quantity_itself(tmp_path):
    row = _grade(PROBLEMS / "p4.yaml", _slipped_submission(tmp_path, {"h[1]": 0.1}))
    p4 = row["problems"]["p4"]
    assert row["working"]["p4"]["first_wrong"] == "h[1]"
    assert p4["h[1]"]["verdict"] == "incorrect"
    assert p4["h[2]"]["verdict"] == "correct-ecf" and p4["mse"]["verdict"] == "correct-ecf"


def test_correct_working_changes_nothing(tmp_path):
    row = _grade(PROBLEMS / "p4.yaml", _slipped_submission(tmp_path, {}))
    assert row["score"] == row["max_score"] == 3
    assert row["working"]["p4"]["first_wrong"] is None
    assert {s["verdict"] for s in row["working"]["p4"]["steps"].values()} == {"correct"}


def test_working_by_a_near_miss_name(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text('answers:\n  p4: {"h[1]": 0.2174, f1: 0.7685, F_2: 0.2330}\n')
    row = _grade(PROBLEMS / "p4.yaml", path)
    steps = row["working"]["p4"]["steps"]
    assert steps["f[1]"]["verdict"] == "correct" and steps["f[1]"]["read_from"] == "f1"
    assert steps["f[2]"]["verdict"] == "correct" and steps["f[2]"]["read_from"] == "F_2"
    assert "ignored" not in row


# ---------------------------------------------------------------- confident or silent (SPEC §4.3)
def _p4(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "s.yaml"
    path.write_text(f"answers:\n  p4: {{{text}}}\n")
    return _grade(PROBLEMS / "p4.yaml", path)["problems"]["p4"]


def test_h1_given_as_h0_is_no_misplaced_decimal_point(tmp_path):
    h1 = _p4(tmp_path, '"h[1]": 0')["h[1]"]
    assert h1["verdict"] == "incorrect" and h1["diagnosis"] is None


def test_o_times_sigma_of_c_is_named_nothing(tmp_path):
    # h[1] = o[1]·σ(c[1]) = 0.978119·σ(0.226052) = 0.978119·0.556275 = 0.544103: no catalogued
    # mistake gives it (h-without-tanh gives o·c = 0.2211), so nothing may be named
    h1 = _p4(tmp_path, '"h[1]": 0.5441')["h[1]"]
    assert h1["verdict"] == "incorrect" and h1["diagnosis"] is None


def _p4_step2_swapped(h1: float, c1: float) -> float:
    """p4's h[2] with f[2] and i[2] swapped (c[2] = i·c[1] + f·c̃), from h[1] and c[1]: x[2] = (0.5, −1)."""
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    f, i, o = sig(1 * 0.5 + 2 * -1 + 0.5 * h1 + 0.2), sig(-1 * 0.5 + 2 * h1 - 0.1), sig(3 * 0.5 - h1 + 0.8)
    c_tilde = math.tanh(1 * 0.5 + 2 * -1 + 1.5 * h1 + 0.5)
    return o * math.tanh(i * c1 + f * c_tilde)


def test_a_mistake_is_not_named_from_a_chain_the_students_answers_rule_out(tmp_path):
    # f-i-swapped throughout gives c[1] = f[1]·c̃[1] (c[0] = 0) and h[1] = 0.588; a student whose
    # h[1] is the key's 0.2174 did not swap at step 1, so h[2] re-run from their h[1] beside the
    # swapped chain's c[1] is a chance value: it must name nothing (it named f-i-swapped)
    swapped = scalars(plain_lstm(P4, "f-i-swapped", working=True))
    right = scalars(plain_lstm(P4, working=True))
    h2 = _p4_step2_swapped(right["h[1]"], swapped["c[1]"])
    p4 = _p4(tmp_path, f'"h[1]": {right["h[1]"]:.4f}, "h[2]": {h2:.4f}')
    assert p4["h[1]"]["verdict"] == "correct"
    assert p4["h[2]"]["verdict"] == "incorrect" and p4["h[2]"]["diagnosis"] is None
    # the swap made throughout, h[1] and h[2] both from it, is still named at h[2]
    assert abs(_p4_step2_swapped(swapped["h[1]"], swapped["c[1]"]) - swapped["h[2]"]) < 1e-12  # the step is p4's
    p4 = _p4(tmp_path, f'"h[1]": {swapped["h[1]"]:.4f}, "h[2]": {swapped["h[2]"]:.4f}')
    assert p4["h[2]"]["diagnosis"]["mistake"] == "f-i-swapped"


def test_the_earlier_value_agrees_with_the_mistake_at_the_precision_it_was_written(tmp_path):
    # the flipped sigmoid gives h[1] = 0.0129, written 0.01: that is the mistake at two decimals, so
    # h[2] = 0.0 (its own re-run from 0.01, to one decimal; mse 0.43 the same mistake from them) is still
    # named from the student's values
    flipped = scalars(plain_lstm(P4, "sigmoid-sign-flipped"))
    assert f"{flipped['h[1]']:.2f}" == "0.01"
    h2 = _p4(tmp_path, '"h[1]": 0.01, "h[2]": 0.0, mse: 0.43')["h[2]"]
    assert h2["diagnosis"]["mistake"] == "sigmoid-sign-flipped"
    assert h2["diagnosis"]["message"].endswith("(from your own earlier values)")


def test_a_credited_hand_rounded_answer_carries_no_diagnosis(tmp_path):
    p4 = _p4(tmp_path, '"h[1]": 0.22, "h[2]": -0.19, mse: 0.53')
    assert all(r["verdict"] == "correct" and r["diagnosis"] is None for r in p4.values())


def test_working_that_follows_from_a_trivial_answer_is_not_blamed_on_a_mistake(tmp_path):
    # c[1] = 0 (the student copied c[0]) and h[1] = o[1]·tanh(0) = 0 from it: the error is at c[1]
    p4 = _p4(tmp_path, '"c[1]": 0, "h[1]": 0')
    assert p4["h[1]"]["verdict"] == "incorrect"
    assert p4["h[1]"]["diagnosis"] is None or p4["h[1]"]["diagnosis"]["step"] == "c[1]"


def test_every_step_name_solve_prints_is_accepted_as_working(tmp_path):
    """The names students see in `solve` are the names the grader reads (each step answered with its
    own printed value is graded, none is ignored)."""
    import math

    solved = json.loads(invoke("solve", str(PROBLEMS), "--format", "json").stdout)
    for problem in solved["problems"]:
        steps = [s for s in problem["steps"] if s["formula"] != "given" and s["name"] not in problem["asked"]]
        numeric = [s for s in steps if not isinstance(s["value"], (bool, str)) and s["value"] is not None]
        finite = [s for s in numeric if all(math.isfinite(v) for v in _flat(s["value"]))]
        answers = {s["name"]: s["value"] for s in finite}
        path = tmp_path / f"{problem['id']}.yaml"
        path.write_text(yaml.safe_dump({"answers": {problem["id"]: answers}}))
        row = _grade(PROBLEMS, path)
        assert "ignored" not in row, row.get("ignored")
        if answers:
            graded = row["working"][problem["id"]]["steps"]
            assert set(graded) == set(answers)
            assert {g["verdict"] for g in graded.values()} == {"correct"}, problem["id"]


def _flat(value):
    if isinstance(value, list):
        return [x for item in value for x in _flat(item)]
    return [value]


def test_the_working_is_in_the_gradescope_summary_without_key_values(tmp_path):
    subs = SEEDS / "student000_working.yaml"
    hidden = json.loads(invoke("grade", str(PROBLEMS), str(subs), "--format", "gradescope").stdout)
    assert "first wrong step is `f[1]`" in hidden["output"]
    # σ(1.2) = 0.7685 is what f[1] should be: a key value, so not shown without --show-expected
    assert "0.7685" not in json.dumps(hidden)
    shown = json.loads(invoke("grade", str(PROBLEMS), str(subs), "--format", "gradescope", "--show-expected").stdout)
    assert "0.7685" in shown["output"]


def test_a_slip_no_mistake_explains_tags_the_gradescope_test_with_words_only(tmp_path):
    # c[1] + 0.1 (SPEC §4.4's example): h[1] is charged at c[1] with no mistake named; Gradescope's
    # tags are strings, so the missing mistake id is left out, not written as null
    data = json.loads(invoke("grade", str(PROBLEMS / "p4.yaml"), str(_slipped_submission(tmp_path, {"c[1]": 0.1})),
                             "--format", "gradescope").stdout)
    h1 = next(t for t in data["tests"] if t["name"] == "p4 h[1]")
    assert h1["status"] == "failed" and h1["tags"] == ["p4", "incorrect"]
    assert all(isinstance(tag, str) for t in data["tests"] for tag in t["tags"])


# ---------------------------------------------------------------- where an error reaches (review findings)
def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def test_an_error_stops_at_a_value_the_student_wrote_right(tmp_path):
    # z_f[2] = −2.0 is wrong, but the student's f[2] = 0.2330 is the key's σ(−1.1913): the slip
    # reaches nothing asked, and h[2] follows from their own h[1] (wrong, charged there) and f[2]
    row = _grade(PROBLEMS / "p4.yaml", _write(tmp_path, (
        'answers:\n  "h[1]": 0.30\n  "z_f[2]": -2.0\n  "f[2]": 0.2330\n  "h[2]": -0.1719\n  mse: 0.4919\n')))
    assert row["problems"]["p4"]["h[2]"]["verdict"] == "correct-ecf"


def test_the_step_blamed_is_one_that_reaches_the_answer(tmp_path):
    # f[1] = 0.5 is wrong, but c[1] and h[1] are written right: f[1] cannot reach h[2]; f[2] does
    row = _grade(PROBLEMS / "p4.yaml", _write(tmp_path, (
        'answers:\n  "f[1]": 0.5\n  "c[1]": 0.2261\n  "h[1]": 0.2174\n  "f[2]": 0.30\n  "h[2]": -0.1770\n  mse: 0.5172\n')))
    h2 = row["problems"]["p4"]["h[2]"]
    assert h2["verdict"] == "incorrect" and h2["diagnosis"]["step"] == "f[2]"


def test_a_matrix_is_charged_element_by_element(tmp_path):
    # V_corr[2](0,0) = −0.5 is wrong (V[2]/(1 − 0.81) = −0.8684); W[2](0,0) follows from it, the other
    # elements are the key's. W[2](1,1) = −0.80 is a second, independent error.
    head = ('answers:\n  "V[2]": [[-0.165, 0.245, -0.059], [-0.196, -0.032, 0.209]]\n'
            '  "S[2]": [[0.010598, 0.06993, 0.109892], [0.140634, 0.16985, 0.021]]\n'
            '  "V_corr[2]": [[-0.5, 1.2895, -0.3105], [-1.0316, -0.1684, 1.1]]\n')
    one = _grade(PROBLEMS / "p1.yaml", _write(tmp_path, head + '  "W[2]": [[-0.1983, 0.30820, 0.67419], [0.50230, -0.85817, -0.93394]]\n'))
    w2 = one["problems"]["p1"]["W[2]"]
    assert [e["verdict"] for e in w2["elements"]] == ["incorrect"] + ["correct"] * 5 and abs(w2["points"] - 5 / 6) < 1e-9
    two = _grade(PROBLEMS / "p1.yaml", _write(tmp_path, head + '  "W[2]": [[-0.1983, 0.30820, 0.67419], [0.50230, -0.80, -0.93394]]\n'))
    w2 = two["problems"]["p1"]["W[2]"]
    assert [e["verdict"] for e in w2["elements"]] == ["incorrect", "correct", "correct", "correct", "incorrect", "correct"]
    assert abs(w2["points"] - 4 / 6) < 1e-9  # the V_corr slip is not free because W[2] has an error of its own


def test_a_slip_that_reaches_no_wrong_element_costs_nothing(tmp_path):
    # V[2](0,0) wrong (charged at V[2]); S_corr[2](1,2) = 10.3 a slip, but the student's W[2](1,2) is the key's
    text = ('answers:\n  "V[2]": [[-0.3, 0.245, -0.059], [-0.196, -0.032, 0.209]]\n'
            '  "S[2]": [[0.010598, 0.06993, 0.109892], [0.140634, 0.16985, 0.021]]\n'
            '  "S_corr[2]": [[5.3019, 34.9827, 54.9733], [70.3524, 84.9673, 10.3]]\n'
            '  "W[2]": [[-0.1514, 0.30820, 0.67419], [0.50230, -0.85817, -0.93394]]\n')
    w2 = _grade(PROBLEMS / "p1.yaml", _write(tmp_path, text))["problems"]["p1"]["W[2]"]
    assert w2["verdict"] == "correct-ecf" and w2["points"] == 1 and w2["diagnosis"] is None


def test_a_step_that_cannot_be_carried_forward_costs_no_other_answer_its_ecf(tmp_path):
    # h[1] slipped by +0.1 and h[2] worked on correctly from it (the plain LSTM of the tests), and in
    # the working err[1] = 1e200, whose square overflows: nothing can be carried forward through
    # err[1], but h[2] is not computed from it, so h[2] still follows from the student's own h[1].
    slipped = scalars(plain_lstm(P4, slips={"h[1]": 0.1}))
    p4 = _p4(tmp_path, f'"h[1]": {slipped["h[1]"]!r}, "h[2]": {slipped["h[2]"]!r}, "err[1]": 1e200')
    assert p4["h[1]"]["verdict"] == "incorrect"
    assert p4["h[2]"]["verdict"] == "correct-ecf", p4["h[2]"]
