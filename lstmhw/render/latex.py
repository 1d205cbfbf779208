"""``--format latex``: a complete solution sheet that compiles with plain pdflatex.

Only ``amsmath`` and ``amssymb`` are used (both in Debian's
texlive-latex-base).  Each step group is one ``align*``: the step's symbol,
its formula (the step's LaTeX, never its Unicode text) and its value;
matrices and vectors are ``bmatrix``; asked quantities are marked ▶ and boxed,
then listed under "Answers" with the names the homework uses.

pdflatex stops on a Unicode character it has no glyph for, so every piece of
text is escaped (:func:`tex_text`) and any Unicode left in a solver's LaTeX is
mapped to a command (:func:`tex_math`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lstmhw import __version__
from lstmhw.render.values import SUMMARY_ELEMENTS, number_text, number_texts, value_text
from lstmhw.trace import Step, Trace

COLUMN_VECTOR_MAX = 6  # a longer vector is printed as a transposed row

# Unicode that solvers and notes use, as math-mode LaTeX.
UNICODE_MATH = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "η": r"\eta", "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu", "π": r"\pi", "ρ": r"\rho",
    "σ": r"\sigma", "τ": r"\tau", "φ": r"\varphi", "ϕ": r"\phi", "ω": r"\omega",
    "Δ": r"\Delta", "Σ": r"\Sigma", "∑": r"\sum", "∂": r"\partial", "∇": r"\nabla",
    "⊙": r"\odot", "∘": r"\circ", "·": r"\cdot", "×": r"\times", "−": "-", "±": r"\pm",
    "≈": r"\approx", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≪": r"\ll", "≫": r"\gg",
    "→": r"\to", "←": r"\leftarrow", "⇒": r"\Rightarrow", "∞": r"\infty", "√": r"\surd",
    "∈": r"\in", "∼": r"\sim", "…": r"\ldots", "⋯": r"\cdots", "‖": r"\|", "′": "'",
    "²": "^{2}", "³": "^{3}", "½": r"\tfrac{1}{2}", "⁻": "^{-}", "¹": "^{1}", "ᵀ": r"^{\top}",
    "▶": r"\blacktriangleright",
}
UNICODE_TEXT = {"–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "\u00a0": "~"}
# Symbols the default OT1 text font lacks are taken from the math fonts
# (\textbar and friends would pull in TS1 fonts that need METAFONT).
TEXT_ESCAPES = {
    "\\": r"\ensuremath{\backslash}", "{": r"\{", "}": r"\}", "$": r"\ensuremath{\$}", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\ensuremath{\sim}",
    "<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}",
}
GREEK = {"alpha", "beta", "gamma", "delta", "eta", "theta", "lambda", "mu", "pi", "rho", "sigma", "tau", "omega"}
# Names whose usual symbol is not their spelling (the loss steps write e_k in their formulas).
SYMBOLS = {"err": ("e", ""), "sq_err": ("e", "^{2}"), "yhat": (r"\hat{y}", "")}
# A gradient named d + a one-letter symbol (dh[2], dz_f[1], dW_h, dc_tilde[1], dyhat[2]) is written d + that symbol.
_GRADIENT = re.compile(r"d([A-Za-z](?:_[A-Za-z0-9_]*)?|yhat)")
_TILDED = re.compile("(.)\u0303")  # c̃: a letter followed by a combining tilde


def _latin1_letter(ch: str) -> bool:
    # pdflatex's utf8 input handles Latin-1 letters (é, ü, ß) with the default fonts.
    return 0xC0 <= ord(ch) <= 0xFF and ch not in "×÷"


def tex_text(raw: str) -> str:
    """Text for a LaTeX paragraph or heading: specials escaped, Unicode mapped or replaced."""
    out = []
    for ch in _TILDED.sub(lambda m: "\x00" + m.group(1), str(raw)):
        if out and out[-1] == "\x00":  # the letter that carried a combining tilde
            out[-1] = rf"\ensuremath{{\tilde{{{ch}}}}}"
        elif ch == "\x00" or ord(ch) < 128 and ch not in TEXT_ESCAPES:
            out.append(" " if ch in "\r\n\t" else ch)
        elif ch in TEXT_ESCAPES:
            out.append(TEXT_ESCAPES[ch])
        elif ch in UNICODE_TEXT:
            out.append(UNICODE_TEXT[ch])
        elif ch in UNICODE_MATH:
            out.append(rf"\ensuremath{{{UNICODE_MATH[ch]}}}")
        elif _latin1_letter(ch):
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def _escape_text_arguments(raw: str) -> str:
    """Escape ``_ ^ & % #`` left bare inside ``\\text{...}`` (outside ``$...$``).

    A solver writing ``\\text{h_t is ...}`` means the characters, but pdflatex
    would stop on them; the sheet must compile whatever a solver writes.
    """
    out, i = [], 0
    while True:
        start = raw.find("\\text{", i)
        if start < 0:
            out.append(raw[i:])
            return "".join(out)
        j = start + len("\\text{")
        out.append(raw[i:j])
        depth, in_math = 1, False
        while j < len(raw) and depth:
            ch = raw[j]
            if ch == "\\":
                out.append(raw[j : j + 2])
                j += 2
                continue
            if ch == "$":
                in_math = not in_math
            elif ch == "{" and not in_math:
                depth += 1
            elif ch == "}" and not in_math:
                depth -= 1
            elif not in_math and ch in "_&%#":
                ch = "\\" + ch
            elif not in_math and ch == "^":
                ch = "\\^{}"
            out.append(ch)
            j += 1
        i = j


def tex_math(raw: str) -> str:
    """A solver's LaTeX, made safe: text arguments escaped, stray Unicode as commands (else ``?``)."""
    raw = _escape_text_arguments(raw)
    raw = _TILDED.sub(lambda m: rf"\tilde{{{m.group(1)}}}", raw)
    out = []
    for ch in raw:
        if ord(ch) < 128:
            out.append(ch)
        elif ch in UNICODE_MATH:
            command = UNICODE_MATH[ch]
            # "\sigma(z)" is fine, but "\sigmaz" would be an unknown command.
            out.append(command + " " if command[-1].isalpha() else command)
        else:
            out.append("?")
    return "".join(out)


