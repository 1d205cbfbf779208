"""Messages that blame the right place: the flag, not a file; what to type; no clashing templates."""

from __future__ import annotations

import json

from conftest import PROBLEMS, one_error_line, run_cli

P4 = str(PROBLEMS / "p4.yaml")


def test_a_bad_flag_value_names_the_flag_not_the_file():
    result = run_cli("lstm-forward", P4, "--x", "1 0 0.5")
    assert result.returncode == 2
    line = one_error_line(result)
    assert line.startswith("lstmhw: --x: shape (1, 3), expected (T, 2)"), line
    assert "p4.yaml" not in line


def test_an_error_in_the_file_still_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text((PROBLEMS / "p4.yaml").read_text().replace("h0: [0]", "h0: [0, 1]"), encoding="utf-8")
    line = one_error_line(run_cli("lstm-forward", str(path), "--x", "1 0; 0.5 -1"))
    assert "bad.yaml:" in line and "h0" in line, line


def test_a_missing_flag_is_named():
    result = run_cli("rnn-gradient", "--activation", "tanh", "--steps", "10")
    assert result.returncode == 2
    assert one_error_line(result) == "lstmhw: --target is missing, expected a value for it (see --help)"


def test_flag_values_of_the_optimizers_name_their_flags():
    assert one_error_line(run_cli("adam", "--W", "1 2", "--grad", "1 2", "--beta1", "2")) == "lstmhw: --beta1: 2, expected a number < 1"
    assert one_error_line(run_cli("momentum", "--W", "1 2", "--grad", "1")).startswith("lstmhw: --grad: shape ()")


def test_an_unknown_option_suggests_the_one_meant():
    line = one_error_line(run_cli("adam", "--alpha", "0.1", "--W", "1", "--grad", "1"))
    assert "no such option --alpha (did you mean '--lr'?)" in line and "--beta1" in line, line
    assert "(did you mean '--beta1'?)" in one_error_line(run_cli("adam", "--betaa1", "0.9"))
    assert "(did you mean '--beta'?)" in one_error_line(run_cli("rmsprop", "--alpha", "0.9"))


def test_templates_in_one_folder_get_distinct_ids_and_out_creates_the_folder(tmp_path):
    folder = tmp_path / "hw5" / "week2"
    for name in ("p1", "p2"):
        result = run_cli("new", "lstm-forward", "--out", str(folder / f"{name}.yaml"))
        assert result.returncode == 0, result.stderr
    (folder / "p3.yaml").write_text(run_cli("new", "lstm-forward").stdout, encoding="utf-8")
    result = run_cli("solve", str(folder), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [p["id"] for p in json.loads(result.stdout)["problems"]] == ["p1", "p2", "p3"]
