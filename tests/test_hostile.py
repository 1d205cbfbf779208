"""The hostile corpus (tests/hostile/): every file works or is refused cleanly.

A refusal is exit 2 with exactly one line on stderr naming the file, the place
(line and/or key path), what was found and what was expected; nothing on stdout;
never a traceback; fast.  In ``grade`` a bad submission is instead an error row
(exit 1) while everyone else is graded.

- Committed corpus: ``tests/hostile/problems``, ``tests/hostile/submissions``,
  ``tests/hostile/keys``.  ``@MARKER@`` in a file is replaced by a path that code
  from a YAML tag would create: it must never exist.
- Generated here: binary and non-UTF-8 bytes, and the big files (at and over
  the limits of ``lstmhw/limits.py``), run as real processes under an
  address-space limit of 1.5 GB.

Most cases run in-process (``CliRunner`` on ``lstmhw.cli.app``): pytest turns any
numpy RuntimeWarning into an error there, so a warning is caught as a failure too.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, PROBLEMS, ROOT
from typer.testing import CliRunner

from lstmhw import limits
from lstmhw.cli import app

HOSTILE = Path(__file__).resolve().parent / "hostile"
SEEDS = FIXTURES / "seeds"
AS_LIMIT = 1536 * 2**20  # 1.5 GB of address space for the child
HANG = 120.0  # seconds: a guard against a hang, not a speed claim (no timing assertions: machines are shared and noisy)

runner = CliRunner()


# ----------------------------------------------------------------------------- helpers
def cli(*args: str):
    """Run the CLI in-process; returns (result, seconds)."""
    started = time.perf_counter()
    result = runner.invoke(app, list(args))
    elapsed = time.perf_counter() - started
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result, elapsed


def limited(*args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    """``python -m lstmhw ARGS`` as a real process whose address space is capped at 1.5 GB."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))

    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "lstmhw", *args],
        capture_output=True, text=True, timeout=timeout, preexec_fn=cap, env=env,
    )
    return result, time.perf_counter() - started


def one_line(code: int, stdout: str, stderr: str) -> str:
    """The single stderr line of a refusal (exit 2, nothing on stdout, no traceback)."""
    assert code == 2, (code, stdout[:500], stderr[:2000])
    assert stdout == ""
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and stderr.endswith("\n"), stderr[:2000]
    assert lines[0].startswith("lstmhw: "), lines[0]
    return lines[0]


