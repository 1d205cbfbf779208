"""Bad problem files: one line on stderr naming file, line and key path; exit 2; nothing on stdout."""

from __future__ import annotations

import time

import pytest
from conftest import PROBLEMS, one_error_line, run_cli

from lstmhw.errors import LstmhwError
from lstmhw.problem import load_problem
from lstmhw.yamlio import parse_yaml

P4 = (PROBLEMS / "p4.yaml").read_text()



CASES = [
    # (name, file text, fragments the one line must contain)
    ("syntax", "solver: lstm-forward\nW: {f: [[1, 2]]\n", ["syntax.yaml:", "invalid YAML"]),
    (
        "shape",
        P4.replace("W: {f: [[1, 2]],", "W: {f: [[1, 2], [3, 4]],"),
        ["shape.yaml:5:", "W.f", "shape (2, 2), expected (1, 2) for hidden size 1 and input size 2"],
    ),
    ("nonnumber", P4.replace("b: {f: [0.2],", "b: {f: [abc],"), ["nonnumber.yaml:7:", "b.f[0]", "'abc', expected a finite number"]),
    ("nan", P4.replace("b: {f: [0.2],", "b: {f: [.nan],"), ["b.f[0]", "'.nan'", "finite number"]),
    ("unknown", P4 + "hiden: 3\n", [f"unknown.yaml:{P4.count(chr(10)) + 1}:", "hiden", "unknown key"]),
    ("misspelt", P4.replace("h0: [0]", "hO: [0]"), ["hO", "did you mean 'h0'"]),
    ("missing", P4.replace("x: [[1, 0], [0.5, -1]]   # one row per time step\n", ""), ["missing key 'x'"]),
    ("solver", P4.replace("solver: lstm-forward", "solver: lstm-froward"), ["solver.yaml:4:", "solver", "did you mean 'lstm-forward'"]),
    ("nosolver", "id: x\nx: 1\n", ["missing key 'solver'"]),
    ("ragged", P4.replace("x: [[1, 0], [0.5, -1]]", "x: [[1, 0], [0.5]]"), ["x[1]", "ragged"]),
    ("ask", P4.replace('ask: ["h[1]", "h[2]", mse]', 'ask: ["h[3]"]'), ["ask[0]", "'h[3]' is not a quantity"]),
    ("empty", "", ["empty file"]),
    ("list", "- 1\n- 2\n", ["a list, expected a YAML mapping"]),
    ("tag", "solver: !!python/object/apply:os.system ['echo hacked']\n", ["tag", "not allowed"]),
    ("dupkey", "solver: mse\nsolver: mse\npred: 1\ny: 1\n", ["appears twice"]),
]


@pytest.mark.parametrize("name, text, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_file_gives_one_located_line(name, text, fragments, write):
    path = write(f"{name}.yaml", text)
    line = one_error_line(run_cli("solve", path))
    for fragment in fragments:
        assert fragment in line, line


def test_tag_runs_no_code(write, tmp_path):
    marker = tmp_path / "ran"
    path = write("evil.yaml", f"solver: !!python/object/apply:os.system ['touch {marker}']\n")
    one_error_line(run_cli("solve", path))
    assert not marker.exists()


def test_yaml11_string_numbers_are_numbers(write):
    path = write("sci.yaml", "solver: mse\npred: [1e-8, 1E3, 017]\ny: [0, 0, 0]\nreduction: sum\n")
    problem = load_problem(path)
    assert list(problem.params.pred) == [1e-8, 1000.0, 17.0]  # 017 is seventeen, not octal 15


def test_alias_bomb_is_refused_fast():
    bomb = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    for level in range(1, 10):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        bomb += f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]\n"
    started = time.perf_counter()
    with pytest.raises(LstmhwError, match="aliases are expanded"):
        parse_yaml(bomb, "bomb.yaml")
    assert time.perf_counter() - started < 120  # a hang guard: 10^10 values described would never finish


def test_self_referencing_alias_is_refused():
    with pytest.raises(LstmhwError, match="refers to itself"):
        parse_yaml("a: &a [1, *a]\n", "loop.yaml")


def test_deep_nesting_is_refused():
    with pytest.raises(LstmhwError, match="nesting deeper"):
        parse_yaml("x: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yaml")


def test_not_utf8_is_refused(write):
    path = write("latin1.yaml", "solver: mse\ntitle: caf\xe9\n".encode("latin-1"))
    line = one_error_line(run_cli("solve", path))
    assert "latin1.yaml:2:" in line and "not UTF-8" in line


def test_out_file_is_not_written_on_error(write, tmp_path):
    out = tmp_path / "out.json"
    path = write("bad.yaml", "solver: mse\npred: [1]\n")
    one_error_line(run_cli("solve", path, "--format", "json", "--out", str(out)))
    assert not out.exists()
