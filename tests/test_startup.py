"""Start-up discipline: importing the CLI loads no heavy module (measured in benchmarks/)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numpy", "yaml", "rich", "pydantic")


def test_import_cli_loads_no_heavy_module():
    code = (
        "import sys, lstmhw.cli\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"import lstmhw.cli loaded: {result.stdout.strip()}"


def test_version_needs_no_heavy_module():
    code = (
        "import sys\nfrom lstmhw.cli import app\n"
        "try:\n    app(['--version'])\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("lstmhw ")
    assert len(lines) == 1, f"--version loaded: {lines[1:]}"
