"""Output conventions: colour only on a terminal without NO_COLOR, --digits, --out, --version."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys

import pytest
from conftest import PROBLEMS, run_cli

from lstmhw import __version__

P4 = str(PROBLEMS / "p4.yaml")
ESC = "\x1b["


def colour_codes(text: str) -> list[str]:
    """SGR colour parameters (foreground/background, 16/256/true colour) in ``text``.

    NO_COLOR (no-color.org) forbids colour, not emphasis: bold may stay.
    """
    import re

    found = []
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        for p in filter(None, params.split(";")):
            n = int(p)
            if 30 <= n <= 38 or 40 <= n <= 48 or 90 <= n <= 97 or 100 <= n <= 107:
                found.append(p)
    return found


def run_in_terminal(*args: str, env: dict | None = None) -> str:
    """Run the CLI with stdout on a pseudo-terminal, as a student at a shell would."""
    controller, terminal = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update({"TERM": "xterm-256color", "COLUMNS": "120", **(env or {})})
    process = subprocess.Popen([sys.executable, "-m", "lstmhw", *args], stdout=terminal, stderr=terminal, env=full_env)
    os.close(terminal)
    chunks = []
    while True:
        ready, _, _ = select.select([controller], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(controller, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=30)
    os.close(controller)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_and_none_with_no_color():
    coloured = run_in_terminal("solve", P4)
    assert colour_codes(coloured) and "0.2174" in coloured  # asked rows are coloured
    plain = run_in_terminal("solve", P4, env={"NO_COLOR": "1"})
    assert colour_codes(plain) == [] and "0.2174" in plain


def test_no_colour_when_stdout_is_not_a_terminal():
    result = run_cli("solve", P4)
    assert result.returncode == 0
    assert ESC not in result.stdout
    assert "h[1]" in result.stdout and "▶" in result.stdout  # asked steps are marked without colour


def test_digits_sets_the_decimals_shown():
    four = run_cli("solve", P4).stdout
    six = run_cli("solve", P4, "--digits", "6").stdout
    assert "0.2174" in four and "0.217415" not in four
    assert "0.217415" in six and "-0.189882" in six


def test_out_writes_the_table_to_a_file(tmp_path):
    out = tmp_path / "p4.txt"
    result = run_cli("solve", P4, "--out", str(out))
    assert result.returncode == 0 and result.stdout == ""
    text = out.read_text()
    assert "0.2174" in text and ESC not in text


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"lstmhw {__version__}"


def test_solve_without_a_path_solves_the_bundled_homework():
    result = run_cli("solve", "--format", "json")
    assert result.returncode == 0, result.stderr
    import json

    ids = [p["id"] for p in json.loads(result.stdout)["problems"]]
    assert "p4" in ids and ids == sorted(ids)


@pytest.mark.parametrize("fmt", ["yaml", "xml"])
def test_unknown_format_is_a_usage_error(fmt):
    result = run_cli("solve", P4, "--format", fmt)
    assert result.returncode == 2 and result.stdout == ""
    assert "--format" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["grade"], "Missing argument"),
        (["nosuch"], "No such command 'nosuch'"),
        (["solve", P4, "--digits", "abc"], "Invalid value for '--digits'"),
        (["mse", "--y", "1"], "Missing option '--pred'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, fragment):
    result = run_cli(*args)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


def test_help_still_works():
    result = run_cli("--help")
    assert result.returncode == 0 and "solve" in result.stdout and "grade" in result.stdout
    bare = run_cli()
    assert bare.returncode == 0 and "Usage" in bare.stdout
    assert "Targets for h[t]." in run_cli("lstm-forward", "--help").stdout  # brackets are not markup


def test_brackets_in_titles_and_names_are_shown_as_written(write, tmp_path):
    text = (PROBLEMS / "p4.yaml").read_text().replace("title: LSTM forward pass and MSE loss", "title: h[t] from [bold]x[t]")
    path = write("p4.yaml", text)
    result = run_cli("solve", path)
    assert "h[t] from [bold]x[t]" in result.stdout
    sub = tmp_path / "s.yaml"
    sub.write_text('student: "[red]eve[t]"\nanswers: {"h[1]": 0.2}\n')
    graded = run_cli("grade", P4, str(sub), "--details")
    assert "[red]eve[t]" in graded.stdout


# ------------------------------------------------ small numbers keep their digits (≥ 4 significant figures)
SMALL_ADAM = """\
solver: adam
lr: 0.1
t: 1
W: [[0.5, -0.2], [0.1, 0.3]]
grads: [[[0.01, 0.01], [0.005, 0.02]], [[0.01, 0.01], [0.005, 0.02]], [[0.01, 0.01], [0.005, 0.02]]]
ask: ["S[3]", "V[1]"]
"""


def _significant(number: str) -> int:
    mantissa = number.lower().split("e")[0].lstrip("+-−")
    digits = mantissa.replace(".", "").lstrip("0")
    return len(digits) if digits else 99  # 0.0000: an exact zero


def test_small_values_show_four_significant_figures_in_every_format(tmp_path):
    import re

    path = tmp_path / "small.yaml"
    path.write_text(SMALL_ADAM, encoding="utf-8")
    # S[3] with a constant g from S[0] = 0: (1 − β2)(1 + β2 + β2²)·g², by hand
    factor = 0.001 * (1 + 0.999 + 0.999**2)
    s3 = [f"{factor * g * g:.3e}" for g in (0.01, 0.01, 0.005, 0.02)]
    assert s3[0] == "2.997e-07"
    for fmt in ("table", "markdown", "latex"):
        result = run_cli("solve", str(path), "--format", fmt, env={"COLUMNS": "120"})
        assert result.returncode == 0, result.stderr
        out = result.stdout
        mantissas = [m.split("e")[0] for m in s3]
        assert all(m in out for m in mantissas), (fmt, s3)
        if fmt == "latex":
            assert r"2.997 \times 10^{-7}" in out
        # every number printed beside the formulas: V[1] = 0.1·g = 0.001 is 1.000e-03, never 0.0010
        numbers = re.findall(r"(?<![\w.\[])-?\d+\.\d+(?:e[-+]\d+)?", out)
        assert numbers, fmt
        written = {"0.9", "0.999", "0.1"}  # the problem's own constants, in the formulas as written
        short = [n for n in numbers if _significant(n) < 4 and n not in written]
        assert not short, (fmt, short[:5])


def test_number_texts_by_hand():
    from lstmhw.render.values import number_texts

    assert number_texts([0.2174, 0.04630, -0.189882], 4) == ["0.2174", "0.04630", "-0.1899"]
    assert number_texts([5.994e-05, 0.00025, 0.5], 4) == ["5.994e-05", "2.500e-04", "5.000e-01"]
    assert number_texts([0.0, 12345.678], 4) == ["0.0000", "12345.6780"]
    assert number_texts([1.5e7], 4) == ["1.500e+07"]


def test_a_unicode_minus_is_a_minus_in_files_flags_and_answers(tmp_path):
    """−0.22 pasted from a PDF or a slide (U+2212) reads as -0.22 wherever a number is written."""
    expected = ((0.21741 - 0.5) ** 2 + (-0.18988 - 0.8) ** 2) / 2  # the mse by hand
    path = tmp_path / "m.yaml"
    path.write_text("solver: mse\npred: [0.21741, \u22120.18988]\ny: [0.5, 0.8]\n", encoding="utf-8")
    for args in (
        ("solve", str(path)),
        ("mse", "--pred", "0.21741 \u22120.18988", "--y", "0.5 0.8"),
        ("mse", "--pred", "[0.21741, \u22120.18988]", "--y", "[0.5, 0.8]"),
    ):
        result = run_cli(*args, "--format", "json")
        assert result.returncode == 0, (args, result.stderr)
        assert json.loads(result.stdout)["problems"][0]["quantities"]["mse"] == pytest.approx(expected, rel=1e-12)
    sub = tmp_path / "s.yaml"
    sub.write_text('student: s\nanswers:\n  "h[1]": 0.2174\n  "h[2]": "\u22120.1899"\n  mse: 0.5299\n', encoding="utf-8")
    result = run_cli("grade", str(PROBLEMS / "p4.yaml"), str(sub), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["submissions"][0]["problems"]["p4"]["h[2]"]["verdict"] == "correct"