def has_all(line: str, fragments: list[str]) -> bool:
    return all(f in line for f in fragments)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The committed corpus copied to a temporary folder, @MARKER@ made a real path there."""
    root = tmp_path_factory.mktemp("hostile")
    marker = root / "MARKER-code-ran"
    for source in HOSTILE.rglob("*.yaml"):
        target = root / source.relative_to(HOSTILE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes().replace(b"@MARKER@", str(marker).encode()))
    yield root, marker
    assert not marker.exists(), "a YAML tag ran code"


# ----------------------------------------------------------------------------- problem files
# name -> fragments of the one stderr line (after "lstmhw: "): file:line, key path, found, expected.
PROBLEMS_REFUSED: dict[str, list[str]] = {
    # YAML tags that construct objects or run code: refused, nothing runs
    "tag_apply_os_system": [":2: solver: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed", "expected plain numbers"],
    "tag_apply_in_matrix": [":3: pred[1]: YAML tag", "python/object/apply:os.system", "expected plain numbers"],
    "tag_new_subprocess": [":3: pred: YAML tag", "python/object/new:subprocess.Popen", "not allowed"],
    "tag_name_eval": [":3: pred: YAML tag", "python/name:builtins.eval"],
    "tag_module": [":3: pred: YAML tag", "python/module:os"],
    "tag_object_state": [":3: pred: YAML tag", "python/object:argparse.Namespace"],
    "tag_directive_alias": [":5: pred: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'"],
    "tag_tuple": [":3: pred: YAML tag 'tag:yaml.org,2002:python/tuple' is not allowed"],
    "tag_set": [":3: pred: YAML tag 'tag:yaml.org,2002:set' is not allowed"],
    "tag_custom_include": [":3: pred: YAML tag '!include' is not allowed"],
    # aliases
    "alias_billion_laughs": [":9: f[2]: more than 400,000 values once aliases are expanded, expected at most 400,000"],
    "alias_self_reference": [":3: pred[1]: alias *p refers to itself, expected a finite document"],
    "alias_unknown": [":3: pred: unknown alias *nowhere"],
    "alias_as_key": [":4: a list or mapping used as a key, expected a plain key"],
    # nesting
    "deep_nesting_lists": [":3: pred[0][0]", "nesting deeper than 32 levels, expected at most 32"],
    "deep_nesting_mappings": [":3: pred.a.a.a", "nesting deeper than 32 levels, expected at most 32"],
    "three_dimensional": [":3: pred[0][0]: a nested list, expected a number (at most 2 dimensions)"],
    # empty and non-mapping documents
    "empty_comment_only": ["empty_comment_only.yaml: empty file, expected a YAML mapping of keys"],
    "empty_document_marker": ["empty_document_marker.yaml: empty file, expected a YAML mapping"],
    "null_document": ["null_document.yaml: empty file, expected a YAML mapping"],
    "scalar_document": [":2: the value 42, expected a YAML mapping of keys"],
    "string_document": [":2: the value 'solve this please', expected a YAML mapping of keys"],
    "list_document": [":2: a list, expected a YAML mapping of keys"],
    "two_documents": [":5: a second YAML document (---), expected one document per file"],
    "syntax_error": [":4: invalid YAML: did not find expected ',' or '}'"],
    "tab_indent": [":4: invalid YAML: found character that cannot start any token (a tab: YAML indents with spaces)"],
    # NaN, infinities, overflow
    "nan_in_matrix": [":3: W.o[0][1]: '.nan', expected a finite number"],
    "inf_in_vector": [":5: b.o[0]: '-.inf', expected a finite number"],
    "overflow_1e999": [":4: pred[0]: '1e999', expected a finite number"],
    "huge_whole_number": [":4: pred[0]: '1000000000", "...', expected a finite number"],
    "nan_as_text": [":5: y[0]: 'nan', expected a finite number"],
    "nan_hyperparameter": [":9: eps: '.nan', expected a finite number"],
    "inf_learning_rate": [":6: lr: '.inf', expected a finite number"],
    "overflow_in_step": ["overflow_in_step.yaml: sq_err[1] = err[1]² overflows float64", "expected inputs small enough for finite values"],
    "lstm_huge_weights": ["lstm_huge_weights.yaml: z_f[1] = W_f·x[1] + U_f·h[0] + b_f overflows float64", "expected inputs small enough"],
    "adam_huge_gradient": [":12: grad: values so large that S[2] overflows (beyond ±1.8e308), expected smaller numbers"],
    "adam_huge_weight_decay": [":10: weight_decay: values so large that S[2] overflows (beyond ±1.8e308)"],
    "adam_eps_zero_no_gradient": [":4: eps: 0, but S_corr[1] has a zero entry", "divide by zero; expected eps > 0"],
    "rnn_matrix_overflow": [":8: steps: 100, but P[33] overflows (beyond ±1.8e308), expected fewer steps"],
    # ragged and mis-shaped matrices
    "ragged_rows": [":6: x[1]: a row of 1 numbers, expected 2 like row 0 (ragged matrix)"],
    "mixed_rows": [":6: x[1]: a mix of numbers and lists, expected a flat list or a list of rows"],
    "empty_row": [":6: x[0]: an empty row, expected numbers"],
    "wrong_shape_weight": [":3: W.f: shape (2, 2), expected (1, 2) for hidden size 1 and input size 2"],
    "nonsquare_recurrent": [":4: U.i: shape (1, 2), expected (1, 1) for hidden size 1 and input size 2"],
    "bias_as_matrix": [":5: b.c: shape (2, 2), expected (1,) for hidden size 1"],
    "mse_shape_mismatch": [":5: y: shape (3,), expected (2,) like pred"],
    "adam_grad_shape": [":12: grad: shape (2, 2), expected (2, 3) like W"],
    "text_in_matrix": [":5: b.f[0]: 'zero', expected a finite number"],
    "boolean_in_matrix": [":5: b.f[0]: true, expected a finite number"],
    "date_in_matrix": [":4: pred[0]: '2024-01-01', expected a finite number"],
    "hex_number": [":4: pred[0]: '0x1F', expected a finite number"],
    # unknown or misspelt keys, solvers, activations, claims
    "unknown_key": [":6: hidden_size: unknown key, expected one of id, title, solver"],
    "misspelt_key": [":7: hO: unknown key (did you mean 'h0'?), expected one of"],
    "misspelt_common_key": [":6: tolerence: unknown key (did you mean 'tolerance'?)"],
    "misspelt_solver": [":2: solver: 'lstm-froward' (did you mean 'lstm-forward'?), expected one of ", "lstm-claims, lstm-forward"],
    "missing_solver": [":2: missing key 'solver'"],
    "solver_not_text": [":2: solver: a list of 1, expected text"],
    "misspelt_activation": [":6: activation: 'sigmod' (did you mean 'sigmoid'?), expected one of sigmoid-centered"],
    "misspelt_claim": [":10: claims.d: 'gates-sum-to-won' (did you mean 'gates-sum-to-one'?) is not a known claim, expected one of"],
    "misspelt_reduction": [":6: reduction: 'meen' (did you mean 'mean'?), expected one of mean, sum, half-sum"],
    "unknown_gate": [":3: W.g: unknown key, expected one of f, i, o, c"],
    "unknown_ask": [":7: ask[0]: 'h[3]' is not a quantity of this problem (did you mean 'h[2]'?), expected one of"],
    "misspelt_ask": [":6: ask[0]: 'msse' is not a quantity of this problem (did you mean 'mse'?)"],
    "duplicate_key": [":6: solver: key 'solver' appears twice (first on line 3), expected each key once"],
    "list_as_key": [":6: a list or mapping used as a key, expected a plain key"],
    "points_not_asked": [":6: points.err[1]: points for 'err[1]', which is not asked; expected one of mse"],
    # out-of-range hyper-parameters
    "beta1_one": [":7: beta1: 1, expected a number < 1"],
    "beta2_negative": [":8: beta2: -0.5, expected a number ≥ 0"],
    "lr_zero": [":6: lr: 0, expected a number > 0"],
    "lr_negative": [":6: lr: -0.1, expected a number > 0"],
    "eps_negative": [":9: eps: -1e-08, expected a number ≥ 0"],
    "negative_moment": [":14: S: a negative entry, expected S ≥ 0"],
    "target_zero": [":9: target: 0, expected a number > 0"],
    "target_above_one": [":9: target: 2, expected a number < 1"],
    "negative_tolerance": [":6: tolerance.rtol: -0.01, expected a number ≥ 0"],
    "ecf_credit_above_one": [":6: ecf_credit: 1.5, expected a number ≤ 1"],
    "negative_points": [":6: points.mse: -1, expected a number ≥ 0"],
    "decoupled_without_decay": [":16: decoupled: true with weight_decay 0, expected weight_decay > 0"],
    # absurd or negative step counts
    "steps_negative": [":16: steps: -1, expected a number ≥ 1"],
    "steps_zero": [":8: steps: 0, expected a number ≥ 1"],
    "steps_absurd": [":16: steps: '1e12', expected a number ≤ 100000"],
    "steps_fraction": [":16: steps: 2.5, expected a whole number"],
    "steps_word": [":8: steps: 'many', expected a whole number"],
    "t_zero": [":10: t: 0, expected a number ≥ 1"],
    "t_negative": [":10: t: -3, expected a number ≥ 1"],
    "t_absurd": [":10: t: '1e20', expected a number ≤ 1000000000000000"],
    "steps_too_many_for_a_solution": [":16: steps: 3,000 steps, expected at most 2,499 (a solution of at most 15,000 steps)"],
    "rnn_matrix_steps_absurd": [":8: steps: 100000, expected a number ≤ 2500"],
    # empty sequences
    "empty_x": [":6: x: an empty list, expected numbers"],
    "empty_targets": [":7: y: an empty list, expected numbers"],
    "empty_pred": [":4: pred: an empty list, expected numbers"],
    "empty_grads": [":12: grads: not a list of gradients, expected a list with one gradient per step"],
    "empty_claims": [":3: claims: an empty mapping, expected a mapping of label to claim"],
    "empty_ask": [":6: ask: an empty list, expected the quantities asked"],
    "empty_weights": [":3: W: missing key 'f', expected it here"],
    "null_value": [":6: x: nothing (null), expected a number or a list of numbers"],
}
# check cannot know a file without 'solver' is meant as a problem: it says so.
CHECK_SAYS = {"missing_solver": [":2: neither 'solver' (a problem file) nor 'answers' (a submission), expected one of them"]}
PROBLEM_NAMES = sorted(PROBLEMS_REFUSED)
TAG_PROBLEMS = [n for n in PROBLEM_NAMES if (HOSTILE / "problems" / f"{n}.yaml").read_text().count("@MARKER@")]


def test_every_problem_in_the_corpus_has_an_expectation():
    on_disk = {p.stem for p in (HOSTILE / "problems").glob("*.yaml")}
    assert on_disk == set(PROBLEMS_REFUSED), (on_disk ^ set(PROBLEMS_REFUSED))
    assert len(TAG_PROBLEMS) >= 4


@pytest.mark.parametrize("name", PROBLEM_NAMES)
def test_solve_refuses_in_one_located_line(name, corpus):
    root, marker = corpus
    result, elapsed = cli("solve", str(root / "problems" / f"{name}.yaml"))
    line = one_line(result.exit_code, result.stdout, result.stderr)
    assert f"{name}.yaml" in line
    assert has_all(line, PROBLEMS_REFUSED[name]), line
    assert elapsed < HANG
    assert not marker.exists()


@pytest.mark.parametrize("name", PROBLEM_NAMES)
def test_check_lists_the_same_error(name, corpus):
    root, marker = corpus
    path = root / "problems" / f"{name}.yaml"
    result, elapsed = cli("check", str(path))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""  # no "ok:" for a refused file
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith(f"{path}") for line in lines), lines
    # check lists every error; the one solve reports is among them
    assert any(has_all(line, CHECK_SAYS.get(name, PROBLEMS_REFUSED[name])) for line in lines), lines
    assert elapsed < HANG
    assert not marker.exists()


@pytest.mark.parametrize("name", PROBLEM_NAMES)
def test_grade_refuses_a_bad_key(name, corpus):
    root, marker = corpus
    result, elapsed = cli("grade", str(root / "problems" / f"{name}.yaml"), str(SEEDS / "abuitano.yaml"), "--format", "json")
    line = one_line(result.exit_code, result.stdout, result.stderr)
    assert has_all(line, PROBLEMS_REFUSED[name]), line
    assert elapsed < HANG


@pytest.mark.parametrize("name", TAG_PROBLEMS)
def test_tags_run_nothing_in_a_real_process(name, corpus):
    """The marker a tag would create stays absent for solve, check and grade."""
    root, marker = corpus
    path = str(root / "problems" / f"{name}.yaml")
    for args in (("solve", path), ("check", path), ("grade", path, str(SEEDS / "abuitano.yaml"))):
        result, elapsed = limited(*args)
        assert result.returncode == 2 and "YAML tag" in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert not marker.exists(), f"{args[0]} ran the code of a YAML tag"


def test_duplicate_problem_ids_in_a_key_folder(corpus):
    root, _ = corpus
    folder = root / "keys" / "dup_ids"
    expected = [f"{folder / 'p4_copy.yaml'}:2: id: id 'p4' is also the id of {folder / 'p4.yaml'}", "expected unique problem ids"]
    for args in (("solve", str(folder)), ("grade", str(folder), str(SEEDS / "abuitano.yaml"))):
        result, _ = cli(*args)
        assert has_all(one_line(result.exit_code, result.stdout, result.stderr), expected)
    result, _ = cli("check", str(folder))
    assert result.exit_code == 2
    assert result.stdout == f"ok: {folder / 'p4.yaml'} (problem p4, lstm-forward)\n"
    assert result.stderr.splitlines() == [f"{expected[0]}, {expected[1]}"]


# ----------------------------------------------------------------------------- generated files
def _values(n: int) -> str:
    return "[" + ",".join(["1"] * n) + "]"


LSTM_HEAD = "solver: lstm-forward\nW: {f: 1, i: 1, c: 1, o: 1}\nU: {f: 1, i: 1, c: 1, o: 1}\nb: {f: 1, i: 1, c: 1, o: 1}\n"
MOST_STEPS = (limits.MAX_TRACE_STEPS - 3) // 11  # an LSTM without targets: 11 named steps per time step

# name -> (bytes of the file, fragments of the one line); generated at run time, run as real processes.
GENERATED: dict[str, tuple[bytes, list[str]]] = {
    "zero_bytes": (b"", ["zero_bytes.yaml: empty file, expected a YAML mapping of keys"]),
    "nul_bytes": (b"solver: mse\npred: 1\x00\ny: 1\n", ["nul_bytes.yaml:2: a NUL byte, expected text"]),
    "png_image": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", ["png_image.yaml:1: byte 0x89 at offset 0 is not UTF-8, expected UTF-8 text"]),
    "latin1": ("solver: mse\ntitle: café\npred: 1\ny: 1\n".encode("latin-1"), ["latin1.yaml:2: byte 0xe9 at offset 22 is not UTF-8"]),
    "utf16": ("solver: mse\npred: 1\ny: 1\n".encode("utf-16"), ["utf16.yaml:1: byte 0xff at offset 0 is not UTF-8"]),
    "surrogate": (b"solver: mse\ntitle: \xed\xa0\x80\n", ["surrogate.yaml:2: byte 0xed at offset 19 is not UTF-8"]),
    "control_char": (b"solver: mse\ntitle: \x07bell\npred: 1\ny: 1\n", ["control_char.yaml:2: invalid YAML: unacceptable character #x0007"]),
    "over_file_size": (
        b"solver: mse\npred: 1\ny: 1\n" + b"#" * limits.MAX_FILE_BYTES,  # a 25-byte head
        [f"over_file_size.yaml: file of {limits.MAX_FILE_BYTES + 25:,} bytes, expected at most {limits.MAX_FILE_BYTES:,}"],
    ),
    "over_value_limit": (
        f"solver: mse\ny: 1\npred: {_values(limits.MAX_YAML_NODES)}\n".encode(),
        # 7 values come first (the mapping, 3 keys, mse, 1, the list): the limit is passed at this index
        [f"over_value_limit.yaml:3: pred[{limits.MAX_YAML_NODES - 7}]: more than {limits.MAX_YAML_NODES:,} values"],
    ),
    "over_array_limit": (
        f"solver: mse\ny: 1\npred: [{_values(limits.MAX_ARRAY_ELEMENTS + 1)}]\n".encode(),
        [f"over_array_limit.yaml:3: pred: 1×{limits.MAX_ARRAY_ELEMENTS + 1} values, expected at most {limits.MAX_ARRAY_ELEMENTS:,}"],
    ),
    "quadratic_aliases": (
        ("solver: mse\ny: 1\nk: &k " + _values(100_000) + "\npred: [" + ", ".join(["*k"] * 10) + "]\n").encode(),
        [":4: pred[2]: more than 400,000 values once aliases are expanded"],  # 100k + 2 × 100k ... at the 3rd copy
    ),
    "deep_million": (b"solver: mse\ny: 1\npred: " + b"[" * 1_000_000 + b"]" * 1_000_000 + b"\n", [":3: pred[0]", "nesting deeper than 32 levels"]),
    "over_time_steps": (
        (LSTM_HEAD + f"x: {_values(MOST_STEPS + 1)}\n").encode(),
        [f":5: x: {MOST_STEPS + 1:,} time steps, expected at most {MOST_STEPS:,} (a solution of at most {limits.MAX_TRACE_STEPS:,} steps)"],
    ),
    "over_mse_terms": (
        f"solver: mse\npred: {_values(limits.MAX_TRACE_STEPS // 4)}\ny: {_values(limits.MAX_TRACE_STEPS // 4)}\n".encode(),
        [f":2: pred: {limits.MAX_TRACE_STEPS // 4:,} terms, expected at most {(limits.MAX_TRACE_STEPS - 1) // 4:,}"],
    ),
    "many_unknown_keys": (
        ("solver: mse\npred: 1\ny: 1\n" + "".join(f"key{i}: {i}\n" for i in range(100_000))).encode(),
        [":4: key0: unknown key", f"(and {limits.MAX_ERRORS_PER_FILE} more: run `lstmhw check` to list them)"],
    ),
}


CHECK_GENERATED = {"many_unknown_keys": [":4: key0: unknown key, expected one of"]}  # one line per error


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    for name, (data, _) in GENERATED.items():
        (root / f"{name}.yaml").write_bytes(data)
    return root


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_files_are_refused_fast_and_small(name, generated):
    path = generated / f"{name}.yaml"
    result, elapsed = limited("solve", str(path))
    line = one_line(result.returncode, result.stdout, result.stderr)
    assert str(path) in line
    assert has_all(line, GENERATED[name][1]), line
    assert elapsed < HANG, f"{elapsed:.1f} s"


def test_generated_files_are_refused_by_check_too(generated):
    """check reads each file with the same bounds (one process for all: it lists them all)."""
    result, elapsed = limited("check", *sorted(str(p) for p in generated.glob("*.yaml")))
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    for name, (_, fragments) in GENERATED.items():
        fragments = CHECK_GENERATED.get(name, fragments)
        assert any(has_all(line, [f"{name}.yaml"] + fragments) for line in lines), name
    # check lists at most MAX_ERRORS_PER_FILE errors of a file, then says it stopped
    listed = [line for line in lines if "many_unknown_keys.yaml" in line]
    assert len(listed) == limits.MAX_ERRORS_PER_FILE + 1
    assert f"more errors from here on; at most {limits.MAX_ERRORS_PER_FILE} are listed per file" in listed[-1]
    assert elapsed < HANG


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result, elapsed = limited("solve", str(fifo), timeout=10)
    line = one_line(result.returncode, result.stdout, result.stderr)
    assert f"{fifo}: not a regular file (a pipe, device or socket), expected a YAML file" in line
    assert elapsed < HANG


def test_a_folder_named_like_a_submission_is_an_error_row_not_a_crash(tmp_path):
    folder = tmp_path / "student1.yaml"  # a folder a student's zip unpacked to
    folder.mkdir()
    right = tmp_path / "student2.yaml"
    right.write_text('answers: {"h[1]": 0.2174}\n', encoding="utf-8")
    result, _ = limited("grade", str(PROBLEMS / "p4.yaml"), str(tmp_path), "--format", "csv")  # the class's folder
    assert result.returncode == 1, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["status"] for r in rows] == ["error", "graded"]
    assert "is a folder, expected a YAML file" in rows[0]["error"]
    assert "Traceback" not in result.stderr


def test_at_the_limits_files_still_work(tmp_path):
    """A file of exactly MAX_FILE_BYTES, and an LSTM of the most time steps a solution may have."""
    exact = tmp_path / "exact_size.yaml"
    text = (PROBLEMS / "p4.yaml").read_bytes()
    exact.write_bytes(text + b"#" * (limits.MAX_FILE_BYTES - len(text) - 1) + b"\n")
    assert exact.stat().st_size == limits.MAX_FILE_BYTES
    result, elapsed = limited("solve", str(exact), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["problems"][0]["quantities"]["mse"] == pytest.approx(0.529861, abs=1e-6)
    assert elapsed < HANG

    longest = tmp_path / "longest.yaml"
    longest.write_text(LSTM_HEAD + f"x: {_values(MOST_STEPS)}\n")
    result, elapsed = limited("solve", str(longest), "--format", "json")
    assert result.returncode == 0, result.stderr
    problem = json.loads(result.stdout)["problems"][0]
    assert len(problem["steps"]) == 2 + 11 * MOST_STEPS <= limits.MAX_TRACE_STEPS
    assert problem["asked"][-1] == f"h[{MOST_STEPS}]"
    assert elapsed < HANG


def test_a_file_is_read_whole_through_short_reads_and_growth(tmp_path, monkeypatch):
    """read_text asks for the size fstat gave: a read that returns less is read on, and a file
    larger than fstat said (it grew, or a /proc file of size 0) is read on up to the limit."""
    from lstmhw import yamlio

    text = "student: ada\nanswers: {h[1]: 0.2174}\n" * 3
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    real_read, real_fstat = os.read, os.fstat
    monkeypatch.setattr(os, "read", lambda fd, n: real_read(fd, min(n, 5)))  # five bytes at a time
    assert yamlio.read_text(str(path)) == text
    monkeypatch.setattr(os, "read", real_read)

    class Status:  # what fstat says: a regular file of `size` bytes
        def __init__(self, fd, size):
            self.st_mode, self.st_size = real_fstat(fd).st_mode, size

    for size in (10, 0):  # the file grew since fstat; a /proc file, size 0
        monkeypatch.setattr(os, "fstat", lambda fd, size=size: Status(fd, size))
        assert yamlio.read_text(str(path)) == text


# ----------------------------------------------------------------------------- submissions
# Refused submissions: an error row naming the file and place; name -> fragments of the error.
SUBMISSIONS_REFUSED: dict[str, list[str]] = {
    "tag_apply": [":2: answers: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"],
    "tag_in_answer": [":3: answers.p4.h[1]: YAML tag", "python/object/apply:os.system"],
    "tag_directive": [":5: answers.p4.mse: YAML tag", "python/object/apply:os.system"],
    "alias_bomb": [":10: answers.p4.f[2]: more than 400,000 values once aliases are expanded"],
    "deep_nesting": [":3: answers.p4.mse[0][0]", "nesting deeper than 32 levels"],
    "comment_only": ["comment_only.yaml: empty file, expected a YAML mapping of keys"],
    "list_document": [":2: a list, expected a YAML mapping of keys"],
    "scalar_document": [":2: the value 0.5298, expected a YAML mapping of keys"],
    "two_documents": [":4: a second YAML document (---), expected one document per file"],
    "syntax_unquoted_brackets": [":3: invalid YAML", 'quote keys with brackets: "h[1]"'],
    "own_grade": [":2: score: unknown key, expected one of student, answers, variant"],
    "misspelt_answers": [":2: answer: unknown key (did you mean 'answers'?)"],
    "answers_list": [":2: answers: a list of 3, expected a mapping of answers"],
    "problem_not_mapping": [":3: answers.p4: 0.5298, expected a mapping of quantity to answer"],
    "flat_for_many": [":2: answers: a flat map of answers, expected answers grouped by problem (p1, p2, p3, p4)"],
    "variant_negative": [":2: variant: -1, expected a whole number ≥ 0"],
    "variant_nan": [":2: variant: '.nan', expected a whole number ≥ 0"],
    "variant_fraction": [":2: variant: 1.5, expected a whole number ≥ 0"],
    "student_list": [":2: student: a list of 2, expected a name"],
    "duplicate_key": [":4: answers: key 'answers' appears twice (first on line 2)"],
    "tab_indent": [":3: invalid YAML", "(a tab: YAML indents with spaces)"],
}
GOOD_P4 = {"h[1]": "correct", "h[2]": "correct", "mse": "correct"}
# Read and graded: verdicts of the answered quantities (everything else is 'missing').
SUBMISSIONS_GRADED: dict[str, dict[str, dict[str, str]]] = {
    "nan_answers": {"p4": {"h[1]": "invalid", "h[2]": "invalid", "mse": "invalid"}},
    # 1e308 answers: the ECF mse from them overflows; it must not make 1.7e308 'correct-ecf'
    "huge_answers": {"p4": {"h[1]": "incorrect", "h[2]": "incorrect", "mse": "incorrect"}},
    "huge_whole_number": {"p4": {"h[1]": "correct", "mse": "invalid"}},
    "ragged_matrix": {"p1": {"V[2]": "invalid"}, "p4": GOOD_P4},
    "wrong_shape": {"p1": {"W[2]": "invalid"}, "p4": GOOD_P4},
    "three_dimensional": {"p1": {"S[2]": "invalid"}, "p4": GOOD_P4},
    "words": {"p4": {"h[1]": "invalid", "h[2]": "invalid", "mse": "correct"}},
    "inf_text_in_matrix": {"p1": {"V[2]": "invalid", "S[2]": "invalid", "W[2]": "invalid"}, "p4": GOOD_P4},
    "booleans_swapped": {"p3": {"a": "invalid", "b": "correct"}, "p4": {"h[1]": "invalid", "h[2]": "correct", "mse": "correct"}},
    "blank_answers": {"p4": {"h[1]": "correct"}},
    "empty_answers": {},
    "unknown_quantities": {"p4": {"h[1]": "correct", "mse": "correct"}},  # h1 is read as h[1]; h[3] and p9 are ignored
    "empty_list_answer": {"p4": {"h[1]": "invalid", "mse": "correct"}},
    # one unreadable answer is invalid on its own (SPEC §4.1): the rest of the file is graded
    "answer_mapping": {"p4": {"h[1]": "invalid"}},
    # a quantity answered twice is invalid alone (SPEC §4.1), the rest graded
    "duplicate_answer": {"p4": {"mse": "invalid"}},
}
REASONS = {  # why an invalid answer is invalid, as the report says
    ("nan_answers", "p4", "h[1]"): "'.nan', expected a number",
    ("duplicate_answer", "p4", "mse"): "answered twice: 0.5298, then 0.1",
    ("ragged_matrix", "p1", "V[2]"): "a ragged list, expected a rectangular list of numbers",
    ("wrong_shape", "p1", "W[2]"): "shape (3, 3), expected (2, 3)",
    ("words", "p4", "h[2]"): "'oops' in a list, expected numbers only",
    ("inf_text_in_matrix", "p1", "V[2]"): "'1e999' in a list, expected numbers only",
    ("inf_text_in_matrix", "p1", "S[2]"): "'nan' in a list, expected numbers only",
    ("inf_text_in_matrix", "p1", "W[2]"): "'999999999999999999999999999999999999...' in a list",
    ("booleans_swapped", "p3", "a"): "0.5, expected true or false",
}


def test_every_submission_in_the_corpus_has_an_expectation():
    on_disk = {p.stem for p in (HOSTILE / "submissions").glob("*.yaml")}
    expected = set(SUBMISSIONS_REFUSED) | set(SUBMISSIONS_GRADED)
    assert on_disk == expected, on_disk ^ expected
    assert not set(SUBMISSIONS_REFUSED) & set(SUBMISSIONS_GRADED)


def _by_stem(report: dict) -> dict[str, dict]:
    return {Path(s["file"]).stem: s for s in report["submissions"]}


def _verdicts(row: dict) -> dict[str, dict[str, str]]:
    return {
        pid: {q: r["verdict"] for q, r in answers.items() if r["verdict"] != "missing"}
        for pid, answers in row["problems"].items()
        if any(r["verdict"] != "missing" for r in answers.values())
    }


@pytest.fixture(scope="module")
def good_alone():
    """The good submissions graded on their own: the batch below must give them the same."""
    result, _ = cli("grade", str(PROBLEMS), str(SEEDS), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return _by_stem(json.loads(result.stdout))


def test_hostile_submissions_among_good_ones(corpus, good_alone):
    """Every good submission is graded as it is alone; each bad one is an error row; exit 1."""
    root, marker = corpus
    batch = root / "batch"
    batch.mkdir()
    for source in (root / "submissions").glob("*.yaml"):
        shutil.copy(source, batch)
    for seed in SEEDS.glob("*.yaml"):
        shutil.copy(seed, batch)
    result, elapsed = cli("grade", str(PROBLEMS), str(batch), "--format", "json")
    assert result.exit_code == 1, result.stderr
    assert result.stderr == ""
    rows = _by_stem(json.loads(result.stdout))
    assert set(rows) == set(SUBMISSIONS_REFUSED) | set(SUBMISSIONS_GRADED) | set(good_alone)

    for stem, alone in good_alone.items():
        row = rows[stem]
        assert row["status"] == "graded" and row["error"] is None
        assert {k: v for k, v in row.items() if k != "file"} == {k: v for k, v in alone.items() if k != "file"}
        assert row["score"] > 0

    for stem, fragments in SUBMISSIONS_REFUSED.items():
        row = rows[stem]
        assert row["status"] == "error", (stem, row)
        assert row["score"] == 0 and row["problems"] == {}
        error = row["error"]
        assert "\n" not in error and "Traceback" not in error and "internal error" not in error
        assert error.startswith(f"{batch / stem}.yaml"), error
        assert has_all(error, fragments), (stem, error)

    for stem, verdicts in SUBMISSIONS_GRADED.items():
        row = rows[stem]
        assert row["status"] == "graded" and row["error"] is None, (stem, row["error"])
        assert _verdicts(row) == verdicts, stem
    for (stem, pid, q), reason in REASONS.items():
        assert reason in rows[stem]["problems"][pid][q]["reason"]
    assert elapsed < HANG
    assert not marker.exists()


def test_hostile_submission_files_in_a_real_batch(tmp_path, good_alone):
    """Binary, oversized, bomb and FIFO submissions among the seeds, in one capped process."""
    batch = tmp_path / "subs"
    batch.mkdir()
    for seed in SEEDS.glob("*.yaml"):
        shutil.copy(seed, batch)
    bad = {
        "binary": (b"\x89PNG\r\n\x1a\n\x00\x00", "byte 0x89 at offset 0 is not UTF-8"),
        "nul": (b"answers:\n  p4: {mse: 0.5\x00}\n", ":2: a NUL byte, expected text"),
        "empty": (b"", "empty file, expected a YAML mapping of keys"),
        "latin1": ("student: José\nanswers: {}\n".encode("latin-1"), ":1: byte 0xe9 at offset 12 is not UTF-8"),
        "oversized": (b"answers: {}\n" + b"#" * limits.MAX_FILE_BYTES, f"expected at most {limits.MAX_FILE_BYTES:,}"),
        "too_many_values": (f"answers:\n  p4:\n    mse: {_values(limits.MAX_YAML_NODES)}\n".encode(), f"more than {limits.MAX_YAML_NODES:,} values"),
        "many_keys": (("answers: {}\n" + "".join(f"k{i}: 1\n" for i in range(150_000))).encode(), ":2: k0: unknown key"),
    }
    for name, (data, _) in bad.items():
        (batch / f"{name}.yaml").write_bytes(data)
    if hasattr(os, "mkfifo"):
        os.mkfifo(batch / "fifo.yaml")
        bad["fifo"] = (b"", "not a regular file (a pipe, device or socket)")
    result, elapsed = limited("grade", str(PROBLEMS), str(batch), "--format", "json", timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    rows = _by_stem(json.loads(result.stdout))
    assert set(rows) == set(bad) | set(good_alone)
    for stem, alone in good_alone.items():
        assert rows[stem]["status"] == "graded"
        assert rows[stem]["score"] == alone["score"] and rows[stem]["problems"] == alone["problems"]
    for stem, (_, fragment) in bad.items():
        row = rows[stem]
        assert row["status"] == "error" and row["error"].startswith(str(batch / stem)), row
        assert fragment in row["error"] and "\n" not in row["error"], (stem, row["error"])
    assert elapsed < HANG

    # csv: one row per submission, the bad ones marked error with no scores
    result, _ = limited("grade", str(PROBLEMS), str(batch), "--format", "csv", timeout=60)
    assert result.returncode == 1 and result.stderr == ""
    statuses = {Path(r.split(",")[1]).stem: r.split(",")[2] for r in result.stdout.splitlines()[1:]}
    assert statuses == {**{s: "error" for s in bad}, **{s: "graded" for s in good_alone}}


def test_a_bug_in_one_submission_costs_no_one_else(tmp_path, monkeypatch):
    """If grading one submission trips a bug, it is an error row saying so; the others are graded."""
    from lstmhw import batch

    subs = tmp_path / "subs"
    subs.mkdir()
    for seed in SEEDS.glob("*.yaml"):
        shutil.copy(seed, subs)
    shutil.copy(SEEDS / "abuitano.yaml", subs / "unlucky.yaml")
    real = batch.grade_submission

    def buggy(key, submission, *args, **kwargs):
        if submission.file.endswith("unlucky.yaml"):
            raise ZeroDivisionError("a bug")
        return real(key, submission, *args, **kwargs)

    monkeypatch.setattr(batch, "grade_submission", buggy)
    result, _ = cli("grade", str(PROBLEMS), str(subs), "--format", "json")
    # unlucky.yaml is a copy of abuitano's file: the name they share is the one line on stderr (SPEC §4.5)
    assert result.exit_code == 3 and result.stderr.count("\n") == 1 and "student 'abuitano' is also" in result.stderr
    rows = _by_stem(json.loads(result.stdout))
    assert rows["unlucky"]["status"] == "error" and rows["unlucky"]["internal"] is True
    assert rows["unlucky"]["error"] == f"{subs / 'unlucky.yaml'}: internal error of lstmhw: ZeroDivisionError: a bug (please report it)"
    assert rows["abuitano"]["status"] == rows["student000"]["status"] == "graded"
    assert rows["abuitano"]["score"] > 0


def test_error_messages_never_echo_much_of_the_file(tmp_path):
    """A submission linked to a secret file, a 1 MB tag, a 1 MB key: each named in a short line."""
    secret = tmp_path / "secret.txt"
    secret.write_text("API_TOKEN=" + "s3cr3t" * 50 + "\n")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "linked.yaml").symlink_to(secret)
    result, _ = cli("grade", str(PROBLEMS / "p4.yaml"), str(tmp_path / "subs"), "--format", "json")
    (row,) = json.loads(result.stdout)["submissions"]
    assert row["status"] == "error" and "the value 'API_TOKEN=" in row["error"]
    assert row["error"].count("s3cr3t") <= 5 and len(row["error"]) < 200 + len(str(tmp_path)), row["error"]

    for name, text in (("tag", "solver: !" + "t" * 1_000_000 + " mse\n"), ("key", "solver: mse\npred: 1\ny: 1\n? " + "k" * 1_000_000 + "\n: 1\n")):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        result, _ = cli("solve", str(path))
        line = one_line(result.exit_code, result.stdout, result.stderr)
        assert len(line) < 400 + len(str(path)), len(line)
        assert ("YAML tag '!ttt" if name == "tag" else "kkkk...: unknown key") in line


def test_submission_errors_stop_at_the_cap():
    from lstmhw.submission import validate_submission_document
    from lstmhw.yamlio import parse_yaml

    doc = parse_yaml("".join(f"k{i}: 1\n" for i in range(5000)) + "answers: {}\n", "s.yaml")
    errors = validate_submission_document(doc, ["p4"])
    assert len(errors) == limits.MAX_ERRORS_PER_FILE
    assert str(errors[0]) == "s.yaml:1: k0: unknown key, expected one of student, answers, variant"


def test_a_solution_longer_than_the_limit_stops_at_the_limit():
    """The Tracer's backstop, for any solver whose up-front size check misses a case."""
    from lstmhw.errors import LstmhwError
    from lstmhw.trace import Tracer

    tracer = Tracer(None)
    for n in range(limits.MAX_TRACE_STEPS):
        tracer.given(f"v[{n}]", 0.0)
    tracer.given("v[0]", 1.0)  # replacing a step is not a new one
    with pytest.raises(LstmhwError, match=f"more than {limits.MAX_TRACE_STEPS:,} steps"):
        tracer.step("one too many", "v[0] + 1", "", ["v[0]"], lambda ops, v: v + 1)


