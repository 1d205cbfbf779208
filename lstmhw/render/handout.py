"""``lstmhw handout``: the problem sheet students get, in Markdown or LaTeX.

Per problem: its title, its statement, the givens (:func:`lstmhw.sheet.givens`) and
what is asked, under the names students answer with, with each one's shape. It is
built from the givens and the asked names alone: no asked or derived value is ever
passed to these functions' output (the tests check every value of every bundled
problem against it). The numbers are set by the solution sheets' own renderers.
"""

from __future__ import annotations

from collections.abc import Sequence

from lstmhw import __version__
from lstmhw.render import latex, markdown
from lstmhw.sheet import Asked, SheetProblem, asked, givens

HANDOUT_FORMATS = ("markdown", "latex")
DIGITS = 4  # numbers with at least four significant figures, as on every sheet
HOW_TO_ANSWER = "Answer each asked quantity under its name as written here"


def _points(item: Asked) -> str:
    if item.points is None:
        return ""
    return f" ({item.points:g} point{'' if item.points == 1 else 's'})"


def _title(variant: int | None) -> str:
    return "Problem sheet" + (f", variant {variant}" if variant is not None else "")


# --------------------------------------------------------------------- markdown
def _asked_markdown(item: Asked) -> str:
    what = item.shape_text
    if item.question:
        what = f"“{markdown.text(item.question)}”: {what}"
    return f"- {markdown.code(item.name)} — {what}{_points(item)}"


def problem_markdown(sheet: SheetProblem) -> str:
    problem = sheet.problem
    heading = markdown.text(sheet.id) + (f" — {markdown.text(problem.title)}" if problem.title else "")
    lines = [f"## {heading}", ""]
    lines += markdown.statement_markdown(problem.statement)
    lines += markdown.givens_markdown(givens(problem, sheet.trace), DIGITS)
    lines += ["### Asked", ""] + [_asked_markdown(item) for item in asked(problem, sheet.trace)] + [""]
    return "\n".join(lines)


def render_markdown(sheets: Sequence[SheetProblem], variant: int | None = None) -> str:
    intro = f"{HOW_TO_ANSWER} (`h[1]`, `W[2]`); a matrix as rows, `[[1, 2], [3, 4]]`."
    return f"# {_title(variant)}\n\n{intro}\n\n" + "\n---\n\n".join(problem_markdown(s) for s in sheets)


# ------------------------------------------------------------------------ latex
def _asked_tex(item: Asked) -> str:
    what = latex.tex_text(item.shape_text)
    if item.question:
        what = f"``{latex.tex_text(item.question)}'': {what}"
    return rf"\item \texttt{{{latex.tex_text(item.name)}}} (${latex.name_tex(item.name)}$): {what}{latex.tex_text(_points(item))}"


def problem_latex(sheet: SheetProblem) -> str:
    problem = sheet.problem
    heading = latex.tex_text(sheet.id) + (" --- " + latex.tex_text(problem.title) if problem.title else "")
    lines = [rf"\section*{{{heading}}}", ""]
    lines += latex.statement_tex(problem.statement)
    lines += latex.givens_tex(givens(problem, sheet.trace), DIGITS)
    lines += [r"\subsection*{Asked}", r"\begin{itemize}"]
    lines += [_asked_tex(item) for item in asked(problem, sheet.trace)]
    lines += [r"\end{itemize}", ""]
    return "\n".join(lines)


def render_latex(sheets: Sequence[SheetProblem], variant: int | None = None) -> str:
    """A complete document for plain pdflatex, with the solution sheets' preamble."""
    head = f"% Problem sheet written by lstmhw {__version__}; compile with: pdflatex FILE.tex\n"
    preamble = latex.PREAMBLE.replace("MAX_COLS", str(latex.SUMMARY_ELEMENTS))
    preamble = preamble.replace(r"\title{Solutions}", rf"\title{{{_title(variant)}}}")
    intro = latex.tex_text(HOW_TO_ANSWER) + r" (\texttt{h[1]}, \texttt{W[2]}); a matrix as rows, \texttt{[[1, 2], [3, 4]]}."
    body = "\n\\bigskip\n".join(problem_latex(s) for s in sheets)
    return head + preamble + "\n" + intro + "\n\n" + body + "\n\\end{document}\n"
