"""Grading: tolerance, hand rounding, per-element credit, reports and exit codes (SPEC §4)."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
from conftest import FIXTURES, PROBLEMS, run_cli
from reference import plain_lstm, scalars

from lstmhw.files import load_problems
from lstmhw.grading import Key, Options, grade_submission
from lstmhw.submission import Submission

P4 = str(PROBLEMS / "p4.yaml")


def grade_p4(answers: dict, **options) -> dict:
    key = Key(load_problems([P4]), Options(**options))
    result = grade_submission(key, Submission(file="s.yaml", student="s", answers={"p4": answers}))
    return result.problems["p4"]


def grade_p4_text(texts: dict, **options) -> dict:
    """Grade answers written as these texts in a submission file (the decimals as written)."""
    import os
    import tempfile

    from lstmhw.submission import read_submission

    body = "".join(f'  "{q}": {text}\n' for q, text in texts.items())
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "s.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("student: s\nanswers:\n" + body)
        submission = read_submission(path, ["p4"])
    key = Key(load_problems([P4]), Options(**options))
    return grade_submission(key, submission).problems["p4"]


def plain_p4(decimals: int | None = None) -> dict:
    """p4 by hand (the plain LSTM of tests/reference.py), every intermediate rounded to ``decimals`` as on paper."""
    import yaml

    with open(P4, encoding="utf-8") as handle:
        return scalars(plain_lstm(yaml.safe_load(handle), decimals=decimals))


def test_seed_002_p4_answers_are_all_correct():
    results = grade_p4({"h[1]": 0.21741, "h[2]": -0.18988, "mse": 0.5298})
    assert {q: r.verdict for q, r in results.items()} == {"h[1]": "correct", "h[2]": "correct", "mse": "correct"}
    assert sum(r.points for r in results.values()) == 3


@pytest.mark.parametrize("decimals", [2, 3, 4])
def test_hand_rounded_chain_is_correct_where_plain_tolerance_is_not(decimals):
    rounded = plain_p4(decimals)
    exact = plain_p4()
    tight = {"rtol": 1e-4, "atol": 1e-5}
    # the premise: a tolerance this tight rejects the 2-decimal chain's answers on their own
    if decimals == 2:
        assert any(abs(rounded[q] - exact[q]) > tight["atol"] + tight["rtol"] * abs(exact[q]) for q in exact)
    # as a student writes them: every answer to `decimals` decimals (-0.20, not -0.2)
    results = grade_p4_text({q: f"{v:.{decimals}f}" for q, v in rounded.items()}, **tight)
    assert all(r.verdict == "correct" for r in results.values()), {q: r.verdict for q, r in results.items()}
    assert all(r.diagnosis is None for r in results.values())


def test_a_genuinely_wrong_value_is_not_rescued_by_rounding():
    answers = plain_p4(2)
    answers["h[2]"] = answers["h[2]"] + 0.03
    results = grade_p4(answers, rtol=1e-4, atol=1e-5)
    assert results["h[1]"].verdict == "correct"
    assert results["h[2]"].verdict == "incorrect" and results["h[2]"].points == 0


def test_missing_and_invalid_answers():
    results = grade_p4({"h[1]": "abc", "h[2]": [0.1, 0.2, 0.3]})
    assert results["h[1]"].verdict == "invalid" and "expected a number" in results["h[1]"].reason
    assert results["h[2]"].verdict == "invalid" and "shape" in results["h[2]"].reason
    assert results["mse"].verdict == "missing" and results["mse"].points == 0


def test_per_element_credit_on_a_vector(write):
    # H = 2 with decoupled units: U and W diagonal, so each unit is a 1-unit LSTM we can do by hand.
    path = write(
        "two.yaml",
        "id: two\nsolver: lstm-forward\n"
        "W: {f: [[1], [0]], i: [[1], [0]], o: [[1], [0]], c: [[1], [0]]}\n"
        "U: {f: [[0, 0], [0, 0]], i: [[0, 0], [0, 0]], o: [[0, 0], [0, 0]], c: [[0, 0], [0, 0]]}\n"
        "b: {f: [0, 0], i: [0, 0], o: [0, 0], c: [0, 0]}\n"
        "x: [[1]]\nask: ['h[1]']\npoints: {'h[1]': 2}\n",
    )
    sig = 1 / (1 + math.exp(-1))
    unit0 = sig * math.tanh(sig * math.tanh(1))  # x = 1 through every gate
    unit1 = 0.5 * math.tanh(0.5 * 0.0)  # z = 0: σ = ½, tanh(0) = 0, so h = 0
    key = Key(load_problems([path]), Options())
    sub = Submission(file="s.yaml", student="s", answers={"two": {"h[1]": [round(unit0, 4), 0.3]}})
    result = grade_submission(key, sub).problems["two"]["h[1]"]
    assert result.verdict == "incorrect"
    assert result.points == pytest.approx(1.0)  # 1 of 2 elements of a 2-point answer
    assert [e["verdict"] for e in result.elements] == ["correct", "incorrect"]
    assert result.elements[1]["expected"] == pytest.approx(unit1)


def test_points_and_tolerance_from_the_problem_file(write):
    text = (PROBLEMS / "p4.yaml").read_text() + "points: {mse: 4}\ntolerance: {rtol: 0, atol: 0.1}\n"
    path = write("p4.yaml", text)
    key = Key(load_problems([path]), Options())
    sub = Submission(file="s.yaml", student="s", answers={"p4": {"h[1]": 0.3, "h[2]": -0.1, "mse": 0.6}})
    result = grade_submission(key, sub)
    verdicts = {q: r.verdict for q, r in result.problems["p4"].items()}
    # |0.3 − 0.2174| = 0.083 ≤ 0.1;  |−0.1 + 0.1899| = 0.0899 ≤ 0.1;  |0.6 − 0.5299| = 0.07 ≤ 0.1
    assert verdicts == {"h[1]": "correct", "h[2]": "correct", "mse": "correct"}
    assert result.max_score == 6 and result.score == 6


# ------------------------------------------------------------------ the CLI and its reports
def test_csv_report_parses_and_has_one_row_per_student(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("answers: [1, 2\n")
    result = run_cli("grade", P4, str(FIXTURES / "seeds" / "abuitano.yaml"), str(FIXTURES / "seeds" / "student000.yaml"), str(bad), "--format", "csv")
    assert result.returncode == 1, result.stderr  # one submission could not be read
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["student"] for r in rows] == ["abuitano", "student000", "broken"]
    assert list(rows[0]) == ["student", "file", "status", "variant", "p4", "total", "max", "error"]
    assert rows[0]["status"] == "graded" and float(rows[0]["total"]) == 3 and float(rows[0]["max"]) == 3
    assert rows[0]["variant"] == "" and rows[0]["error"] == ""
    assert float(rows[1]["p4"]) == 1  # mse by error carried forward; h[1], h[2] wrong
    assert rows[2]["status"] == "error" and rows[2]["p4"] == ""
    assert rows[2]["error"].startswith(str(bad)) and "invalid YAML" in rows[2]["error"]  # the reason, in its column


def test_json_report_schema():
    result = run_cli("grade", P4, str(FIXTURES / "seeds" / "student000.yaml"), "--format", "json")
    assert result.returncode == 0, result.stderr
    (sub,) = json.loads(result.stdout)["submissions"]
    assert {"student", "file", "status", "error", "score", "max_score", "problems"} <= set(sub)
    h1 = sub["problems"]["p4"]["h[1]"]
    assert {"verdict", "answer", "expected", "points", "max_points", "diagnosis"} <= set(h1)
    assert h1["answer"] == 0.013 and h1["expected"][0] == pytest.approx(0.2174146387, abs=1e-10)  # never rounded


def test_gradescope_results_json_for_one_submission(tmp_path):
    result = run_cli("grade", P4, str(FIXTURES / "seeds" / "student000.yaml"), "--format", "gradescope")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["score"] == 1
    assert {t["name"] for t in data["tests"]} == {"p4 h[1]", "p4 h[2]", "p4 mse"}
    for test in data["tests"]:
        assert set(test) == {"name", "number", "score", "max_score", "status", "output", "output_format", "tags", "visibility"}
        assert test["status"] in ("passed", "failed") and test["visibility"] == "visible"
        assert "expected" not in test["output"]  # students would read the key (SPEC §6)
    h1 = next(t for t in data["tests"] if t["name"] == "p4 h[1]")
    assert "sign of the exponent is flipped" in h1["output"]


def test_gradescope_out_dir_writes_one_results_json_per_student(tmp_path):
    seeds = FIXTURES / "seeds"
    result = run_cli("grade", P4, str(seeds / "abuitano.yaml"), str(seeds / "student000.yaml"), "--format", "gradescope", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    scores = {p.parent.name: json.loads(p.read_text())["score"] for p in tmp_path.glob("*/results.json")}
    assert scores == {"abuitano": 3, "student000": 1}


def test_exit_code_2_for_a_bad_key(write):
    key = write("key.yaml", "solver: lstm-forward\n")
    result = run_cli("grade", key, str(FIXTURES / "seeds" / "abuitano.yaml"))
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "key.yaml" in result.stderr


def test_exit_code_2_for_duplicate_ids_in_a_key_folder(tmp_path):
    folder = tmp_path / "key"
    folder.mkdir()
    text = (PROBLEMS / "p4.yaml").read_text()
    (folder / "a.yaml").write_text(text)
    (folder / "b.yaml").write_text(text)
    result = run_cli("grade", str(folder), str(FIXTURES / "seeds" / "abuitano.yaml"))
    assert result.returncode == 2
    assert "id 'p4'" in result.stderr and "unique" in result.stderr


def test_exit_code_0_and_csv_to_an_atomic_out_file(tmp_path):
    out = tmp_path / "grades.csv"
    result = run_cli("grade", P4, str(FIXTURES / "seeds" / "abuitano.yaml"), "--format", "csv", "--out", str(out))
    assert result.returncode == 0 and result.stdout == ""
    assert out.read_text().startswith("student,file,status,variant,p4,total,max,error\n")
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]  # no temp file left behind


def test_flat_answers_for_a_one_problem_key(write):
    sub = write("flat.yaml", "student: flat\nanswers:\n  h[1]: 0.2174\n  h[2]: -0.1899\n  mse: 0.53\n")
    result = run_cli("grade", P4, sub, "--format", "json")
    assert json.loads(result.stdout)["submissions"][0]["score"] == 3


def test_unquoted_bracket_keys_in_flow_style_get_a_hint(write):
    sub = write("flow.yaml", "answers: {h[1]: 0.2174}\n")
    result = run_cli("grade", P4, sub, "--format", "json")
    assert result.returncode == 1  # the batch finishes; this submission is an error row
    (row,) = json.loads(result.stdout)["submissions"]
    assert row["status"] == "error" and 'quote keys with brackets: "h[1]"' in row["error"]


def test_booleans_as_the_students_write_them(write, tmp_path):
    pytest.importorskip("lstmhw.solvers.lstm_claims")
    sub = write("tf.yaml", "answers: {a: F, b: no, c: T, d: false, e: yes}\n")
    result = run_cli("grade", str(PROBLEMS / "p3.yaml"), sub, "--format", "json")
    problems = json.loads(result.stdout)["submissions"][0]["problems"]
    assert {q: r["verdict"] for q, r in problems["p3"].items()} == dict.fromkeys("abcde", "correct")


# ------------------------------------------------------------------ the seeds against the whole homework
def _grade_seed(name: str):
    key = Key(load_problems([str(PROBLEMS)]), Options())
    from lstmhw.submission import read_submission

    return grade_submission(key, read_submission(str(FIXTURES / "seeds" / f"{name}.yaml"), key.ids))


def test_seed_002_problems_3_and_4_are_all_correct():
    result = _grade_seed("abuitano")
    assert result.status == "graded"
    for pid in ("p3", "p4"):
        assert {r.verdict for r in result.problems[pid].values()} == {"correct"}, pid
    assert {r.verdict for r in result.problems["p1"].values()} == {"missing"}  # it did not answer p1, p2


def test_seed_000_problems_1_and_2():
    result = _grade_seed("student000")
    s2 = result.problems["p1"]["S[2]"]
    # 0.699 is a misplaced decimal of 0.0699; the other five elements are right to 3 decimals
    assert [e["verdict"] for e in s2.elements].count("correct") == 5
    assert s2.points == pytest.approx(5 / 6)
    assert result.problems["p2"]["critical_W"].verdict == "correct"  # "4 = W"
    assert result.problems["p2"]["phi_prime"].verdict == "correct"  # "σ′(0) = 1/4"
    assert result.problems["p3"]["c"].verdict == "correct"
    assert result.problems["p4"]["mse"].verdict == "correct-ecf"


def test_a_submission_to_variant_n_is_graded_against_variant_n(tmp_path):
    yaml = pytest.importorskip("yaml")
    from test_lstm_forward import plain_lstm

    from lstmhw.problem import load_problem
    from lstmhw.variant import variant_yaml

    data = yaml.safe_load(variant_yaml(load_problem(P4), 3))
    h = plain_lstm(data)
    answers = {"h[1]": round(h["h[1]"][0], 4), "h[2]": round(h["h[2]"][0], 4), "mse": round(h["mse"], 4)}
    assert answers["h[2]"] != pytest.approx(-0.1899, abs=0.01)  # the variant's numbers really differ
    body = "\n".join(f'  "{q}": {v}' for q, v in answers.items())
    (tmp_path / "v3.yaml").write_text(f"student: v3\nvariant: 3\nanswers:\n{body}\n")
    (tmp_path / "nov.yaml").write_text(f"student: nov\nanswers:\n{body}\n")
    result = run_cli("grade", P4, str(tmp_path / "v3.yaml"), str(tmp_path / "nov.yaml"), "--format", "json")
    assert result.returncode == 0, result.stderr
    scores = {s["student"]: s["score"] for s in json.loads(result.stdout)["submissions"]}
    assert scores["v3"] == 3  # right for variant 3
    assert scores["nov"] < 3  # the same numbers are wrong for the original


def test_csv_details_has_a_row_per_quantity_with_the_diagnosis():
    result = run_cli("grade", P4, str(FIXTURES / "seeds" / "student000.yaml"), "--format", "csv", "--details")
    assert result.returncode == 0, result.stderr
    rows = {r["quantity"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert set(rows) == {"h[1]", "h[2]", "mse"}
    assert rows["h[1]"]["verdict"] == "incorrect" and rows["h[1]"]["mistake"] == "sigmoid-sign-flipped"
    assert "sign of the exponent is flipped" in rows["h[1]"]["message"]
    assert rows["mse"]["verdict"] == "correct-ecf" and float(rows["mse"]["points"]) == 1


def test_names_written_without_brackets_are_read_as_the_asked_quantity(write):
    sub = write("h1.yaml", "answers:\n  h1: 0.2174\n  H[2]: -0.1899\n  MSE: 0.53\n  extra: 5\n")
    result = run_cli("grade", P4, sub, "--format", "json")
    assert result.returncode == 0, result.stderr
    p4 = json.loads(result.stdout)["submissions"][0]["problems"]["p4"]
    assert {q: r["verdict"] for q, r in p4.items()} == dict.fromkeys(["h[1]", "h[2]", "mse"], "correct")
    assert p4["h[1]"]["read_from"] == "h1" and p4["mse"]["read_from"] == "MSE"


def test_a_quantity_under_its_name_and_a_near_one_is_answered_twice():
    from lstmhw.grading import match_names
    from lstmhw.submission import AnsweredTwice

    # SPEC §4.1: answered twice is invalid, whichever line comes first (no hedging by order)
    answers, renamed = match_names({"h[1]": 0.2, "h1": 0.9, "h2": 0.3}, ["h[1]", "h[2]"])
    assert answers["h[1]"] == AnsweredTwice((0.2, 0.9)) and answers["h[2]"] == 0.3
    assert renamed == {"h[1]": "h[1], h1", "h[2]": "h2"}
    answers, _ = match_names({"H[1]": 0.9, "h1": 0.2}, ["h[1]"])
    assert answers["h[1]"] == AnsweredTwice((0.9, 0.2))
    # the same number twice is one answer
    answers, _ = match_names({"h[1]": 0.2, "h1": 0.2}, ["h[1]"])
    assert answers["h[1]"] == 0.2
    # two asked names with the same plain form: neither is guessed
    answers, renamed = match_names({"v1": 1.0}, ["V[1]", "v_1"])
    assert renamed == {} and "V[1]" not in answers


def test_within_is_the_tolerance_test_on_floats_and_arrays():
    import numpy as np

    from lstmhw.grading.verdicts import within
    from lstmhw.problem import Tolerance

    tol = Tolerance(rtol=1e-2, atol=1e-3)
    assert within(0.5, 0.50605, tol) is True  # |a − r| = 0.00605 ≤ 0.001 + 0.01·0.50605
    assert within(0.50605, 0.5, tol) is False  # rtol scales the reference, not the answer: 0.00605 > 0.006
    assert within(0.5, 0.5062, tol) is False
    assert within(1.7e308, float("inf"), tol) is False  # an infinite reference admits nothing
    assert within(float("nan"), 1.0, tol) is False and within(1.0, float("nan"), tol) is False
    # Arrays: elementwise, and broadcasting k answers against one reference row
    a = np.array([[0.2174, 0.2], [0.2174, -0.2]])
    assert within(a, np.array([[0.21741, 0.2]]), tol).tolist() == [[True, True], [True, False]]
    assert within(np.array([1.0, 1e308]), np.array([1.0, np.inf]), tol).tolist() == [True, False]
    # The plain-float path is the same IEEE arithmetic as the array one, boundary cases included
    rng = np.random.default_rng(12)
    r = np.concatenate([rng.normal(size=500), [0.0, -0.0, 1e-300, 1e300, 1.7e308, np.inf, -np.inf, np.nan]])
    with np.errstate(all="ignore"):  # the answers made from inf and nan
        near_the_edge = r + rng.choice([-1, 1], r.size) * (tol.atol + tol.rtol * np.abs(r)) * rng.uniform(0.999, 1.001, r.size)
    for a in (near_the_edge, r, -r):
        expected = within(a, r, tol)
        assert [within(float(x), float(y), tol) for x, y in zip(a, r, strict=True)] == expected.tolist()


def test_a_grader_bug_on_one_submission_is_an_internal_error_row_and_exit_3(tmp_path, monkeypatch):
    """The other submissions are graded; the one lstmhw failed on is an error row marked internal; exit 3 (over 1)."""
    import os
    import shutil

    from typer.testing import CliRunner

    from lstmhw import batch
    from lstmhw.cli import app

    seeds = FIXTURES / "seeds"
    shutil.copy(seeds / "abuitano.yaml", tmp_path)
    shutil.copy(seeds / "abuitano.yaml", tmp_path / "unlucky.yaml")  # the one the grader fails on
    shutil.copy(seeds / "student000.yaml", tmp_path)
    (tmp_path / "unreadable.yaml").write_text("answers: [1, 2\n")
    real = batch.grade_submission

    def grader(key, submission, *args, **kwargs):
        if submission.file.endswith("unlucky.yaml"):
            raise KeyError("h[9]")
        return real(key, submission, *args, **kwargs)

    monkeypatch.setattr(batch, "grade_submission", grader)
    three = [str(tmp_path / f"{name}.yaml") for name in ("abuitano", "unlucky", "student000")]
    runner = CliRunner()

    result = runner.invoke(app, ["grade", P4, *three, "--format", "json"])
    assert result.exit_code == 3, (result.output, result.exception)
    rows = {os.path.basename(row["file"])[:-5]: row for row in json.loads(result.stdout)["submissions"]}
    assert [rows[s]["status"] for s in ("abuitano", "unlucky", "student000")] == ["graded", "error", "graded"]
    assert rows["abuitano"]["score"] == 3 and "internal" not in rows["abuitano"]
    assert rows["unlucky"]["internal"] is True and rows["unlucky"]["score"] == 0
    assert rows["unlucky"]["error"] == f"{three[1]}: internal error of lstmhw: KeyError: 'h[9]' (please report it)"

    # an unreadable submission as well: still 3, which outranks 1
    result = runner.invoke(app, ["grade", P4, *three, str(tmp_path / "unreadable.yaml"), "--format", "csv"])
    assert result.exit_code == 3
    statuses = [line.split(",")[2] for line in result.stdout.splitlines()[1:]]
    assert statuses == ["graded", "error", "graded", "error"]
    # the student is not told their file could not be read
    result = runner.invoke(app, ["grade", P4, three[1], "--format", "gradescope"])
    assert result.exit_code == 3
    assert json.loads(result.stdout)["output"].startswith("Your submission could not be graded (a bug of the grader")
    # without the bug, the same batch is exit 1
    monkeypatch.setattr(batch, "grade_submission", real)
    assert runner.invoke(app, ["grade", P4, *three, str(tmp_path / "unreadable.yaml"), "--format", "csv"]).exit_code == 1


def test_a_reader_bug_is_an_internal_error_row_named_after_the_file(tmp_path, monkeypatch):
    """A bug of lstmhw's while reading a file (read_submission raising) is that file's error row,
    its student the file's stem, and the rest is graded."""
    import shutil

    from typer.testing import CliRunner

    from lstmhw import batch
    from lstmhw.cli import app

    seeds = FIXTURES / "seeds"
    shutil.copy(seeds / "abuitano.yaml", tmp_path / "fine.yaml")
    shutil.copy(seeds / "abuitano.yaml", tmp_path / "odd one.yaml")
    real = batch.read_submission

    def reader(file, ids):
        if file.endswith("odd one.yaml"):
            raise RuntimeError("a bug")
        return real(file, ids)

    monkeypatch.setattr(batch, "read_submission", reader)
    files = [str(tmp_path / "fine.yaml"), str(tmp_path / "odd one.yaml")]
    result = CliRunner().invoke(app, ["grade", P4, *files, "--format", "json"])
    assert result.exit_code == 3, (result.output, result.exception)
    fine, odd = json.loads(result.stdout)["submissions"]
    assert fine["status"] == "graded" and fine["score"] == 3
    assert odd["status"] == "error" and odd["student"] == "odd one" and odd["internal"] is True
    assert odd["error"] == f"{files[1]}: internal error of lstmhw: RuntimeError: a bug (please report it)"


