"""Shared fixtures and helpers: paths, the real console script, the CLI in-process, and grading a
submission given as a dict (for the solvers' mistake tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run_cli(*args: str, env: dict | None = None, timeout: float = 60, cwd: str | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m lstmhw`` as a user would: real stdout, stderr and exit code."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "lstmhw", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd,
    )


def invoke(*args: str):
    """The CLI in-process (Typer's CliRunner): any exit code is the test's to check, but an
    exception inside lstmhw fails the test."""
    from typer.testing import CliRunner

    from lstmhw.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def graded(path: str, pid: str, answers: dict) -> dict:
    """The results of problem ``pid`` of the key at ``path`` for ``answers`` (NumPy values as lists)."""
    from lstmhw.files import load_problems
    from lstmhw.grading import Key, Options, grade_submission
    from lstmhw.submission import Submission

    key = Key(load_problems([path]), Options())
    plain = {q: _as_lists(v) for q, v in answers.items()}
    return grade_submission(key, Submission(file="s.yaml", student="s", answers={pid: plain})).problems[pid]


def _as_lists(value):
    import numpy as np

    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    return value


def named(result) -> set[str]:
    """The mistakes a result's diagnosis names (the first and its alternatives)."""
    if not result.diagnosis:
        return set()
    return {result.diagnosis["mistake"], *result.diagnosis.get("alternatives", [])}


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The one stderr line of a refusal: exit 2, nothing on stdout, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def write(tmp_path):
    """write("name.yaml", text) -> path, for small fixture files made in the test."""

    def _write(name: str, text: str | bytes) -> str:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return str(path)

    return _write
