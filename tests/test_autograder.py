"""The Gradescope autograder (SPEC §6): the zip, and run_autograder under a temporary AUTOGRADER_ROOT.

setup.sh installs lstmhw's dependencies from PyPI, so it is not run here (the suite runs offline).
What it would install is tested instead: the wheel in the zip is installed with pip, offline and
without dependencies, into a folder of its own, and run_autograder runs with a ``python3`` on PATH
that imports lstmhw from that folder only (numpy, yaml, typer and rich from this environment).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, PROBLEMS, ROOT, one_error_line, run_cli

SEEDS = FIXTURES / "seeds"

# Gradescope's documented results.json fields ("Autograder Specifications": Output format,
# Controlling Test Case Visibility, Test case status, Output String Formatting).
TOP_FIELDS = {
    "score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
    "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard",
}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
NUMBER = (int, float)


def check_results(data: dict) -> None:
    """results.json as Gradescope documents it, and as SPEC §6 asks of ours."""
    assert set(data) <= TOP_FIELDS, set(data) - TOP_FIELDS
    assert isinstance(data["score"], NUMBER) and not isinstance(data["score"], bool)  # required: not every test has one
    if "execution_time" in data:
        assert isinstance(data["execution_time"], NUMBER) and data["execution_time"] >= 0
    for field in ("visibility", "stdout_visibility"):
        assert data[field] in VISIBILITY
    assert data["output_format"] == "md" and isinstance(data["output"], str) and data["output"]
    assert isinstance(data["tests"], list)
    for test in data["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        # SPEC §6: every one of these set, status explicitly (a 0-point test is not left to Gradescope)
        assert {"name", "number", "score", "max_score", "status", "output", "tags"} <= set(test)
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["score"], NUMBER) and isinstance(test["max_score"], NUMBER) and 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["name"], str) and isinstance(test["number"], str) and isinstance(test["output"], str)
        assert isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])
        assert test.get("visibility", data["visibility"]) in VISIBILITY
        assert test.get("output_format", "text") in FORMATS
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])


# The key's values (SPEC §5, the seeds' reference results) at the 4 significant figures reports
# show; student000 answered none of them (its p4 is sign-flipped, p1 off, p2's W_vanish missing).
KEY_VALUES = ["0.2174", "0.1899", "0.5299", "3.648", "4.386", "0.1823", "0.3082", "0.6742", "0.5023", "0.8582", "0.9339", "0.1650"]


def all_text(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """Build the zip with the CLI, unzip it as Gradescope does, and install its wheel offline
    (once per set of flags)."""
    built: dict[tuple[str, ...], Path] = {}

    def build(*flags: str) -> Path:
        if flags not in built:
            built[flags] = _build(flags)
        return built[flags]

    def _build(flags: tuple[str, ...]) -> Path:
        base = tmp_path_factory.mktemp("autograder")
        result = run_cli("autograder", str(PROBLEMS), "--out", str(base / "autograder.zip"), *flags)
        assert result.returncode == 0, result.stderr
        with zipfile.ZipFile(base / "autograder.zip") as archive:
            names = archive.namelist()
            assert {"setup.sh", "run_autograder"} <= set(names)  # at the root of the archive, as Gradescope needs
            modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
            archive.extractall(base / "source")
        assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
        assert sorted(n for n in names if n.startswith("key/")) == [f"key/{p.name}" for p in sorted(PROBLEMS.glob("*.yaml"))]
        (wheel,) = (base / "source").glob("lstmhw-*-py3-none-any.whl")
        site = base / "site"
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--disable-pip-version-check",
             "--target", str(site), str(wheel)],
            capture_output=True, text=True, timeout=120,
        )
        assert pip.returncode == 0, pip.stderr
        assert (site / "lstmhw" / "autograder.py").exists() and (site / "lstmhw" / "problems" / "p4.yaml").exists()
        bin_dir = base / "bin"
        bin_dir.mkdir()
        python3 = bin_dir / "python3"
        # -I-free isolation: PYTHONPATH is the wheel's folder alone, and the working folder holds no lstmhw
        python3.write_text(f'#!/bin/sh\nPYTHONPATH="{site}" exec "{sys.executable}" "$@"\n')
        python3.chmod(0o755)
        return base

    return build


def run_upload(base: Path, tmp_path: Path, files: dict[str, bytes | str]) -> tuple[dict, subprocess.CompletedProcess]:
    """An AUTOGRADER_ROOT laid out as Gradescope lays it out, with this upload; run run_autograder."""
    root = tmp_path / "autograder"
    shutil.copytree(base / "source", root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir(parents=True)
    for name, content in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AUTOGRADER_ROOT")}
    env.update(AUTOGRADER_ROOT=str(root), PATH=f"{base / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = subprocess.run(["bash", str(root / "run_autograder")], capture_output=True, text=True, env=env, cwd=work, timeout=120)
    assert result.returncode == 0, result.stderr
    results = root / "results" / "results.json"
    assert results.exists(), (result.stdout, result.stderr)
    return json.loads(results.read_text(encoding="utf-8")), result


def test_a_good_upload_is_graded_with_no_key_value_shown(autograder, tmp_path):
    base = autograder()
    data, run = run_upload(base, tmp_path, {"answers.yaml": (SEEDS / "student000.yaml").read_text()})
    check_results(data)
    assert data["score"] == 8 and len(data["tests"]) == 15
    assert all(t["visibility"] == "visible" for t in data["tests"]) and data["visibility"] == "visible"
    h1 = next(t for t in data["tests"] if t["name"] == "p4 h[1]")
    assert h1["status"] == "failed" and h1["score"] == 0 and "sign of the exponent is flipped" in h1["output"]
    assert "sigmoid-sign-flipped" in h1["tags"] and "p4" in h1["tags"]
    mse = next(t for t in data["tests"] if t["name"] == "p4 mse")
    assert mse["status"] == "passed" and "right from your own" in mse["output"]  # ECF
    text = all_text(data)
    assert "expected" not in text
    assert not [v for v in KEY_VALUES if v in text]
    assert "lstmhw" in run.stdout and "graded" in run.stdout  # the instructor's log


def test_show_expected_and_visibility_reach_every_test(autograder, tmp_path):
    base = autograder("--show-expected", "--visibility", "after_due_date")
    data, _ = run_upload(base, tmp_path, {"answers.yaml": (SEEDS / "student000.yaml").read_text()})
    check_results(data)
    assert data["visibility"] == "after_due_date" and {t["visibility"] for t in data["tests"]} == {"after_due_date"}
    text = all_text(data)
    assert "0.2174" in text and "-0.1899" in text  # h[1], h[2] of the key, now shown


@pytest.mark.parametrize(
    "files, words",
    [
        ({}, ["no file was uploaded"]),
        ({"answers.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"}, ["PDF", "answers.pdf"]),
        ({"a.yaml": "answers: {h[1]: 0.2}\n", "b.yaml": "answers: {h[1]: 0.2}\n"}, ["2 YAML files", "a.yaml", "b.yaml", "exactly one"]),
        ({"answers.yaml": "answers: {\"h[1]\": 0.2\n"}, ["could not be read", "answers.yaml"]),
        ({"notes.txt": "h1 = 0.2\n"}, ["no YAML file", "notes.txt"]),
    ],
    ids=["no-file", "pdf", "two-files", "broken-yaml", "not-yaml"],
)
def test_an_upload_that_cannot_be_graded_is_a_zero_saying_what_to_upload(autograder, tmp_path, files, words):
    base = autograder()
    data, _ = run_upload(base, tmp_path, files)
    check_results(data)
    assert data["score"] == 0 and data["tests"] == []
    for word in words:
        assert word in data["output"], (word, data["output"])
    assert "Upload **one** YAML file" in data["output"]
    assert "/autograder" not in data["output"] and str(tmp_path) not in data["output"]  # the file as the student named it


def test_the_results_are_written_even_when_lstmhw_cannot_run(autograder, tmp_path):
    base = autograder()
    broken = tmp_path / "broken-bin"
    broken.mkdir()
    (broken / "python3").write_text("#!/bin/sh\nexit 7\n")  # a Python with no lstmhw at all
    (broken / "python3").chmod(0o755)
    root = tmp_path / "autograder"
    shutil.copytree(base / "source", root / "source")
    (root / "submission").mkdir()
    (root / "submission" / "answers.yaml").write_text((SEEDS / "abuitano.yaml").read_text())
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PATH=f"{broken}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0
    data = json.loads((root / "results" / "results.json").read_text())
    check_results(data)
    assert data["score"] == 0 and "not your doing" in data["output"]


def test_setup_sh_installs_this_version_with_pinned_dependencies(autograder):
    base = autograder()
    setup = (base / "source" / "setup.sh").read_text()
    (wheel,) = (base / "source").glob("lstmhw-*.whl")
    assert f'-c "$SOURCE/constraints.txt" "$SOURCE/{wheel.name}"' in setup
    pins = dict(line.split("==") for line in (base / "source" / "constraints.txt").read_text().splitlines() if "==" in line)
    # the exact versions of constraints.txt, the file `make` installs from
    wanted = dict(
        line.split("#")[0].strip().split("==")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line.split("#")[0]
    )
    for package in ("typer", "rich", "numpy", "PyYAML"):
        assert pins[package] == wanted[package], package
    from lstmhw import __version__

    assert wheel.name == f"lstmhw-{__version__}-py3-none-any.whl"
    bash = subprocess.run(["bash", "-n", str(base / "source" / "setup.sh")], capture_output=True, text=True)
    assert bash.returncode == 0, bash.stderr


def test_a_bad_key_makes_no_zip(tmp_path, write):
    key = write("key.yaml", "solver: lstm-forward\n")
    out = tmp_path / "autograder.zip"
    line = one_error_line(run_cli("autograder", key, "--out", str(out)))
    assert "key.yaml" in line and not out.exists()
    line = one_error_line(run_cli("autograder", str(PROBLEMS), "--out", str(out), "--visibility", "later"))
    assert "--visibility" in line and not out.exists()


def test_the_same_key_gives_the_same_zip(tmp_path):
    for name in ("one.zip", "two.zip"):
        assert run_cli("autograder", str(PROBLEMS), "--out", str(tmp_path / name)).returncode == 0
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