def test_a_solver_that_raises_while_reading_gives_a_located_error(tmp_path, monkeypatch):
    """problem_from_document turns an LstmhwError raised by a solver's read() into a Checker error."""
    from lstmhw.errors import LstmhwError, ValidationErrors
    from lstmhw.problem import load_problem
    from lstmhw.solvers import mse

    def read(c):
        raise LstmhwError("a trial solve went wrong", path=("pred",))

    monkeypatch.setattr(mse, "read", read)
    path = tmp_path / "p.yaml"
    path.write_text("solver: mse\npred: 1\ny: 1\n")
    with pytest.raises(ValidationErrors) as caught:
        load_problem(str(path))
    assert str(caught.value) == f"{path}:2: pred: a trial solve went wrong"


def test_check_reads_hostile_submissions(corpus):
    """check validates submissions with the grader's rules: the refused ones fail, the graded ones pass."""
    root, marker = corpus
    folder = root / "submissions"
    result, _ = cli("check", str(folder))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    ok = {Path(line.split(" ")[1]).stem for line in result.stdout.splitlines()}
    failed = {Path(line.split(":")[0]).stem for line in result.stderr.splitlines() if not line.startswith("warning: ")}
    warned = {Path(line.split(":")[1].strip()).stem for line in result.stderr.splitlines() if line.startswith("warning: ")}
    assert warned == {"duplicate_answer"}  # answered twice: graded invalid alone, so a warning, as grade takes it
    # a flat map of answers is only wrong against a key of several problems, which check has not;
    # an answer that is a mapping is graded invalid alone, and check tells the student before they submit
    assert ok == set(SUBMISSIONS_GRADED) - {"answer_mapping"} | {"flat_for_many"}
    assert failed == set(SUBMISSIONS_REFUSED) - {"flat_for_many"} | {"answer_mapping"}
    assert not marker.exists()


