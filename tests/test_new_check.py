"""`lstmhw new` templates and `lstmhw check` (every error of a file, one line each)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import PROBLEMS, run_cli

from lstmhw.solvers import SOLVERS, solver_module

P4 = (PROBLEMS / "p4.yaml").read_text()
LOCATED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<path>[^:]+): (?P<message>.+)$")


def error_lines(result) -> list[str]:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()


# ------------------------------------------------------------------- new
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_template_checks_and_solves(solver, tmp_path):
    result = run_cli("new", solver)
    assert result.returncode == 0, result.stderr
    assert result.stdout == solver_module(solver).TEMPLATE
    assert result.stdout.lstrip().startswith("#"), "a template starts by saying what it is"
    assert f"solver: {solver}" in result.stdout
    path = tmp_path / f"{solver}.yaml"
    path.write_text(result.stdout, encoding="utf-8")

    checked = run_cli("check", str(path))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"ok: {path} (problem ")
    assert f", {solver})" in checked.stdout

    solved = run_cli("solve", str(path), "--format", "json")
    assert solved.returncode == 0, solved.stderr
    problem = json.loads(solved.stdout)["problems"][0]
    assert problem["solver"] == solver
    assert problem["asked"], "a template asks something"
    for quantity in problem["asked"]:
        assert problem["quantities"][quantity] is not None


def test_new_unknown_solver_is_one_line_with_a_suggestion():
    result = run_cli("new", "lstm-froward")
    (line,) = error_lines(result)
    assert result.stdout == ""
    assert "did you mean 'lstm-forward'" in line
    assert all(name in line for name in SOLVERS)


def test_new_out_writes_a_file_and_never_overwrites(tmp_path):
    target = tmp_path / "p.yaml"
    assert run_cli("new", "mse", "--out", str(target)).returncode == 0
    assert target.read_text() == solver_module("mse").TEMPLATE
    target.write_text("my own problem\n")
    (line,) = error_lines(run_cli("new", "mse", "--out", str(target)))
    assert "exists" in line
    assert target.read_text() == "my own problem\n"


# ----------------------------------------------------------------- check
def test_three_errors_in_one_file_are_three_lines(write):
    # An unknown key (the last line), a non-number (line 8: x[1][0]) and a wrong shape (line 5: W.f).
    text = P4.replace("W: {f: [[1, 2]],", "W: {f: [[1, 2, 3]],").replace("[0.5, -1]]", "[half, -1]]") + "hiden: 3\n"
    path = write("three.yaml", text)
    lines = error_lines(run_cli("check", path))
    assert len(lines) == 3, lines
    found = [LOCATED.match(line) for line in lines]
    assert all(found), lines
    assert [(m["file"], int(m["line"]), m["path"]) for m in found] == [
        (path, 5, "W.f"),
        (path, 8, "x[1][0]"),
        (path, text.count("\n"), "hiden"),
    ]
    assert "shape (1, 3), expected (1, 2)" in found[0]["message"]
    assert "'half', expected a finite number" in found[1]["message"]
    assert "unknown key" in found[2]["message"]


def test_independent_lstm_keys_are_all_checked(write):
    # A wrong weight used to hide the wrong h0 and y behind it.
    text = P4.replace("W: {f: [[1, 2]],", "W: {f: [[1]],").replace("h0: [0]", "h0: [0, 0]").replace("y: [0.5, 0.8]", "y: [0.5, 0.8, 1]")
    lines = error_lines(run_cli("check", write("hidden.yaml", text)))
    assert [LOCATED.match(line)["path"] for line in lines] == ["W.f", "h0", "y"], lines


def test_mse_errors_are_all_listed(write):
    text = "solver: mse\npred: [0.1, x]\ny: [1, 2]\nreduction: avg\nfoo: 1\n"
    lines = error_lines(run_cli("check", write("mse.yaml", text)))
    assert [LOCATED.match(line)["path"] for line in lines] == ["pred[1]", "reduction", "foo"], lines


def test_valid_problems_print_ok_lines():
    result = run_cli("check", str(PROBLEMS / "p4.yaml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ok: {PROBLEMS / 'p4.yaml'} (problem p4, lstm-forward)\n"
    assert result.stderr == ""


def test_folder_mixes_ok_and_errors_and_exits_2(write, tmp_path):
    write("a_good.yaml", P4)
    write("b_bad.yaml", P4.replace("id: p4", "id: p5").replace("c0: [0]", "c0: [zero]"))
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 2
    assert result.stdout == f"ok: {tmp_path / 'a_good.yaml'} (problem p4, lstm-forward)\n"
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"{tmp_path / 'b_bad.yaml'}:10: c0[0]: 'zero'")


def test_missing_and_unreadable_files_do_not_stop_the_others(write):
    good = write("good.yaml", P4)
    broken = write("broken.yaml", "solver: mse\npred: [1, 2\n")
    binary = write("binary.yaml", b"\x00\x01\x02")
    result = run_cli("check", "no/such.yaml", broken, binary, good)
    lines = error_lines(result)
    assert len(lines) == 3
    assert lines[0].startswith("no/such.yaml: no such file")
    assert lines[1].startswith(broken) and "invalid YAML" in lines[1]
    assert lines[2].startswith(binary)
    assert result.stdout == f"ok: {good} (problem p4, lstm-forward)\n"


def test_duplicate_ids_across_files(write):
    first = write("one.yaml", P4)
    second = write("two.yaml", P4)
    (line,) = error_lines(run_cli("check", first, second))
    assert line.startswith(f"{second}:2: id: id 'p4' is also the id of {first}")


def test_neither_problem_nor_submission(write):
    (line,) = error_lines(run_cli("check", write("what.yaml", "title: hello\n")))
    assert "neither 'solver'" in line and "nor 'answers'" in line


# ------------------------------------------------------------ submissions
SUBMISSION = """\
student: abuitano
answers:
  p3: {a: false, b: F, c: yes, d: false}
  p4: {"h[1]": 0.21741, "h[2]": -0.18988, mse: 0.5298}
"""


def test_valid_submission(write):
    path = write("abuitano.yaml", SUBMISSION)
    result = run_cli("check", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: {path} (submission abuitano")


def test_flat_submission_with_variant(write):
    path = write("s.yaml", 'variant: 3\nanswers: {"h[1]": 0.2, "h[2]": [0.1], mse: 1e-3}\n')
    result = run_cli("check", path)
    assert result.returncode == 0, result.stderr
    assert "submission s" in result.stdout and "variant 3" in result.stdout


def test_submission_errors_are_all_listed(write):
    text = SUBMISSION.replace("student: abuitano", "student: abuitano\nscore: 10") + "variant: -1\n"
    text = text.replace("mse: 0.5298", "mse: {value: 0.5}")
    lines = error_lines(run_cli("check", write("bad.yaml", text)))
    paths = sorted(LOCATED.match(line)["path"] for line in lines)
    assert paths == ["answers.p4.mse", "score", "variant"], lines


def test_submission_answers_must_be_a_mapping(write):
    (line,) = error_lines(run_cli("check", write("s.yaml", "student: x\nanswers: [1, 2]\n")))
    assert "answers" in line and "expected a mapping" in line
