"""Table output: a value too wide for its column is summarized, never cut short with "…"."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from lstmhw.problem import problem_from_document
from lstmhw.render.table import traces_text
from lstmhw.render.values import SUMMARY_ELEMENTS, value_text
from lstmhw.solvers import run
from lstmhw.yamlio import parse_yaml


def lstm_problem(H: int, D: int = 8, T: int = 2) -> str:
    rng = np.random.default_rng(1)
    m = lambda r, c: np.round(rng.uniform(-0.5, 0.5, (r, c)), 3).tolist()  # noqa: E731
    v = lambda n: np.round(rng.uniform(-0.1, 0.1, n), 3).tolist()  # noqa: E731
    lines = [f"id: big{H}", "solver: lstm-forward"]
    for key, make in (("W", lambda: m(H, D)), ("U", lambda: m(H, H)), ("b", lambda: v(H))):
        lines.append(f"{key}: {{" + ", ".join(f"{g}: {make()}" for g in "fico") + "}")
    lines += [f"x: {m(T, D)}", f"h0: {v(H)}", f"c0: {v(H)}"]
    return "\n".join(lines) + "\n"


def width(line: str) -> int:
    return sum(1 for ch in line if not unicodedata.combining(ch))


def test_wide_vectors_are_summarized_not_cut():
    for H in (4, 16, 64, 100):
        trace = run(problem_from_document(parse_yaml(lstm_problem(H), f"big{H}.yaml")))
        text = traces_text([trace], 4)
        lines = text.splitlines()
        assert max(width(line) for line in lines) <= 120
        cut = [line for line in lines if "…" in line and " values [" not in line]
        assert not cut, cut[:3]
        if H == 4:
            assert " values [" not in text  # small values in full, as before
        else:
            assert f"{H} values [" in text
        assert "x[1]" in text and "[" in text  # the 8 inputs fit: shown in full
        assert f"{'x[1]':<6}" in text or "x[1] " in text


def test_value_text_unchanged_without_width():
    v = np.arange(SUMMARY_ELEMENTS, dtype=float) / 7
    assert value_text(v, 4) == "[" + ", ".join(f"{x:.4f}" for x in v) + "]"
    assert value_text(v, 4, width=1000) == value_text(v, 4)
    assert value_text(v, 4, width=80).startswith(f"{SUMMARY_ELEMENTS} values [")
    narrow = value_text(v, 4, width=24)  # a summary too long for one line takes several
    assert narrow.startswith(f"{SUMMARY_ELEMENTS} values\n") and max(map(len, narrow.split("\n"))) <= 24
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert value_text(m, 2, width=40) == value_text(m, 2) == "[1.00  2.00]\n[3.00  4.00]"


@pytest.mark.parametrize("columns", [60, 72, 80])
def test_piped_tables_fit_columns_and_keep_the_mark_and_the_formulas(columns):
    """`lstmhw solve | less` on a narrow terminal: COLUMNS is honoured, nothing is cut."""
    from conftest import PROBLEMS, run_cli

    from lstmhw.files import load_problems

    result = run_cli("solve", str(PROBLEMS), env={"COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(width(line) for line in lines) <= columns
    tops, heads = [line for line in lines if line.startswith("┏")], [line for line in lines if line.startswith("┃")]
    assert tops and all(line.endswith("┓") for line in tops), "a table cut at the right edge"
    assert all("formula" in line and "step" in line for line in heads), "a column lost its header"
    cut = [line for line in lines if "…" in line and "values" not in line and "…]" not in line]
    assert not cut, cut[:3]
    asked = [q for p in load_problems([str(PROBLEMS)]) for q in p.ask]
    marked = [line.split("│")[2].strip() for line in lines if line.startswith("│ ▶ │")]
    assert sorted(marked) == sorted(asked)
