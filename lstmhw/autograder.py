"""A Gradescope autograder for a key (SPEC §6): the zip ``lstmhw autograder`` writes, and the
program that runs inside it for every upload.

The zip, as Gradescope's "Autograder Specifications" ask (both scripts at its root):

- ``setup.sh``: run once when Gradescope builds the image; installs this very lstmhw from the
  wheel beside it into a virtual environment, its dependencies pinned to the versions installed
  where the zip was made (``constraints.txt``);
- ``run_autograder``: run for every upload; calls ``python3 -m lstmhw.autograder run``, which
  finds the upload in ``$AUTOGRADER_ROOT/submission`` (default ``/autograder``), grades it against
  the key in ``source/key/`` and writes ``results/results.json``. It always writes one: an upload
  that is no file, two files, a PDF or unreadable YAML is a zero with a message saying what to
  upload; a failure of lstmhw itself is a zero saying so, written by the script if Python cannot;
- ``key/``: the key's problem files; ``autograder.json``: the settings (visibility, show-expected);
- ``lstmhw-<version>-py3-none-any.whl`` and ``constraints.txt``.

The wheel is built here from the package's own files with the standard library (a wheel is a zip
with a ``.dist-info`` folder): nothing is downloaded, and it works from any install of lstmhw.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import sys
import time
import zipfile
from dataclasses import dataclass

from lstmhw import __version__
from lstmhw.errors import LstmhwError

SETTINGS = "autograder.json"
KEY_FOLDER = "key"
VENV = "lstmhw-venv"  # under AUTOGRADER_ROOT, made by setup.sh
# What lstmhw needs when its installed metadata cannot be read (run from a source tree);
# pyproject.toml is where these ranges are kept.
DEPENDENCIES = ("typer>=0.19,<0.29", "rich>=13", "numpy>=1.24", "pyyaml>=6.0")
REQUIRES_PYTHON = (3, 10)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: the same key and version give the same zip


@dataclass
class Settings:
    """What the autograder shows a student: the tests' visibility and whether expected values are shown."""

    visibility: str = "visible"
    show_expected: bool = False


# ----------------------------------------------------------------------------- building the zip
def build_autograder(key_path: str, out: str, *, visibility: str = "visible", show_expected: bool = False) -> str:
    """Write the autograder zip for the key at ``key_path`` to ``out`` (atomically); returns what it holds, in words."""
    from lstmhw.files import expand_paths, load_problems
    from lstmhw.output import atomic_stream

    load_problems([key_path])  # a bad key is refused here (exit 2), not on the students' first upload
    key_files = expand_paths([key_path])
    wheel_name, wheel = build_wheel()
    pins, python = pinned_dependencies()
    settings = {"lstmhw": __version__, "key": KEY_FOLDER, "visibility": visibility, "show_expected": show_expected}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "setup.sh", setup_script(wheel_name, python), executable=True)
        _add(archive, "run_autograder", run_script(Settings(visibility, show_expected)), executable=True)
        _add(archive, SETTINGS, json.dumps(settings, indent=2) + "\n")
        _add(archive, "constraints.txt", constraints_text(pins))
        _add(archive, wheel_name, wheel)
        for file in key_files:
            with open(file, "rb") as handle:
                _add(archive, f"{KEY_FOLDER}/{os.path.basename(file)}", handle.read())
    with atomic_stream(out, binary=True) as handle:
        handle.write(buffer.getvalue())
    expected = "shown" if show_expected else "not shown"
    return f"{len(key_files)} key file(s), lstmhw {__version__}, visibility {visibility}, expected values {expected}"


def _add(archive: zipfile.ZipFile, name: str, data: str | bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    archive.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)


def build_wheel() -> tuple[str, bytes]:
    """A pure-Python wheel of the lstmhw being run (its package folder as it is): (file name, bytes)."""
    import lstmhw

    package = os.path.dirname(os.path.abspath(lstmhw.__file__))
    files: list[tuple[str, bytes]] = []
    for folder, subfolders, names in os.walk(package, followlinks=True):  # problems/ is a link in a source tree
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__" and not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                files.append(("lstmhw/" + os.path.relpath(path, package).replace(os.sep, "/"), handle.read()))
    info = f"lstmhw-{__version__}.dist-info"
    metadata = [
        "Metadata-Version: 2.1",
        "Name: lstmhw",
        f"Version: {__version__}",
        "Summary: Solve and grade recurrent-network homework (a copy for a Gradescope autograder).",
        f"Requires-Python: >={REQUIRES_PYTHON[0]}.{REQUIRES_PYTHON[1]}",
        *(f"Requires-Dist: {requirement}" for requirement in _requirements()),
    ]
    files.append((f"{info}/METADATA", ("\n".join(metadata) + "\n").encode()))
    wheel_info = b"Wheel-Version: 1.0\nGenerator: lstmhw autograder\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files.append((f"{info}/WHEEL", wheel_info))
    files.append((f"{info}/entry_points.txt", b"[console_scripts]\nlstmhw = lstmhw.cli:main\n"))
    files.append((f"{info}/top_level.txt", b"lstmhw\n"))
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files] + [f"{info}/RECORD,,"]
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files:
            _add(wheel, name, data)
    return f"lstmhw-{__version__}-py3-none-any.whl", buffer.getvalue()


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _requirements() -> list[str]:
    """lstmhw's own requirements (not its extras), from its installed metadata, or the known ranges."""
    from importlib import metadata

    try:
        found = metadata.requires("lstmhw") or []
    except metadata.PackageNotFoundError:
        return list(DEPENDENCIES)
    plain = [r for r in found if "extra" not in r.partition(";")[2]]
    return plain or list(DEPENDENCIES)


_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_PYTHON_FLOOR = re.compile(r">=\s*(\d+)\.(\d+)")


def pinned_dependencies() -> tuple[list[str], tuple[int, int]]:
    """``name==version`` for every package lstmhw needs at run time, as installed here (the versions
    this lstmhw runs with; from constraints.txt when installed by ``make``), and the lowest Python
    they all accept."""
    from importlib import metadata

    pins: dict[str, str] = {}
    python = REQUIRES_PYTHON
    todo = [_NAME.match(r).group(1) for r in _requirements() if _NAME.match(r)]
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in pins:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # not needed here (a requirement for another Python or platform)
        pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        floor = _PYTHON_FLOOR.search(dist.metadata.get("Requires-Python") or "")
        if floor:
            python = max(python, (int(floor.group(1)), int(floor.group(2))))
        for requirement in dist.requires or []:
            if "extra" in requirement.partition(";")[2]:
                continue
            match = _NAME.match(requirement)
            if match:
                todo.append(match.group(1))
    return sorted(pins.values(), key=str.lower), python


def constraints_text(pins: list[str]) -> str:
    return f"# The versions lstmhw {__version__} was installed with where this autograder was made.\n" + "\n".join(pins) + "\n"


def setup_script(wheel_name: str, python: tuple[int, int]) -> str:
    major, minor = python
    return f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image. It installs
# lstmhw {__version__} from the wheel beside this script into its own virtual environment, with
# its dependencies at the versions in constraints.txt (downloaded from PyPI; lstmhw is not).
set -euo pipefail
SOURCE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
VENV="$ROOT/{VENV}"
if ! python3 -c 'import sys; sys.exit(sys.version_info < ({major}, {minor}))'; then
  echo "lstmhw needs Python >= {major}.{minor} (its pinned dependencies do); this image has $(python3 --version 2>&1)." >&2
  echo "Choose a base image with a newer Python in the autograder's settings (Ubuntu 24.04 has 3.12)." >&2
  exit 1
fi
rm -rf "$VENV"
if ! python3 -m venv "$VENV"; then
  # Debian and Ubuntu ship venv's pip separately
  apt-get update && apt-get install -y python3-venv
  rm -rf "$VENV"
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -c "$SOURCE/constraints.txt" "$SOURCE/{wheel_name}"
"$VENV/bin/lstmhw" --version
"""


def run_script(settings: Settings) -> str:
    fallback = _fallback_json(
        "The autograder could not run on your upload (not your doing). Your upload was received; "
        "please tell your instructor.",
        settings,
    )
    return f"""#!/usr/bin/env bash
