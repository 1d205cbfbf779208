"""mse: all three reductions against the formula written out by hand."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli


@pytest.mark.parametrize(
    "reduction, factor",
    [("mean", 1 / 2), ("sum", 1.0), ("half-sum", 1 / 2)],
)
def test_reductions(reduction, factor):
    result = run_cli("mse", "--pred", "0.21741 -0.18988", "--y", "[0.5, 0.8]", "--reduction", reduction, "--format", "json")
    assert result.returncode == 0, result.stderr
    q = json.loads(result.stdout)["problems"][0]["quantities"]
    squares = [(0.21741 - 0.5) ** 2, (-0.18988 - 0.8) ** 2]
    assert q["sq_err[1]"] == pytest.approx(squares[0], rel=1e-12)
    assert q["err[2]"] == pytest.approx(-0.18988 - 0.8, rel=1e-12)
    assert q["mse"] == pytest.approx(factor * sum(squares), rel=1e-12)


def test_mean_of_a_matrix_is_over_every_element():
    result = run_cli("mse", "--pred", "1 2; 3 4", "--y", "0 0; 0 0", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["problems"][0]["quantities"]["mse"] == pytest.approx((1 + 4 + 9 + 16) / 4)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--pred", "1 2", "--y", "1 2 3"], "shape (3,), expected (2,)"),
        (["--pred", "1 x", "--y", "1 2"], "--pred"),
        (["--pred", "1 2", "--y", "1 2", "--reduction", "avg"], "expected one of mean, sum, half-sum"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(args, fragment):
    result = run_cli("mse", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr
