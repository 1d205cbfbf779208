"""Property-based fuzzing: whatever the file, the CLI works or refuses cleanly.

For generated YAML documents, for the homework's problem files (problems/*.yaml)
mutated as text and as data, and for mutated submissions:

- ``solve`` and ``check`` exit 0 or 2, ``grade`` 0 or 1 (2 only for a bad key);
  never 3 (a bug), never a traceback, never an "internal error" row;
- a refusal is one line on stderr with nothing on stdout (``check`` lists one line
  per error, each naming the file);
- each run stays within a time bound; no YAML tag ever runs code (a marker file
  a tag would create never appears).

Deterministic (``derandomize=True``, no example database) with bounded example
counts, so ``make test`` stays quick.  Runs in-process through ``CliRunner``:
pytest's ``filterwarnings = error`` turns any numpy RuntimeWarning into a failure.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, PROBLEMS
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lstmhw.cli import app
from lstmhw.problem import COMMON_KEYS
from lstmhw.solvers import SOLVERS, solver_module

runner = CliRunner()
TIME_BOUND = 120.0  # seconds: a guard against a hang on one fuzzed file, not a speed claim (machines are shared and noisy)
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,  # timed by hand below: the first call pays for imports
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

PROBLEM_TEXTS = {p.name: p.read_text(encoding="utf-8") for p in sorted(PROBLEMS.glob("*.yaml"))}
SEED_TEXTS = {p.name: p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "seeds").glob("*.yaml"))}
ALL_KEYS = sorted({*COMMON_KEYS, *(k for name in SOLVERS for k in solver_module(name).KEYS)})


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    marker = folder / "MARKER"
    yield folder, marker
    assert not marker.exists(), "a YAML tag ran code"


def invoke(*args: str):
    started = time.perf_counter()
    result = runner.invoke(app, list(args))
    elapsed = time.perf_counter() - started
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr[:3000]
    assert elapsed < TIME_BOUND, (args, elapsed)
    return result


def check_solve(path: Path, fmt: str = "json") -> bool:
    """True when the file solved."""
    result = invoke("solve", str(path), "--format", fmt)
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr[:3000])
    event(f"solve exit {result.exit_code}")  # --hypothesis-show-statistics: how deep the fuzz got
    if result.exit_code == 2:
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"lstmhw: {path}"), result.stderr[:3000]
    else:
        assert result.stderr == ""
        if fmt == "json":
            problem = json.loads(result.stdout)["problems"][0]
            assert problem["asked"] and all(q in problem["quantities"] for q in problem["asked"])
            _all_finite(problem["quantities"])
    return result.exit_code == 0


def check_variant(path: Path, seed: int) -> None:
    """A problem that solves has variants (or a one-line reason why not, e.g. no redraw moves its
    answers), and each variant is itself a problem that solves or is refused cleanly."""
    result = invoke("variant", str(path), "--seed", str(seed))
    assert result.exit_code in (0, 2), result.stderr[:3000]
    event(f"variant exit {result.exit_code}")
    if result.exit_code == 2:
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr[:3000]
        return
    variant = path.with_name("variant-" + path.name)
    variant.write_text(result.stdout, encoding="utf-8")
    check_solve(variant)


def check_check(path: Path) -> None:
    result = invoke("check", str(path))
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr[:3000])
    if result.exit_code == 0:
        assert result.stdout.startswith(f"ok: {path} (") and result.stderr == ""
    else:
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith(str(path)) for line in lines), result.stderr[:3000]


def check_grade(key: Path, submission: Path) -> None:
    result = invoke("grade", str(key), str(submission), "--format", "json")
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr[:3000])
    event(f"grade exit {result.exit_code}")
    assert result.stderr == ""
    (row,) = json.loads(result.stdout)["submissions"]
    assert row["file"] == str(submission)
    if result.exit_code == 1:
        assert row["status"] == "error" and row["problems"] == {} and row["score"] == 0
        assert row["error"].startswith(str(submission)) and "\n" not in row["error"]
    else:
        assert row["status"] == "graded" and row["error"] is None
        assert 0 <= row["score"] <= row["max_score"]


def _all_finite(value: Any) -> None:
    """No NaN or infinity reaches a solution (json.loads reads NaN/Infinity if they slip through)."""
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, list):
        for item in value:
            _all_finite(item)
    elif isinstance(value, dict):
        for item in value.values():
            _all_finite(item)


# ----------------------------------------------------------------------------- values
EDGE_TEXT = [
    "1e999", "-1e999", ".nan", ".inf", "-.inf", "nan", "1e-8", "1E3", "017", "0x1F", "1_000", "1:30",
    "2024-01-01", "yes", "no", "T", "F", "~", "", " ", "é", "h[1]", "mse", "sigmoid", "tanh", "relu",
    "gates-nonnegative", "zero-input-keeps-state", "mean", "half-sum", "9" * 400, "-0", "0.5",
]
numbers = st.one_of(
    st.integers(min_value=-5, max_value=5),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-10, max_value=10),
    st.sampled_from([0.0, -0.0, 1e-320, 1e200, -1e200, 1.7e308, -1.7e308, 1e4, -1e4, 0.999, 1.0, 1e-300]),
)
leaves = st.one_of(
    numbers, numbers, st.booleans(), st.none(), st.sampled_from(EDGE_TEXT),
    st.text(max_size=8),
)
gate_keys = st.sampled_from(["f", "i", "o", "c", "g", "F"])
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(st.lists(numbers, min_size=1, max_size=3), min_size=1, max_size=3),  # matrices, maybe ragged
        st.dictionaries(gate_keys, inner, max_size=5),
        st.dictionaries(st.sampled_from(ALL_KEYS + ["a", "b", "c", "d", "e"]), inner, max_size=4),
    ),
    max_leaves=16,
)


def dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, default_flow_style=None, sort_keys=False)


@st.composite
def problem_documents(draw) -> dict:
    """A mapping with a (maybe misspelt) solver and keys drawn from every solver's vocabulary."""
    doc: dict[str, Any] = {}
    solver = draw(st.sampled_from([*SOLVERS, "lstm-froward", "Adam", 3, None]))
    if draw(st.integers(0, 9)):
        doc["solver"] = solver
    keys = list(solver_module(solver).KEYS) if solver in SOLVERS else ALL_KEYS
    for key in draw(st.lists(st.sampled_from(keys + list(COMMON_KEYS) + ["hiden"]), max_size=8, unique=True)):
        doc[key] = draw(values)
    return doc


