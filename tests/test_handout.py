"""`lstmhw handout`: the problem sheet, and the statement and givens on solution sheets.

The central check: no asked or derived value is on a handout. Every computed step
of every bundled and example problem is formatted the way the renderers format
numbers, at 1 to 6 digits, and looked for among the numbers the handout prints.
A token that a given also produces (the same text from a given number) proves
nothing and is let through; so is a derived value equal to a given one. The check
itself is shown to catch a leak: run on the solution sheet, it finds the answers.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import PROBLEMS, ROOT, one_error_line, run_cli
from test_sheets import assert_compiles, needs_pdflatex

from lstmhw.files import load_problems
from lstmhw.render import handout
from lstmhw.render.values import number_text
from lstmhw.sheet import sheet_problems
from lstmhw.trace import numeric

EXAMPLES = ROOT / "examples"
FILES = sorted(PROBLEMS.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))
IDS = [f"{f.parent.name}/{f.stem}" for f in FILES]
DIGITS = range(2, 7)  # one figure does not give an answer (SPEC §4.2 wants two)

_NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]\d+)?|-?\d+e[-+]\d+")
_TEX_POWER = re.compile(r"(-?\d+(?:\.\d+)?) \\times 10\^\{(-?\d+)\}")


def printed_numbers(text: str) -> set[str]:
    """Every number with a decimal point or an exponent in ``text``; LaTeX's ``m \\times 10^{e}``
    read back as the ``me±XX`` the renderers start from."""
    text = _TEX_POWER.sub(lambda m: f"{m.group(1)}e{int(m.group(2)):+03d}", text)
    return set(_NUMBER.findall(text))


def elements(value) -> list[float]:
    array = numeric(value)
    return [] if array is None else [float(v) for v in array.reshape(-1)]


def leaks(sheet, text: str) -> list[str]:
    """Derived values of ``sheet`` printed in ``text`` (see the module docstring)."""
    given = [v for step in sheet.trace if step.given for v in elements(step.value)]
    given += [float(g) for g in _file_numbers(sheet.problem.doc.data)]
    allowed = {number_text(g, d) for g in given for d in DIGITS}
    printed = printed_numbers(text) - allowed
    found = []
    for step in sheet.trace:
        if step.given:
            continue
        for v in elements(step.value):
            if any(abs(v - g) <= 1e-9 * max(1.0, abs(g)) for g in given):
                continue  # equal to a given: printing it says nothing about the answer
            for d in DIGITS:
                if number_text(v, d) in printed:
                    found.append(f"{step.name} = {v!r} as {number_text(v, d)}")
    return found


def _file_numbers(node):
    """Every number written in the problem file (hyper-parameters too)."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _file_numbers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _file_numbers(value)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield node


def sheets_of(path: Path, variant: int | None = None):
    return sheet_problems(load_problems([str(path)]), variant)


# ------------------------------------------------------------- no answers on it
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_handout_shows_no_asked_or_derived_value(path):
    (sheet,) = sheets_of(path)
    for text in (handout.render_markdown([sheet]), handout.render_latex([sheet])):
        assert leaks(sheet, text) == []
        for step in sheet.trace:  # words and verdicts: regime, claims
            if not step.given and isinstance(step.value, str):
                assert f"= {step.value}" not in text
        assert " is true" not in text and " is false" not in text


@pytest.mark.parametrize("name", ["p1.yaml", "p4.yaml"])
def test_a_variants_handout_shows_no_answer_either(name):
    (sheet,) = sheets_of(PROBLEMS / name, variant=3)
    assert leaks(sheet, handout.render_markdown([sheet])) == []
    assert leaks(sheet, handout.render_latex([sheet])) == []


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_the_leak_check_finds_the_answers_on_a_solution_sheet(fmt):
    # The check can fail: on the solution sheet it finds h[1] = 0.2174 (SPEC §5) and the rest.
    (sheet,) = sheets_of(PROBLEMS / "p4.yaml")
    result = run_cli("solve", str(PROBLEMS / "p4.yaml"), "--format", fmt)
    found = leaks(sheet, result.stdout)
    assert any(item.startswith("h[1] = ") and item.endswith(" as 0.2174") for item in found), found
    assert any(item.startswith("mse = ") for item in found)