def test_a_name_two_submissions_share_is_a_warning_not_a_silent_second_row(tmp_path):
    """SPEC §4.5: both rows are in the report, and the later one says whose name it shares."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a.yaml").write_text('student: alice\nanswers: {"h[1]": 0.21741}\n')
    (subs / "b.yaml").write_text('student: Alice\nanswers: {"h[1]": 0.013}\n')  # the same name, another case
    (subs / "c.yaml").write_text('student: bob\nanswers: {"h[1]": 0.21741}\n')
    result = run_cli("grade", P4, str(subs), "--format", "csv")
    assert result.returncode == 0
    warning = f"student 'Alice' is also the student of {subs / 'a.yaml'}; both are in the report"
    assert result.stderr == f"lstmhw: warning: {subs / 'b.yaml'}: {warning}\n"
    rows = result.stdout.splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == ["alice", "Alice", "bob"]
    assert rows[0].endswith(",") and rows[1].endswith("," + warning) and rows[2].endswith(",")
    data = json.loads(run_cli("grade", P4, str(subs), "--format", "json").stdout)["submissions"]
    assert [s.get("warning") for s in data] == [None, warning, None]
    table = run_cli("grade", P4, str(subs), env={"COLUMNS": "300"}).stdout
    assert f"Alice: warning: {warning}" in table


# ---------------------------------------------------------------- the same answers graded once
def test_answers_remembered_only_when_exactly_the_same():
    """A class's repeated answers are graded once per key (grade_problem's memo): only answers that
    are the same to grading share an entry. 1 and 1.0, 0.0 and -0.0, true and 1, a list and a
    mapping, two orders of a mapping and two writings of the decimals are each told apart; the
    same data read from two files is one entry; an answer written twice and a big matrix are
    not remembered."""
    from lstmhw.grading import _answers_key
    from lstmhw.submission import AnsweredTwice

    kp = Key(load_problems([str(PROBLEMS / "p4.yaml")]), Options()).problems["p4"]
    options = Options()

    def key(h1, decimals=None, **more):
        return _answers_key(kp, {"h[1]": h1, **more}, options, {"h[1]": decimals} if decimals is not None else {})

    assert key(0.25) == key(float("0.25")) and key([0.25, 1]) == key([0.25, 1])
    different = [key(1), key(1.0), key(0.0), key(-0.0), key(True), key([1.0]), key({"a": 1.0, "b": 2.0}),
                 key({"b": 2.0, "a": 1.0}), key(0.25, 2), key(0.25, 4), key(0.25, [2])]
    assert len(set(different)) == len(different)
    assert key(0.25, mse=0.5) != key(0.25)  # another asked quantity
    assert key(0.25, **{"c[1]": 9.0}) == key(0.25)  # not asked: the working is graded apart, never remembered
    assert key(AnsweredTwice((0.25, 0.3))) is None
    assert key([[0.5] * 20] * 20) is not None and key([[0.5] * 30] * 30) is None  # 400 numbers and 900
    other = _answers_key(kp, {"h[1]": 0.25}, Options(rtol=0.05), {})
    assert other != key(0.25)  # the options are part of the key


def test_remembered_answers_each_get_their_own_results():
    from lstmhw.grading import grade_problem

    kp = Key(load_problems([str(PROBLEMS / "p4.yaml")]), Options()).problems["p4"]
    # h[1], h[2] with σ's sign flipped (diagnosed); mse = ((0.013 − 0.5)² + (0.005 − 0.8)²)/2 = 0.434597 from them
    answers = {"h[1]": 0.013, "h[2]": 0.005, "mse": 0.4346}
    first = grade_problem(kp, dict(answers), Options(), {"h[1]": 3, "h[2]": 3, "mse": 4}).results
    again = grade_problem(kp, dict(answers), Options(), {"h[1]": 3, "h[2]": 3, "mse": 4}).results
    assert len(kp.graded) == 1
    assert {q: vars(r) for q, r in first.items()} == {q: vars(r) for q, r in again.items()}
    assert [list(vars(r)) for r in first.values()] == [list(vars(r)) for r in again.values()]  # the fields' order too
    first["h[1]"].diagnosis["mistake"] = "changed"
    first["mse"].ecf["from"]["h[1]"] = 99.0
    assert again["h[1]"].diagnosis["mistake"] == "sigmoid-sign-flipped" and again["mse"].ecf["from"]["h[1]"] == [0.013]
    # A copy from the memo shares nothing with it either: changing one leaves the next student's as it was.
    again["h[1]"].diagnosis["mistake"] = "changed"
    again["mse"].ecf["from"]["h[1]"].append(99.0)
    again["h[2]"].expected.append(1.0)
    third = grade_problem(kp, dict(answers), Options(), {"h[1]": 3, "h[2]": 3, "mse": 4}).results
    assert third["h[1]"].diagnosis["mistake"] == "sigmoid-sign-flipped" and third["mse"].ecf["from"]["h[1]"] == [0.013]
    assert len(third["h[2]"].expected) == len(first["h[2]"].expected)


def test_key_checks_remembered_by_the_exact_answer_and_each_student_gets_their_own():
    """KeyProblem.check remembers one answer against the key (the same h[1] beside many h[2]s): by
    the exact answer and decimals written (0.217 is not 0.2170, 1 is not 1.0), and each student's
    coerced value, decimals and where-right are their own arrays."""
    from lstmhw.grading import Answers
    from lstmhw.submission import AnsweredTwice

    kp = Key(load_problems([str(PROBLEMS / "p4.yaml")]), Options()).problems["p4"]
    first, again = Answers(), Answers()
    # h[1] = 0.2174146...: 0.2174 is right; 0.25 is not (a pending answer)
    assert first.grade_against_key(kp, "h[1]", 0.25, 2, 1.0, Options()).verdict == "incorrect"
    assert again.grade_against_key(kp, "h[1]", 0.25, 2, 1.0, Options()).verdict == "incorrect"
    assert len(kp._checks) == 1
    for name in ("coerced", "written", "pending"):
        mine, theirs = getattr(first, name)["h[1]"], getattr(again, name)["h[1]"]
        assert mine is not theirs and np.array_equal(mine, theirs)
        mine[...] = 7  # one student's arrays changed: the next student's are as the key check made them
    third = Answers()
    third.grade_against_key(kp, "h[1]", 0.25, 2, 1.0, Options())
    assert third.coerced["h[1]"].tolist() == [0.25] and third.written["h[1]"].tolist() == [2.0]
    assert third.pending["h[1]"].tolist() == [False]
    # told apart: the decimals written, the type of the number, its sign of zero
    right = Answers().grade_against_key(kp, "h[1]", 0.2174, 4, 1.0, Options())
    assert right.verdict == "correct" and right.points == 1.0
    for raw, decimals in [(0.2174, 3), (0.2174, None), (1, 0), (1.0, 0), (0.0, 1), (-0.0, 1)]:
        Answers().grade_against_key(kp, "h[1]", raw, decimals, 1.0, Options())
    assert len(kp._checks) == 8
    twice = AnsweredTwice((0.25, 0.3))
    assert Answers().grade_against_key(kp, "h[1]", twice, float("nan"), 1.0, Options()).verdict == "invalid"
    assert len(kp._checks) == 8  # not remembered


def test_bounded_memo_drops_the_least_recently_used_first():
    """lstmhw.memo.BoundedMemo, behind the graded answers, the key checks and the re-runs: sizes
    added by hand; a hit makes an entry the newest; over the bound the oldest go, the newest stays."""
    from lstmhw.memo import BoundedMemo

    memo = BoundedMemo(100)
    memo.put("a", 1, 40)
    memo.put("b", 2, 40)
    assert memo.get("a") == 1 and memo.held == 80  # a is now newer than b
    memo.put("c", 3, 40)  # 120 > 100: b, the least recently used, goes
    assert memo.get("b") is None and memo.get("a") == 1 and memo.get("c") == 3 and memo.held == 80
    memo.put("c", 4, 10)  # written again: its old size is no longer held
    assert memo.get("c") == 4 and memo.held == 50 and len(memo) == 2
    memo.put("big", 5, 500)  # alone over the bound: everything older goes, it stays
    assert len(memo) == 1 and memo.get("big") == 5 and memo.held == 500