def test_gradescope_out_dir_keeps_every_student_apart(tmp_path):
    """student: names that escape the folder, collide, or are too long never overwrite someone else."""
    subs = tmp_path / "subs"
    subs.mkdir()
    answers = 'answers: {"h[1]": 0.21741}\n'
    names = {"alice": "alice", "impostor": "alice", "upper": "ALICE", "escape": "../../escaped", "dot": ".", "long": "a" * 300}
    for stem, student in names.items():
        (subs / f"{stem}.yaml").write_text(f"student: {json.dumps(student)}\n{answers}")
    out = tmp_path / "out"
    result, _ = cli("grade", str(PROBLEMS / "p4.yaml"), str(subs), "--format", "gradescope", "--out-dir", str(out))
    assert result.exit_code == 0, result.stderr
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("results.json"))
    assert len(written) == len(names)  # nothing overwritten
    assert all(p.count("/") == 1 and len(p.split("/")[0]) <= 210 for p in written), written
    assert not (tmp_path / "escaped").exists() and not (tmp_path.parent / "escaped").exists()
    assert "alice-alice/results.json" in written and "alice-impostor/results.json" in written
    assert "alice/results.json" not in written  # a shared name gives nobody the plain folder


# ----------------------------------------------------------------------------- command-line flags
FLAG_CASES = [
    (("mse", "--pred", "[1e999]", "--y", "0"), ["pred[0]: '1e999', expected a finite number"]),
    (("mse", "--pred", "[[1, 2], [3]]", "--y", "[[1, 2], [3, 4]]"), ["pred[1]: a row of 1 numbers, expected 2 like row 0"]),
    (("mse", "--pred", "!!python/object/apply:os.system ['echo hacked']", "--y", "1"), ["--pred: ", "expected a number, YAML flow"]),
    (("mse", "--pred", "[!!python/object/apply:os.system ['echo hacked']]", "--y", "1"), ["--pred: ", "is not a valid list"]),
    (("mse", "--pred", "[" * 100_000, "--y", "1"), ["--pred: ", "is not a valid list"]),
    (("mse", "--pred", "1e200", "--y", "0"), ["sq_err[1] = err[1]² overflows float64"]),
    (("adam", "--W", "1 2", "--grad", "1 2", "--beta1", "1"), ["beta1: 1, expected a number < 1"]),
    (("adam", "--W", "1", "--grad", "0", "--eps", "0"), ["eps: 0, but S_corr[1] has a zero entry"]),
    (("adam", "--W", "1", "--grad", "1", "--steps", "-4"), ["steps: -4, expected a number ≥ 1"]),
    (("rnn-gradient", "--activation", "sigmod", "--steps", "10", "--target", "0.01"), ["activation: 'sigmod' (did you mean 'sigmoid'?)"]),
    (("rnn-gradient", "--activation", "tanh", "--steps", "-1", "--target", "0.01"), ["steps: -1, expected a number ≥ 1"]),
    (("lstm-forward", str(PROBLEMS / "p4.yaml"), "--x", "[[1.5e308, 1.5e308]]", "--y", "0"), ["z_f[1] = W_f·x[1] + U_f·h[0] + b_f overflows float64"]),
    (("lstm-forward", str(PROBLEMS / "p4.yaml"), "--x", "1 2; 3"), ["x[1]: a row of 1 numbers, expected 2 like row 0"]),
    # a NaN tolerance marked every answer wrong, an infinite one every answer right
    (("grade", str(PROBLEMS / "p4.yaml"), str(SEEDS / "abuitano.yaml"), "--rtol", "nan"), ["--rtol: nan, expected a finite number ≥ 0"]),
    (("grade", str(PROBLEMS / "p4.yaml"), str(SEEDS / "abuitano.yaml"), "--rtol", "inf"), ["--rtol: inf, expected a finite number ≥ 0"]),
    (("grade", str(PROBLEMS / "p4.yaml"), str(SEEDS / "abuitano.yaml"), "--atol", "1e999"), ["--atol: inf, expected a finite number ≥ 0"]),
]


