"""Start-up discipline: importing the CLI loads no heavy module (measured in benchmarks/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def _modules_loaded_by(*argv: str, modules: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``modules`` (default: the heavy top-level ones) running ``lstmhw ARGV`` through the
    console entry point loads."""
    code = (
        "import io, sys\nfrom lstmhw.cli import main\n"
        f"sys.argv = ['lstmhw', *{list(argv)!r}]\n"
        "out = sys.stdout\nsys.stdout = io.StringIO()\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stdout = out\n"
        f"print(','.join(m for m in {modules!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return [m for m in result.stdout.strip().split(",") if m]


def test_help_needs_no_heavy_module():
    assert _modules_loaded_by("--help") == []
    for command in ("solve", "grade", "lstm-forward", "adam"):
        assert _modules_loaded_by(command, "--help") == [], command


def test_json_and_csv_output_need_no_rich():
    assert "rich" not in _modules_loaded_by("solve", "problems/p4.yaml", "--format", "json")
    seed = "tests/fixtures/seeds/abuitano.yaml"
    assert "rich" not in _modules_loaded_by("grade", "problems/p4.yaml", seed, "--format", "csv")
    assert "rich" not in _modules_loaded_by("grade", "problems/p4.yaml", seed, "--format", "json")


def test_a_right_submission_loads_no_diagnosis():
    """Grading one submission right against the key (a shell loop per student: issue 18) needs no
    diagnosis, re-run or working, and csv to stdout needs no roster, --out or json writer."""
    unused = (
        "lstmhw.grading.diagnosis", "lstmhw.grading.candidates", "lstmhw.reruns", "lstmhw.grading.working",
        "lstmhw.roster", "lstmhw.output", "lstmhw.render.json",
    )
    right = "tests/fixtures/seeds/abuitano.yaml"  # a student's paper: every p4 answer right
    assert _modules_loaded_by("grade", "problems/p4.yaml", right, "--format", "csv", modules=unused) == []
    # and a wrong answer does load the diagnosis (so the test above can fail)
    assert "lstmhw.grading.diagnosis" in _modules_loaded_by(
        "grade", "problems/p4.yaml", "tests/fixtures/seeds/student000.yaml", "--format", "csv", modules=unused
    )