def test_handout_lists_the_asked_names_and_shapes():
    text = run_cli("handout", str(PROBLEMS)).stdout
    p1 = text.split("## p1", 1)[1].split("## p2", 1)[0]
    asked = p1.split("### Asked", 1)[1]
    assert "- `V[2]` — a 2×3 matrix" in asked and "- `W[2]` — a 2×3 matrix" in asked
    p3 = text.split("## p3", 1)[1].split("## p4", 1)[0]
    assert "- `d` — “f\\[t\\], i\\[t\\], o\\[t\\] sum to 1”: true or false" in p3
    assert "gates-sum-to-one" not in p3  # the claim's words, not its internal id
    p4 = text.split("## p4", 1)[1]
    assert "- `h[1]` — a number" in p4 and "- `mse` — a number" in p4


def test_handout_shows_the_givens_as_the_file_writes_them():
    text = run_cli("handout", str(PROBLEMS / "p1.yaml")).stdout
    # problems/p1.yaml, by hand, with four significant figures as every number: W[1], g[2], hyper-parameters
    assert "- `W[1]` = [[-0.2200, 0.3300, 0.6700], [0.4900, -0.8600, -0.9000]]" in text
    assert "- `g[2]` = [[0.7800, 0.02000, 0.04000], [-0.8800, -0.1400, 1.0100]]" in text
    assert "- `beta2` = 0.9990" in text and "- `eps` = 1.000e-08" in text and "- `t` = 2" in text
    p4 = run_cli("handout", str(PROBLEMS / "p4.yaml")).stdout
    assert "- `W_f` = [[1.0000, 2.0000]]" in p4 and "- `U_c` = 1.5000" in p4 and "- `x[2]` = [0.5000, -1.0000]" in p4
    assert "- `loss`: reduction = mean" in p4
    assert "An LSTM with one hidden unit reads two inputs" in p4  # the statement


# ----------------------------------------------------------------- variants
def test_handout_variant_shows_variant_givens(tmp_path):
    drawn = run_cli("variant", str(PROBLEMS / "p4.yaml"), "--seed", "3")
    assert drawn.returncode == 0, drawn.stderr
    data = yaml.safe_load(drawn.stdout)
    text = run_cli("handout", str(PROBLEMS / "p4.yaml"), "--variant", "3").stdout
    assert text.startswith("# Problem sheet, variant 3\n")
    assert "## p4 — " in text  # answered under the original's id
    given = text.split("### Given", 1)[1].split("### Asked", 1)[0]
    shown = {float(t) for t in printed_numbers(given)}
    for gate in "fico":  # every weight of variant 3, as `lstmhw variant` writes it
        for number in np.asarray(data["W"][gate], dtype=float).reshape(-1).tolist() + [float(data["b"][gate][0])]:
            assert number in shown, (gate, number, given)
    original = run_cli("handout", str(PROBLEMS / "p4.yaml")).stdout.split("### Given", 1)[1].split("### Asked", 1)[0]
    assert given != original


def test_handout_variant_latex_compiles_and_differs():
    plain = run_cli("handout", str(PROBLEMS), "--format", "latex").stdout
    varied = run_cli("handout", str(PROBLEMS), "--format", "latex", "--variant", "5").stdout
    assert r"\title{Problem sheet, variant 5}" in varied and varied != plain


# ------------------------------------------------------------------ latex
@needs_pdflatex
@pytest.mark.parametrize("folder", [PROBLEMS, EXAMPLES], ids=["problems", "examples"])
def test_handout_latex_compiles(folder, tmp_path):
    result = run_cli("handout", str(folder), "--format", "latex")
    assert result.returncode == 0, result.stderr
    assert_compiles(result.stdout, tmp_path)