@pytest.mark.parametrize("args, fragments", FLAG_CASES, ids=[f"{c[0][0]}-{n}" for n, c in enumerate(FLAG_CASES)])
def test_hostile_flags_are_one_line(args, fragments):
    result, elapsed = cli(*args)
    line = one_line(result.exit_code, result.stdout, result.stderr)
    assert has_all(line, fragments), line
    assert elapsed < HANG


# ----------------------------------------------------------------------------- numerical edge cases
def test_sigmoid_and_tanh_are_exact_at_the_extremes():
    """No overflow warning (pytest makes warnings errors) and saturation to exactly 0, ±1."""
    import numpy as np

    from lstmhw.mathops import sigmoid, tanh

    z = np.array([-1.7e308, -1e4, -745.2, -1.0, 0.0, 1.0, 745.2, 1e4, 1.7e308])
    s = sigmoid(z)
    assert s[0] == 0.0 and s[1] == 0.0 and s[-2] == 1.0 and s[-1] == 1.0 and s[4] == 0.5
    assert np.all(np.diff(s) >= 0) and np.all(np.isfinite(s))
    assert s[3] == pytest.approx(1 / (1 + np.e)) and s[5] == pytest.approx(1 / (1 + np.exp(-1)))
    t = tanh(z)
    assert t[1] == -1.0 and t[-2] == 1.0 and t[4] == 0.0
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):  # as solvers run
        assert sigmoid(np.float64(-1e4)) == 0.0 and sigmoid(1e4) == 1.0