# Gradescope runs this for every upload: it grades the upload in $ROOT/submission against the key
# and always leaves $ROOT/results/results.json - if lstmhw cannot run at all, the zero below.
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
PYTHON="$ROOT/{VENV}/bin/python"
[ -x "$PYTHON" ] || PYTHON=python3
"$PYTHON" -m lstmhw.autograder run --root "$ROOT"
if [ ! -s "$RESULTS" ]; then
  cat > "$RESULTS" <<'LSTMHW_FALLBACK'
{fallback}LSTMHW_FALLBACK
fi
exit 0
"""


def _fallback_json(message: str, settings: Settings) -> str:
    data = {
        "score": 0,
        "output": message,
        "output_format": "md",
        "visibility": settings.visibility,
        "stdout_visibility": "hidden",
        "tests": [],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# ----------------------------------------------------------------------------- running it
def read_settings(source: str) -> Settings:
    try:
        with open(os.path.join(source, SETTINGS), encoding="utf-8") as handle:
            data = json.load(handle)
        return Settings(str(data.get("visibility", "visible")), bool(data.get("show_expected", False)))
    except (OSError, ValueError, AttributeError):
        return Settings()  # the scripts still run; values stay hidden


def uploaded_files(folder: str) -> list[str]:
    """The files of an upload, relative to its folder, sorted; without what operating systems
    add on their own (``.DS_Store``, ``__MACOSX``)."""
    found = []
    for here, subfolders, names in os.walk(folder):
        subfolders[:] = sorted(d for d in subfolders if d != "__MACOSX" and not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                found.append(os.path.relpath(os.path.join(here, name), folder))
    return found


def _is_pdf(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError:
        return False


def upload_problem(folder: str, files: list[str]) -> str | None:
    """Why an upload cannot be graded (no file, several, a PDF, not YAML), or None: one YAML file."""
    yamls = [f for f in files if f.lower().endswith((".yaml", ".yml"))]
    if not files:
        return "no file was uploaded"
    if len(yamls) > 1:
        return f"{len(yamls)} YAML files were uploaded ({', '.join(yamls)}), expected exactly one"
    if yamls:
        if _is_pdf(os.path.join(folder, yamls[0])):
            return f"{yamls[0]} is a PDF, expected the YAML file of your answers (plain text)"
        return None
    pdfs = [f for f in files if f.lower().endswith(".pdf") or _is_pdf(os.path.join(folder, f))]
    if pdfs:
        return f"a PDF was uploaded ({', '.join(pdfs)}): this assignment is graded from a YAML file of your answers"
    return f"no YAML file was uploaded ({', '.join(files[:5])}{', ...' if len(files) > 5 else ''}), expected a .yaml or .yml file"


def run(root: str) -> int:
    """Grade the upload under ``root`` and write ``root/results/results.json``, whatever happens."""
    from lstmhw.output import write_atomic

    source = os.path.join(root, "source")
    settings = read_settings(source)
    results = os.path.join(root, "results", "results.json")
    try:
        text, log = _grade_upload(root, source, settings)
    except Exception as exc:  # a bug of ours, or a broken zip: the student still gets a results.json
        text = _fallback_json(
            "The autograder failed on your upload (not your doing); please tell your instructor. "
            f"Detail: {type(exc).__name__}: {exc}",
            settings,
        )
        log = f"internal error: {type(exc).__name__}: {exc}"
    os.makedirs(os.path.dirname(results), exist_ok=True)
    write_atomic(results, text)
    sys.stdout.write(f"lstmhw {__version__} autograder: {log}\n")  # Gradescope shows stdout to instructors only
    return 0


def _grade_upload(root: str, source: str, settings: Settings) -> tuple[str, str]:
    from lstmhw.batch import Row, grade_file
    from lstmhw.files import load_problems
    from lstmhw.grading import Key, Options, SubmissionResult
    from lstmhw.render.report import render_gradescope

    started = time.perf_counter()
    key = Key(load_problems([os.path.join(source, KEY_FOLDER)]), Options())
    folder = os.path.join(root, "submission")
    files = uploaded_files(folder) if os.path.isdir(folder) else []
    problem = upload_problem(folder, files)
    note = None
    if problem is not None:
        row = Row(SubmissionResult("", "", "error", problem, 0.0, key.max_score))
    else:
        (upload,) = [f for f in files if f.lower().endswith((".yaml", ".yml"))]
        others = [f for f in files if f != upload]
        if others:
            note = f"Graded {upload}; not graded (not YAML): {', '.join(others)}."
        here = os.getcwd()
        os.chdir(folder)  # messages name the file as the student knows it, not /autograder/submission/...
        try:
            row = grade_file(key, upload)
        finally:
            os.chdir(here)
    text = render_gradescope(
        row.result,
        visibility=settings.visibility,
        show_expected=settings.show_expected,
        seconds=time.perf_counter() - started,
        note=note,
    )
    r = row.result
    log = f"{r.status}: score {r.score:g}/{r.max_score:g}" + (f" ({r.error})" if r.error else "")
    return text, log


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "run" and args[1] == "--root":
        return run(args[2])
    if args == ["run"]:
        return run(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    sys.stderr.write("usage: python3 -m lstmhw.autograder run [--root AUTOGRADER_ROOT]\n")
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except LstmhwError as exc:
        sys.stderr.write(f"lstmhw: {exc}\n")
        sys.exit(2)