@needs_pdflatex
def test_handout_of_a_variant_compiles(tmp_path):
    assert_compiles(run_cli("handout", str(EXAMPLES), "--format", "latex", "--variant", "2").stdout, tmp_path)


@needs_pdflatex
def test_statement_with_hostile_markdown_compiles(write, tmp_path):
    statement = (
        "Costs: 50% & #1 of {x_t} ~ $5 ^ back\\\\slash | *stars* <b> σ≈½ — café\n\n"
        "- $\\frac{1}$ and $x_1_2$ and $\\input{/etc/passwd}$ and $h_t = o_t \\odot \\tanh(c_t)$\n"
        "- `code_with_underscores` and **bold $x^2$**\n\n# A heading\nand text"
    )
    text = (PROBLEMS / "p4.yaml").read_text().replace("statement: |\n", "statement: |\n  " + statement.replace("\n", "\n  ") + "\n", 1)
    path = write("hostile.yaml", text)
    sheet = run_cli("handout", path, "--format", "latex")
    assert sheet.returncode == 0, sheet.stderr
    assert r"$h_t = o_t \odot \tanh(c_t)$" in sheet.stdout  # safe math passes through
    assert "\\input{" not in sheet.stdout  # anything else is text
    assert_compiles(sheet.stdout, tmp_path)
    solution = run_cli("solve", path, "--format", "latex")
    assert_compiles(solution.stdout, tmp_path)


# ------------------------------------------------- solution sheets (issue #17)
def test_solution_sheets_show_statement_and_givens_before_the_steps():
    md = run_cli("solve", str(PROBLEMS / "p4.yaml"), "--format", "markdown").stdout
    assert md.index("An LSTM with one hidden unit") < md.index("### Given") < md.index("### t = 1")
    assert "- `W_f` = [[1.0000, 2.0000]]" in md and "- `b_o` = 0.8000" in md
    tex = run_cli("solve", str(PROBLEMS / "p1.yaml"), "--format", "latex").stdout
    given = tex.index(r"\subsection*{Given}")
    assert tex.index("The weights of a layer are updated with Adam") < given < tex.index(r"\subsection*{step k = 2}")
    assert r"\beta_2 &= 0.9990" in tex and r"\mathrm{lr} &= 0.1000" in tex
    flags = run_cli("adam", "--W", "1 2", "--grad", "0.5 -1", "--lr", "0.1", "--format", "markdown").stdout
    assert "- `lr` = 0.1000" in flags and "- `g[1]` = [0.5000, -1.0000]" in flags  # givens from flags too


# ------------------------------------------------------------- bad input
def test_statement_must_be_text(write):
    text = (PROBLEMS / "p4.yaml").read_text().replace("statement: |", "statement: [1, 2]\nold_statement: |", 1)
    line = text.splitlines().index("statement: [1, 2]") + 1
    result = run_cli("check", write("p.yaml", text))
    assert result.returncode == 2
    assert f":{line}: statement: a list of 2, expected text" in result.stderr


def test_unknown_key_near_statement_gets_did_you_mean(write):
    path = write("p.yaml", (PROBLEMS / "p4.yaml").read_text().replace("statement: |", "statment: |", 1))
    line = one_error_line(run_cli("handout", path))
    assert "statment: unknown key (did you mean 'statement'?)" in line


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--format", "html"], "--format: 'html', expected one of markdown, latex"),
        (["--variant", "-1"], "--variant: -1, expected a whole number ≥ 0"),
    ],
)
def test_bad_flags_are_one_line(args, expected):
    result = run_cli("handout", str(PROBLEMS / "p4.yaml"), *args)
    assert result.returncode == 2 and result.stdout == ""
    assert one_error_line(result) == f"lstmhw: {expected}"