def test_lstm_with_saturated_gates_solves_exactly(tmp_path):
    """Weights of ±1e4 drive every gate to exactly 0 or 1; nothing overflows."""
    path = tmp_path / "saturated.yaml"
    path.write_text(
        "solver: lstm-forward\n"
        "W: {f: [[1e4]], i: [[1e4]], c: [[1e4]], o: [[-1e4]]}\n"
        "U: {f: [[1e4]], i: [[-1e4]], c: [[1e4]], o: [[1e4]]}\n"
        "b: {f: [0], i: [0], c: [0], o: [0]}\n"
        "x: [[1], [-1]]\n"
    )
    result, _ = cli("solve", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    q = json.loads(result.stdout)["problems"][0]["quantities"]
    assert q["f[1]"] == [1.0] and q["i[1]"] == [1.0] and q["o[1]"] == [0.0] and q["c_tilde[1]"] == [1.0]
    assert q["c[1]"] == [1.0] and q["h[1]"] == [0.0]
    assert q["f[2]"] == [0.0] and q["i[2]"] == [0.0] and q["c[2]"] == [0.0]


def test_adam_with_s_and_eps_zero_has_a_documented_result(tmp_path):
    """S = 0 and ε = 0 with a nonzero gradient: S[1] = (1−β2)g² > 0, so W[1] = W − lr·sign(g), exactly."""
    path = tmp_path / "adam.yaml"
    path.write_text("solver: adam\nlr: 0.1\neps: 0\nW: [[1, 2]]\ngrad: [[3, -0.5]]\nS: [[0, 0]]\n")
    result, _ = cli("solve", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    q = json.loads(result.stdout)["problems"][0]["quantities"]
    assert q["W[1]"] == [[pytest.approx(0.9, abs=1e-15), pytest.approx(2.1, abs=1e-15)]]
    # ... and with a zero gradient entry it is a clear error, not a NaN (corpus: adam_eps_zero_no_gradient)


def test_adam_with_tiny_betas_is_plain_gradient_descent_by_sign(tmp_path):
    """β = 1e-300: the moments are the gradient itself, bias correction ~1; no underflow warning."""
    path = tmp_path / "adam.yaml"
    path.write_text("solver: adam\nlr: 0.5\nbeta1: 1.0e-300\nbeta2: 1.0e-300\nt: 3\nW: [[1]]\ngrad: [[-2]]\nV: [[7]]\nS: [[9]]\n")
    result, _ = cli("solve", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    q = json.loads(result.stdout)["problems"][0]["quantities"]
    assert q["V[3]"] == [[pytest.approx(-2.0)]] and q["S[3]"] == [[pytest.approx(4.0)]]
    assert q["W[3]"] == [[pytest.approx(1.5, abs=1e-8)]]


@pytest.mark.parametrize("problem, old, new, extreme", [
    ("p1", "W: [[-0.22,", "W: [[1.7e308,", "1.7e308"),
    ("p1", "W: [[-0.22,", "W: [[1e-320,", "1e-320"),
    ("p4", "W: {f: [[1,", "W: {f: [[1e-320,", "1e-320"),  # a whole number beside it: 2·10**320 is no float either
])
def test_variant_of_a_problem_with_extreme_numbers(problem, old, new, extreme, tmp_path):
    """variant crashed (OverflowError, exit 3) redrawing 1.7e308 at 2 decimals or anything at 320."""
    path = tmp_path / f"{problem}.yaml"
    text = (PROBLEMS / f"{problem}.yaml").read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    result, _ = cli("variant", str(path), "--seed", "7")
    assert result.exit_code == 0, result.stderr
    w_line = next(line for line in result.stdout.splitlines() if line.startswith("W:"))
    assert extreme in w_line  # too extreme to redraw: kept as written
    variant = tmp_path / "v.yaml"
    variant.write_text(result.stdout)
    assert cli("solve", str(variant), "--format", "json")[0].exit_code == 0


def test_overflowing_student_values_never_earn_ecf_credit():
    """Unit: an infinite candidate (a chain that overflowed) matches no answer."""
    import numpy as np

    from lstmhw.grading import _close
    from lstmhw.problem import Tolerance

    tol = Tolerance(rtol=1e-2, atol=1e-3)
    assert not _close(1.7e308, float("inf"), tol).any()
    assert not _close(np.array([1.0, 1e308]), np.array([1.0, np.inf]), tol)[1]
    assert _close(np.array([1.0, 1e308]), np.array([1.0, np.inf]), tol)[0]


def test_whole_numbers_beyond_floats_are_not_numbers():
    from lstmhw.problem import as_number
    from lstmhw.yamlio import parse_number

    assert parse_number("9" * 400) is None and parse_number("-" + "9" * 400) is None
    assert parse_number("9" * 300) == int("9" * 300)  # still a float's range
    assert as_number(10**400) is None and as_number(-(10**400)) is None and as_number(10**300) == 10**300


# ----------------------------------------------------------------------------- --out never half-written
def _no_temp_files(folder: Path) -> None:
    assert [p.name for p in folder.iterdir() if p.name.startswith(".lstmhw-")] == []


@pytest.mark.parametrize("command", ["solve", "grade"])
def test_out_is_never_half_written(command, tmp_path, monkeypatch):
    """The disk fills up half-way through: the old file is intact, no temporary file is left."""
    import errno

    from lstmhw import output

    target = tmp_path / "report.json"
    target.write_text("the old report\n")
    real_fdopen = os.fdopen

    class HalfFull:
        def __init__(self, handle):
            self.handle = handle

        def write(self, text: str) -> int:
            self.handle.write(text[: len(text) // 2])
            self.handle.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()
            return False

    monkeypatch.setattr(output.os, "fdopen", lambda *a, **k: HalfFull(real_fdopen(*a, **k)))
    args = ["solve", str(PROBLEMS / "p4.yaml")] if command == "solve" else ["grade", str(PROBLEMS / "p4.yaml"), str(SEEDS / "abuitano.yaml")]
    result, _ = cli(*args, "--format", "json", "--out", str(target))
    line = one_line(result.exit_code, result.stdout, result.stderr)
    assert f"{target}: cannot write: {os.strerror(errno.ENOSPC)}" in line
    assert target.read_text() == "the old report\n"
    _no_temp_files(tmp_path)


def test_out_survives_an_interrupt_mid_write(tmp_path, monkeypatch):
    """Ctrl-C between the write and the rename: the interrupt propagates, nothing is left behind."""
    from lstmhw import output
    from lstmhw.output import write_atomic

    target = tmp_path / "sheet.md"
    target.write_text("old\n")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(str(target), "new\n" * 1000)
    assert target.read_text() == "old\n"
    _no_temp_files(tmp_path)


def test_out_into_a_missing_folder_is_one_line(tmp_path):
    result, _ = cli("solve", str(PROBLEMS / "p4.yaml"), "--out", str(tmp_path / "nowhere" / "x.json"))
    line = one_line(result.exit_code, result.stdout, result.stderr)
    assert "does not exist, expected an existing folder for --out" in line


# ----------------------------------------------------------------------------- limits documented
def _written(value: int) -> set[str]:
    """The ways the README may write ``value``: 1,000 / 16 MiB / 10¹⁵."""
    forms = {f"{value:,}"}
    if value % 2**20 == 0:
        forms.add(f"{value // 2**20} MiB")
    exponent = len(str(value)) - 1
    if value == 10**exponent:
        forms.add("10" + str(exponent).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")))
    return forms


def test_readme_limits_match_limits_py():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\|.*`(MAX_[A-Z_]+)`.*\|$", section, re.M)}
    constants = {name: value for name, value in vars(limits).items() if name.startswith("MAX_")}
    assert set(rows) == set(constants), set(rows) ^ set(constants)
    for name, value in constants.items():
        cells = [c.strip() for c in rows[name].strip("|").split("|")]
        assert cells[-1] in _written(value), (name, value, cells[-1])


def test_an_id_that_names_a_path_is_refused_so_variant_writes_inside_its_folder(tmp_path):
    # `variant --out DIR` names its files by the id: "../escaped" or an absolute path would leave DIR
    p4 = (PROBLEMS / "p4.yaml").read_text()
    out = tmp_path / "out"
    for bad in ("../escaped", str(tmp_path / "absolute"), ".hidden", "a\\\\b"):
        path = tmp_path / "p.yaml"
        path.write_text(p4.replace("id: p4", f'id: "{bad}"'))
        result, _ = cli("variant", str(path), "--seed", "1", "--out", str(out))
        assert result.exit_code == 2, (bad, result.stdout)
        assert "id:" in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "escaped-v1.yaml").exists() and not (tmp_path / "absolute-v1.yaml").exists()
    assert not out.exists() or not any(out.iterdir())
    path.write_text(p4.replace("id: p4", "id: p4b"))
    result, _ = cli("variant", str(path), "--seed", "1", "--out", str(out))
    assert result.exit_code == 0 and (out / "p4b-v1.yaml").exists()