def _subscript_part(token: str) -> str:
    if len(token) == 1 and token.isalnum():
        return token
    return r"\mathrm{" + token.replace("_", r"\_") + "}"


def _index(index: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9,+\- ]*", index):
        return index.replace(" ", "")
    return r"\text{" + tex_text(index) + "}"


def name_tex(name: str) -> str:
    """A step name as a math symbol: ``z_f[1]`` → ``z_{f,1}``, ``c_tilde[2]`` → ``\\tilde{c}_{2}``, ``dW_h`` → ``dW_{h}``.

    A one-letter or Greek head keeps its other parts as subscripts
    (``V_corr[2]`` → ``V_{\\mathrm{corr},2}``); a word and a capital is the
    capital with the word below (``critical_W`` → ``W_{\\mathrm{critical}}``); any
    other name is set upright as written (``steps_to_target``).
    """
    match = re.fullmatch(r"([A-Za-z][A-Za-z0-9_]*)(?:\[(.*)\])?", name)
    if not match:
        return r"\text{" + tex_text(name) + "}"
    base, index = match.group(1), match.group(2)
    gradient = _GRADIENT.fullmatch(base)
    if gradient:
        return "d" + name_tex(gradient.group(1) + (f"[{index}]" if index is not None else ""))
    if base in SYMBOLS:
        symbol, power = SYMBOLS[base]
        return symbol + ("_{" + _index(index) + "}" if index else "") + power
    tokens = base.split("_")
    head, rest = tokens[0], tokens[1:]
    prime = ""
    if rest and rest[-1] == "prime":
        prime, rest = "'", rest[:-1]
    if rest and rest[-1] == "tilde" and len(head) == 1:
        head, rest = r"\tilde{" + head + "}", rest[:-1]
    elif head in GREEK or head == "phi":
        head = r"\varphi" if head == "phi" else "\\" + head
    elif len(head) != 1 and len(tokens) == 2 and len(rest[0]) == 1 and rest[0].isupper():
        # critical_W: the W that is critical, set as W_vanish is (W_{critical})
        head, rest = rest[0], [head]
    elif len(head) != 1:
        head, rest, prime = r"\mathrm{" + base.replace("_", r"\_") + "}", [], ""
    subscripts = [_subscript_part(t) for t in rest if t] + ([_index(index)] if index else [])
    return head + prime + ("_{" + ",".join(subscripts) + "}" if subscripts else "")


def number_tex(x: float, digits: int) -> str:
    return _tex_of(number_text(x, digits))