# ----------------------------------------------------------------------------- mutations
NASTY = [
    "[", "]", "{", "}", ": ", "- ", ",", "&a ", "*a", "*b", "&b [1, *a] ", "\t", "\n", "#", "'", '"', "? ", "---\n",
    "1e999", ".nan", "-.inf", "9" * 40, "0.0", "-", "é", "\ufeff", "\x07", "%TAG ! x\n",
    "!!python/object/apply:os.system ['touch @MARKER@'] ", "!!binary ", "!!set ", "!include ", "<<: ",
    "[[1, 2], [3]]", "{f: 1}", "~", "null", "yes ",
]


@st.composite
def mutated_text(draw, texts: dict[str, str]) -> str:
    """A file's text with a few insertions, deletions, duplicated lines or a truncation."""
    text = texts[draw(st.sampled_from(sorted(texts)))]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "insert", "delete", "duplicate", "replace_number", "truncate"]))
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        if op == "insert":
            text = text[:at] + draw(st.sampled_from(NASTY)) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        elif op == "duplicate":
            lines = text.splitlines(keepends=True)
            n = at % len(lines)
            text = "".join(lines[: n + 1] + lines[n:])
        elif op == "replace_number":
            import re

            spots = list(re.finditer(r"-?\d+(\.\d+)?(e-?\d+)?", text))
            if spots:
                m = spots[at % len(spots)]
                new = draw(st.sampled_from(["1e999", ".nan", "0", "-1", "1e200", "1.7e308", "1e-320", "2.5", "100000", "-0.0", "[]", "x"]))
                text = text[: m.start()] + new + text[m.end():]
        else:
            text = text[:at]
    return text


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated_data(draw, texts: dict[str, str]) -> Any:
    """A valid file read as data, with a few values replaced, removed or added anywhere in it."""
    data = yaml.safe_load(texts[draw(st.sampled_from(sorted(texts)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        op = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
        if op == "replace":
            parent[path[-1]] = draw(values)
        elif op == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(ALL_KEYS + ["hiden", "h[1]"]))] = draw(values)
        else:
            parent.insert(path[-1], draw(values))
    return data


def write(folder: Path, marker: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.replace("@MARKER@", str(marker)).encode("utf-8", "surrogatepass"))
    return path


# ----------------------------------------------------------------------------- problem files
@settings(FUZZ, max_examples=120)
@given(doc=problem_documents())
def test_generated_problem_documents(workdir, doc):
    folder, marker = workdir
    path = write(folder, marker, "generated.yaml", dump(doc))
    check_solve(path)
    check_check(path)


@settings(FUZZ, max_examples=160)
@given(text=mutated_text(PROBLEM_TEXTS), fmt=st.sampled_from(["json", "json", "table", "markdown", "latex"]), seed=st.integers(0, 10**9))
def test_mutated_problem_text(workdir, text, fmt, seed):
    folder, marker = workdir
    path = write(folder, marker, "mutated.yaml", text)
    if check_solve(path, fmt):
        check_variant(path, seed)
    check_check(path)


@settings(FUZZ, max_examples=200)
@given(data=mutated_data(PROBLEM_TEXTS), seed=st.integers(0, 10**9))
def test_mutated_problem_data(workdir, data, seed):
    folder, marker = workdir
    path = write(folder, marker, "mutated_data.yaml", dump(data))
    if check_solve(path):
        check_variant(path, seed)
    check_check(path)


@settings(FUZZ, max_examples=100)
@given(text=st.lists(st.sampled_from(NASTY + ["solver", "mse", "pred", "y", "x", "W", "ask", "\n", " ", "1", "0.5"]), max_size=40).map("".join))
def test_yaml_token_soup(workdir, text):
    folder, marker = workdir
    path = write(folder, marker, "soup.yaml", text)
    check_solve(path)


# ----------------------------------------------------------------------------- submissions
@settings(FUZZ, max_examples=100)
@given(text=mutated_text(SEED_TEXTS))
def test_mutated_submission_text(workdir, text):
    folder, marker = workdir
    check_grade(PROBLEMS, write(folder, marker, "student.yaml", text))


@settings(FUZZ, max_examples=100)
@given(data=mutated_data(SEED_TEXTS))
def test_mutated_submission_data(workdir, data):
    folder, marker = workdir
    check_grade(PROBLEMS, write(folder, marker, "student_data.yaml", dump(data)))


@settings(FUZZ, max_examples=60)
@given(answers=st.dictionaries(st.sampled_from(["h[1]", "h[2]", "mse", "c[1]", "x", "p4"]), values, max_size=5))
def test_generated_answers_to_one_problem(workdir, answers):
    folder, marker = workdir
    check_grade(PROBLEMS / "p4.yaml", write(folder, marker, "flat.yaml", dump({"answers": answers})))
