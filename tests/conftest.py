"""Shared fixtures: paths, a CLI runner, and a helper to run the real console script."""

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