def _tex_of(text: str) -> str:
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def value_tex(value: Any, digits: int) -> str:
    """A value in math mode: a number, a ``bmatrix``, or words for what is not numeric."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return r"\text{" + ("true" if value else "false") + "}"
    if isinstance(value, str) or value is None:
        return r"\text{" + tex_text(value_text(value, digits)) + "}"
    array = np.asarray(value)
    if array.dtype == bool:
        return r"\text{" + tex_text(str(array.tolist()).lower()) + "}"
    if array.size == 1:
        return number_tex(float(array.reshape(-1)[0]), digits)
    if array.size > SUMMARY_ELEMENTS or array.ndim > 2:
        return r"\text{" + tex_text(value_text(value, digits)) + "}"
    flat = [_tex_of(text) for text in number_texts(array.reshape(-1).tolist(), digits)]
    if array.ndim == 1:
        if len(flat) <= COLUMN_VECTOR_MAX:
            return r"\begin{bmatrix} " + r" \\ ".join(flat) + r" \end{bmatrix}"
        return r"\begin{bmatrix} " + " & ".join(flat) + r" \end{bmatrix}^{\top}"
    columns = array.shape[1]
    rows = (" & ".join(flat[n : n + columns]) for n in range(0, len(flat), columns))
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


LINE_CHARS = 50  # visible characters of a formula line that fit the page beside a step's name and value
_COMMAND = re.compile(r"\\[A-Za-z]+|[{}^_&]|\\[,;! ]")
_CLAUSE = re.compile(r"(?<=[,:])\\ ")  # ",\ " and ":\ " end a clause of a long formula (solvers write them so)


def visible_length(latex: str) -> int:
    """Roughly how many characters ``latex`` sets (commands and braces do not count)."""
    return len(_COMMAND.sub("", latex))


def formula_lines(latex: str, room: int = LINE_CHARS) -> list[str]:
    """A long formula broken after its clauses, each line within ``room`` characters where it can be."""
    if visible_length(latex) <= room:
        return [latex]
    lines: list[str] = []
    for clause in _CLAUSE.split(latex):
        if lines and visible_length(lines[-1]) + visible_length(clause) <= room:
            lines[-1] += r"\ " + clause
        else:
            lines.append(clause)
    return lines


def _line(step: Step, asked: bool, digits: int) -> str:
    value = value_tex(step.value, digits)
    if asked:
        value = r"\boxed{" + value + "}"
    mark = r"\blacktriangleright\; " if asked else ""
    if step.given:
        return f"{mark}{name_tex(step.name)} &= {value}"
    # A formula too long for the page continues on the next lines, and the value follows it.
    parts = formula_lines(tex_math(step.latex), LINE_CHARS - min(visible_length(value), LINE_CHARS // 2))
    formula = " \\\\\n  &\\qquad ".join(parts)
    return f"{mark}{name_tex(step.name)} &= {formula} = {value}"


def trace_latex(trace: Trace, digits: int, problem: Any = None) -> str:
    """One problem's solution; with its ``problem``, the statement and the givens come first."""
    asked = set(trace.asked)
    heading = tex_text(trace.problem_id) + (" --- " + tex_text(trace.title) if trace.title else "")
    lines = [rf"\section*{{{heading}}}", ""]
    if problem is not None:
        from lstmhw.sheet import givens

        lines += statement_tex(problem.statement) + givens_tex(givens(problem, trace), digits)
    intro = r"Solver \texttt{" + tex_text(trace.solver) + "}."
    if trace.asked:
        intro += r" Asked quantities are marked $\blacktriangleright$ and their values boxed."
    lines += [intro, ""]
    for group, steps in trace.groups():
        if group:
            lines.append(rf"\subsection*{{{tex_text(group)}}}")
        lines.append(r"\begin{align*}")
        lines.append(" \\\\\n".join(_line(s, s.name in asked, digits) for s in steps))
        lines.append(r"\end{align*}")
        notes = [s for s in steps if s.note]
        if notes:
            lines.append(r"\begin{itemize}")
            lines += [rf"\item ${name_tex(s.name)}$: {tex_text(s.note)}" for s in notes]
            lines.append(r"\end{itemize}")
        lines.append("")
    present = [q for q in trace.asked if q in trace]
    if present:
        lines.append(r"\subsection*{Answers}")
        lines.append(r"\begin{align*}")
        rows = [
            rf"{name_tex(q)} &= {value_tex(trace.value(q), digits)} && \text{{(\texttt{{{tex_text(q)}}})}}"
            for q in present
        ]
        lines.append(" \\\\\n".join(rows))
        lines.append(r"\end{align*}")
        lines.append("")
    return "\n".join(lines)


PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage{amsmath}
\usepackage{amssymb}
\setcounter{MaxMatrixCols}{MAX_COLS}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
% Long ids and words in text break at a space rather than run into the margin.
\sloppy
% The default OT1 font has no underscore or bullet: without these two lines
% pdflatex falls back to TS1 fonts that only exist as METAFONT bitmaps.
\DeclareTextCommand{\textunderscore}{OT1}{\leavevmode\kern.06em\vbox{\hrule width.3em}}
\renewcommand{\labelitemi}{$\bullet$}
\title{Solutions}
\author{}
\date{}
\begin{document}
\maketitle
"""


def render_traces(traces: Sequence[Trace], digits: int, problems: Sequence[Any] | None = None) -> str:
    """The whole document, from ``\\documentclass`` to ``\\end{document}`` (with ``problems``: each
    problem's statement and givens before its steps)."""
    head = f"% Solution sheet written by lstmhw {__version__}; compile with: pdflatex FILE.tex\n"
    body = "\n\\clearpage\n".join(trace_latex(t, digits, problems[n] if problems else None) for n, t in enumerate(traces))
    return head + PREAMBLE.replace("MAX_COLS", str(SUMMARY_ELEMENTS)) + "\n" + body + "\n\\end{document}\n"


# ------------------------------------------------- problem sheets (lstmhw.sheet)
# Commands a statement's inline $...$ math may use; math with anything else is set as text, so
# that the sheet compiles whatever a statement says.
MATH_COMMANDS = {
    *GREEK, "varepsilon", "epsilon", "varphi", "phi", "psi", "chi", "xi", "zeta", "nu", "kappa", "Delta", "Sigma",
    "Gamma", "Theta", "Lambda", "Omega", "Phi", "Psi", "odot", "cdot", "times", "circ", "otimes", "oplus", "pm", "mp",
    "tanh", "sigma", "exp", "log", "ln", "max", "min", "sup", "inf", "sqrt", "frac", "tfrac", "dfrac", "tilde", "hat",
    "bar", "vec", "dot", "partial", "nabla", "sum", "prod", "top", "leq", "geq", "le", "ge", "neq", "approx", "sim",
    "equiv", "in", "notin", "to", "rightarrow", "leftarrow", "mapsto", "infty", "ldots", "cdots", "dots", "mathbf",
    "mathrm", "mathit", "mathcal", "mathbb", "text", "quad", "qquad", "lVert", "rVert", "lvert", "rvert", "langle",
    "rangle", "ell", "forall", "exists", "cup", "cap", "subset", "mid", "prime",
}
_MATH_SPAN = re.compile(r"(?<![\\$])\$([^$\n]+)\$")
_INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|" + _MATH_SPAN.pattern)
_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s+")


def _safe_math(math: str) -> bool:
    """Whether inline math compiles for certain: known commands, balanced braces, no ``&``, ``#``,
    ``%``, no double or dangling sub/superscript."""
    depth = 0
    for ch in math:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    if depth or any(ch in math for ch in "&#%~"):
        return False
    if any(name not in MATH_COMMANDS for name in re.findall(r"\\([A-Za-z]+)", math)):
        return False
    if re.search(r"[_^]\s*($|[}_^])", math) or re.search(r"_(\w|\{[^{}]*\})_|\^(\w|\{[^{}]*\})\^", math):
        return False
    group = r"\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\w|\\[A-Za-z]+)"  # an argument: a group (one level of nesting), a letter, a command
    for match in re.finditer(r"\\(d?t?frac|sqrt|tilde|hat|bar|vec|dot|math[a-z]+|text)(?![A-Za-z])", math):
        needed = 2 if match.group(1).endswith("frac") else 1
        if not re.match(group * needed, math[match.end() :]):
            return False  # a command without its argument stops pdflatex
    return not re.search(r"\\[^A-Za-z,;:!{}| ]", math)


def inline_tex(raw: str) -> str:
    """One paragraph of Markdown as LaTeX: `code`, **bold**, *emphasis* and $math$; the rest as text."""
    out, i = [], 0
    for match in _INLINE.finditer(raw):
        out.append(tex_text(raw[i : match.start()]))
        code_span, bold, emphasis, math = match.groups()
        if code_span is not None:
            out.append(r"\texttt{" + tex_text(code_span) + "}")
        elif bold is not None:
            out.append(r"\textbf{" + inline_tex(bold) + "}")
        elif emphasis is not None:
            out.append(r"\emph{" + inline_tex(emphasis) + "}")
        elif _safe_math(math):
            out.append("$" + tex_math(math) + "$")
        else:
            out.append(tex_text(match.group(0)))
        i = match.end()
    out.append(tex_text(raw[i:]))
    return "".join(out)


def statement_tex(statement: str) -> list[str]:
    """A statement written in Markdown, as LaTeX: paragraphs, bulleted and numbered lists, headings
    as bold lines, and inline `code`, **bold**, *emphasis* and $math$ (see :func:`_safe_math`)."""
    lines: list[str] = []
    for block in re.split(r"\n\s*\n", statement.strip()):
        rows = [row for row in block.splitlines() if row.strip()]
        if not rows:
            continue
        if all(_LIST_ITEM.match(row) or row.startswith("  ") for row in rows) and _LIST_ITEM.match(rows[0]):
            numbered = bool(re.match(r"\s*\d", rows[0]))
            items: list[str] = []
            for row in rows:
                if _LIST_ITEM.match(row):
                    items.append(_LIST_ITEM.sub("", row, count=1))
                else:
                    items[-1] += " " + row.strip()
            env = "enumerate" if numbered else "itemize"
            lines += [rf"\begin{{{env}}}"] + [r"\item " + inline_tex(item) for item in items] + [rf"\end{{{env}}}"]
        elif rows[0].startswith("#"):
            lines.append(r"\textbf{" + inline_tex(rows[0].lstrip("#").strip()) + "}\n")
            if rows[1:]:
                lines.append(inline_tex(" ".join(r.strip() for r in rows[1:])))
        else:
            lines.append(inline_tex(" ".join(r.strip() for r in rows)))
        lines += [r"\smallskip", ""]  # paragraphs apart: the sheets set no paragraph indent
    return lines


PAIRED_WIDTH = 22  # givens at most this many characters wide are set two to a line
# Hyper-parameters as papers write them (a given's name is otherwise set as a step's: name_tex).
GIVEN_SYMBOLS = {"beta1": r"\beta_1", "beta2": r"\beta_2", "beta": r"\beta", "eps": r"\varepsilon", "lr": r"\mathrm{lr}"}


def _given_width(array: Any, digits: int) -> int:
    """About how many characters wide a given is set: a column vector is one number wide."""
    if array.size > SUMMARY_ELEMENTS or array.ndim > 2:
        return PAIRED_WIDTH + 1
    widest = max(len(t) for t in number_texts(array.reshape(-1).tolist(), digits)) + 2
    if array.ndim < 2 or array.size == 1:
        return widest if array.size <= COLUMN_VECTOR_MAX else widest * array.size
    return widest * array.shape[1]


def givens_tex(givens: Sequence[Any], digits: int, heading: str = r"\subsection*{Given}") -> list[str]:
    """The givens: numbers and matrices in an ``align*`` (small ones two to a line), words in a list;
    numbers with ``digits``, or more where the file writes more."""
    import numpy as np

    if not givens:
        return []
    lines = [heading]
    numbers = [g for g in givens if not g.text]
    if numbers:
        cells = []
        for g in numbers:
            shown = max(digits, g.digits)
            value = str(g.value) if isinstance(g.value, int) else value_tex(g.value, shown)
            small = isinstance(g.value, int) or _given_width(np.asarray(g.value), shown) <= PAIRED_WIDTH
            cells.append((f"{GIVEN_SYMBOLS.get(g.name) or name_tex(g.name)} &= {value}", small))
        rows: list[str] = []
        n = 0
        while n < len(cells):
            if cells[n][1] and n + 1 < len(cells) and cells[n + 1][1]:
                rows.append(f"{cells[n][0]} & {cells[n + 1][0]}")
                n += 2
            else:
                rows.append(cells[n][0])
                n += 1
        lines += [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
    words = [g for g in givens if g.text]
    if words:
        lines.append(r"\begin{itemize}")
        lines += [rf"\item \texttt{{{tex_text(g.name)}}}: {tex_text(g.text)}" for g in words]
        lines.append(r"\end{itemize}")
    return lines + [""]
