"""Solution sheets: `--format markdown` and `--format latex` (a document pdflatex compiles).

Expected numbers are SPEC §5's reference results, rounded by hand to the
digits shown; the LaTeX is compiled for real wherever pdflatex is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import PROBLEMS, run_cli

from lstmhw.render.latex import name_tex, tex_math, tex_text
from lstmhw.solvers import SOLVERS, solver_module

P4 = str(PROBLEMS / "p4.yaml")
P1 = PROBLEMS / "p1.yaml"
PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")

# A title and note-like text with every character LaTeX and markdown treat specially.
NASTY_TITLE = 'Costs: 50% & #1 of {x_t} ~ $5 ^ back\\slash | *stars* <b> σ≈½ — café'


def sheet(*args: str) -> str:
    result = run_cli("solve", *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def compile_latex(text: str, folder) -> subprocess.CompletedProcess:
    (folder / "sheet.tex").write_text(text, encoding="utf-8")
    return subprocess.run(
        [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "sheet.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_compiles(text: str, folder) -> None:
    result = compile_latex(text, folder)
    log = result.stdout[-3000:]
    assert result.returncode == 0, log
    pdf = folder / "sheet.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF"), log
    # Only the Type 1 fonts texlive ships: no METAFONT bitmap (.pk) fallbacks.
    used = (folder / "sheet.log").read_text(errors="replace")
    assert "/pk/" not in used, used[-2000:]
    # Nothing runs off the page: no line more than 10pt wider than the text.
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", used)]
    assert all(w <= 10 for w in overfull), [line for line in used.splitlines() if "Overfull" in line]


def templates(tmp_path) -> list[str]:
    paths = []
    for name in sorted(SOLVERS):
        path = tmp_path / f"template-{name}.yaml"
        path.write_text(solver_module(name).TEMPLATE, encoding="utf-8")
        paths.append(str(path))
    return paths


# -------------------------------------------------------------- markdown
def test_markdown_p4_shows_the_answers():
    text = sheet(P4, "--format", "markdown")
    # SPEC §5: h[1] = 0.217415, h[2] = -0.189882, mse = 0.529861
    assert "- `h[1]` = 0.2174" in text
    assert "- `h[2]` = -0.1899" in text
    assert "- `mse` = 0.5299" in text
    # The asked step is marked and bold in its table, with its formula.
    assert "| ▶ | **`h[1]`** | `o[1]⊙tanh(c[1])` | **0.2174** |" in text
    assert text.startswith("# Solutions\n\n## p4 — LSTM forward pass and MSE loss\n")


def test_markdown_digits():
    text = sheet(P4, "--format", "markdown", "--digits", "6")
    assert "- `h[1]` = 0.217415" in text
    assert "- `mse` = 0.529861" in text


def test_markdown_tables_are_well_formed(tmp_path):
    text = sheet(str(PROBLEMS), *templates(tmp_path), "--format", "markdown")
    table: list[str] = []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            # Cells split on pipes that are not escaped; every row as wide as the header.
            widths = {len(re.split(r"(?<!\\)\|", row)) for row in table}
            assert len(widths) == 1, table
            assert re.fullmatch(r"\|(-{3}|-{2}:)(\|(-{3}|-{2}:))+\|", table[1]), table[1]
            table = []


def test_markdown_escapes_text(write):
    text = (PROBLEMS / "p4.yaml").read_text().replace("title: LSTM forward pass and MSE loss", f"title: {NASTY_TITLE!r}".replace("'", '"', 1)[:-1] + '"')
    path = write("nasty.yaml", text.replace('"Costs', '"Costs'))
    out = sheet(path, "--format", "markdown")
    heading = next(line for line in out.splitlines() if line.startswith("## "))
    assert r"\| \*stars\* \<b\>" in heading
    assert r"\{x\_t\}" in heading


def test_markdown_matrix_values_on_one_line():
    if not P1.exists():
        pytest.skip("problems/p1.yaml (adam) not there yet")
    text = sheet(str(P1), "--format", "markdown")
    # SPEC §5 p1 W[2], to 4 decimals.
    assert "- `W[2]` = [[-0.1823, 0.3082, 0.6742], [0.5023, -0.8582, -0.9339]]" in text


# ----------------------------------------------------------------- latex
def test_latex_p4_is_a_complete_document():
    text = sheet(P4, "--format", "latex")
    assert text.lstrip("%").split("\n", 1)[1].startswith("\\documentclass")
    for needed in (r"\usepackage{amsmath}", r"\usepackage{amssymb}", r"\begin{document}", r"\begin{align*}"):
        assert needed in text
    assert text.rstrip().endswith(r"\end{document}")
    assert text.isascii(), "pdflatex must never meet a Unicode character it has no glyph for"
    assert r"\blacktriangleright\; h_{1} &= o_{1} \odot \tanh(c_{1}) = \boxed{0.2174}" in text
    assert r"x_{2} &= \begin{bmatrix} 0.5000 \\ -1.0000 \end{bmatrix}" in text
    assert r"h_{2} &= -0.1899 && \text{(\texttt{h[2]})}" in text


def test_latex_matrix_is_a_bmatrix():
    if not P1.exists():
        pytest.skip("problems/p1.yaml (adam) not there yet")
    text = sheet(str(P1), "--format", "latex")
    assert (
        r"\boxed{\begin{bmatrix} -0.1823 & 0.3082 & 0.6742 \\ 0.5023 & -0.8582 & -0.9339 \end{bmatrix}}" in text
    )


@pytest.mark.parametrize(
    "name, symbol",
    [
        ("h[1]", "h_{1}"),
        ("z_f[2]", "z_{f,2}"),
        ("c_tilde[1]", r"\tilde{c}_{1}"),
        ("V_corr[2]", r"V_{\mathrm{corr},2}"),
        ("phi_prime", r"\varphi'"),
        ("critical_W", r"W_{\mathrm{critical}}"),
        ("sq_err[3]", "e_{3}^{2}"),
        ("sigma_max", r"\sigma_{\mathrm{max}}"),
        ("dh[2]", "dh_{2}"),
        ("dz_f[1]", "dz_{f,1}"),
        ("dW_h", "dW_{h}"),
        ("dc_tilde[1]", r"d\tilde{c}_{1}"),
        ("dyhat[2]", r"d\hat{y}_{2}"),
        ("yhat[1]", r"\hat{y}_{1}"),
    ],
)
def test_step_names_as_symbols(name, symbol):
    assert name_tex(name) == symbol


def test_text_inside_solver_latex_is_escaped():
    assert tex_math(r"\text{h_t & 50%} + x_{1} \text{is $h_t$}") == r"\text{h\_t \& 50\%} + x_{1} \text{is $h_t$}"
    assert tex_math("σ(z)⊙c̃") == r"\sigma (z)\odot \tilde{c}"


def test_text_escaping():
    assert tex_text("50% & #1 {x_t} $") == r"50\% \& \#1 \{x\_t\} \ensuremath{\$}"
    assert tex_text("a\\b ~ ^ |") == r"a\ensuremath{\backslash}b \ensuremath{\sim} \^{} \ensuremath{|}"
    assert tex_text("σ ≈ c̃") == r"\ensuremath{\sigma} \ensuremath{\approx} \ensuremath{\tilde{c}}"
    assert tex_text("✓") == "?"  # no glyph: replaced rather than breaking the build


@needs_pdflatex
def test_latex_sheet_of_the_bundled_problems_compiles(tmp_path):
    assert_compiles(sheet(str(PROBLEMS), "--format", "latex"), tmp_path)


@needs_pdflatex
def test_latex_sheet_of_every_example_compiles(tmp_path):
    examples = PROBLEMS.parent / "examples"
    assert len(list(examples.glob("*.yaml"))) >= 7  # one per solver of the rest of the unit
    assert_compiles(sheet(str(examples), "--format", "latex"), tmp_path)


@needs_pdflatex
def test_latex_sheet_of_every_template_compiles(tmp_path):
    assert_compiles(sheet(*templates(tmp_path), "--format", "latex", "--digits", "6"), tmp_path)


@needs_pdflatex
def test_latex_with_hostile_text_compiles(write, tmp_path):
    text = (PROBLEMS / "p4.yaml").read_text().replace(
        "title: LSTM forward pass and MSE loss", "title: " + '"' + NASTY_TITLE.replace("\\", "\\\\") + '"'
    ).replace("id: p4", "id: p4_final#2")
    assert_compiles(sheet(write("nasty.yaml", text), "--format", "latex"), tmp_path)


@needs_pdflatex
def test_a_broken_document_does_fail_to_compile(tmp_path):
    # The compile check itself can fail: an unescaped underscore in text stops pdflatex.
    broken = sheet(P4, "--format", "latex").replace(r"\section*{p4", r"\section*{p4_x")
    assert compile_latex(broken, tmp_path).returncode != 0


# ------------------------------------------------------- other commands
def test_sheets_from_the_mse_and_lstm_forward_commands():
    result = run_cli("mse", "--pred", "0.21741 -0.18988", "--y", "0.5 0.8", "--format", "latex")
    assert result.returncode == 0, result.stderr
    assert r"\mathrm{mse} &= \frac{1}{2}\sum_{k=1}^{2} e_k^2 = \boxed{0.5299}" in result.stdout
    result = run_cli("lstm-forward", P4, "--format", "markdown", "--x", "1 0; 0.5 -1")
    assert result.returncode == 0, result.stderr
    assert "- `h[1]` = 0.2174" in result.stdout


def test_sheet_out_file(tmp_path):
    target = tmp_path / "p4.md"
    result = run_cli("solve", P4, "--format", "markdown", "--out", str(target))
    assert result.returncode == 0 and result.stdout == ""
    assert "- `h[1]` = 0.2174" in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["p4.md"]  # no temporary file left


def test_unknown_format_is_one_line():
    result = run_cli("solve", P4, "--format", "docx")
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "markdown" in line and "latex" in line
