"""Reports are streamed (issue 18): each student's row is written as they are graded, and their
results are not kept once written. Checked at the moment the last submission is read: what is on
stdout (or in --out-dir) by then, and which earlier results are still alive."""

from __future__ import annotations

import gc
import io
import json
import shutil
import sys
import weakref

import pytest
from conftest import FIXTURES, PROBLEMS

from lstmhw import batch
from lstmhw.batch import ReportOptions, grade_files

SEEDS = FIXTURES / "seeds"
N = 6


@pytest.fixture
def watched(tmp_path, monkeypatch):
    """N submissions; a snapshot of stdout and of the live results, taken when the last one is read."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for n in range(N):
        shutil.copy(SEEDS / ("abuitano.yaml" if n % 2 else "student000.yaml"), subs / f"s{n}.yaml")
        text = (subs / f"s{n}.yaml").read_text().replace("student: abuitano", f"student: a{n}").replace("student: student000", f"student: b{n}")
        (subs / f"s{n}.yaml").write_text(text)
    stdout = io.StringIO()
    seen: dict = {"results": []}
    real_read, real_grade = batch.read_submission, batch.grade_submission

    def read(file, ids):
        if file.endswith(f"s{N - 1}.yaml"):
            gc.collect()
            seen["stdout"] = stdout.getvalue()
            seen["alive"] = sum(ref() is not None for ref in seen["results"])
        return real_read(file, ids)

    def grade(key, submission, *args, **kwargs):
        result = real_grade(key, submission, *args, **kwargs)
        seen["results"].append(weakref.ref(result))
        return result

    monkeypatch.setattr(batch, "read_submission", read)
    monkeypatch.setattr(batch, "grade_submission", grade)

    def start() -> None:  # in the test itself: pytest sets its own sys.stdout after fixtures
        monkeypatch.setattr(sys, "stdout", stdout)

    return subs, stdout, seen, start


def test_csv_rows_are_written_before_the_last_submission_is_read(watched):
    subs, stdout, seen, start = watched
    start()
    summary = grade_files(str(PROBLEMS), [str(subs)], ReportOptions(fmt="csv"))
    assert summary.rows == N and summary.errors == 0
    before = seen["stdout"].splitlines()
    assert before[0].startswith("student,file,status") and len(before) == N  # the header and N - 1 rows
    assert [line.split(",")[0] for line in before[1:]] == [f"{'ab'[n % 2 == 0]}{n}" for n in range(N - 1)]
    # at most the one just written is still referenced (a loop variable), never the N - 1 of them
    assert seen["alive"] <= 1
    assert len(stdout.getvalue().splitlines()) == N + 1


def test_json_submissions_are_written_before_the_last_is_read(watched):
    subs, stdout, seen, start = watched
    start()
    grade_files(str(PROBLEMS), [str(subs)], ReportOptions(fmt="json"))
    assert seen["stdout"].count('"student": ') == N - 1
    assert seen["alive"] <= 1
    assert len(json.loads(stdout.getvalue())["submissions"]) == N


def test_the_table_keeps_rows_of_text_not_results(watched, monkeypatch):
    subs, stdout, seen, start = watched
    start()
    monkeypatch.setenv("COLUMNS", "300")  # wide enough that no title or header wraps, whatever the path
    grade_files(str(PROBLEMS), [str(subs)], ReportOptions(fmt="table", details=True))
    assert seen["alive"] <= 1  # the summary's rows and the detail tables are kept as text
    text = stdout.getvalue()
    assert text.count("grades") == 1 and text.count("what went wrong") == N  # the summary, and a table per student
    assert text.index("grades") < text.index("b0 (") < text.index("a1 (") < text.index(f"a{N - 1} (")


def test_gradescope_out_dir_writes_each_student_as_graded(watched, tmp_path):
    subs, _, seen, start = watched
    start()
    out = tmp_path / "out"
    real_read = batch.read_submission

    def read(file, ids):
        if file.endswith(f"s{N - 1}.yaml"):
            seen["written"] = sorted(p.parent.name for p in out.glob("*/results.json"))
        return real_read(file, ids)

    batch.read_submission = read  # restored by the fixture's monkeypatch
    grade_files(str(PROBLEMS), [str(subs)], ReportOptions(fmt="gradescope", out_dir=str(out)))
    assert seen["written"] == sorted(f"{'ab'[n % 2 == 0]}{n}" for n in range(N - 1))
    assert seen["alive"] <= 1


def test_out_is_written_whole_or_not_at_all(watched, tmp_path):
    subs, _, seen, start = watched
    start()
    out = tmp_path / "report.csv"
    out.write_text("the old report\n")
    real_read = batch.read_submission

    def read(file, ids):
        if file.endswith(f"s{N - 1}.yaml"):
            seen["during"] = out.read_text()
            raise KeyboardInterrupt  # the run stops half-way
        return real_read(file, ids)

    batch.read_submission = read
    with pytest.raises(KeyboardInterrupt):
        grade_files(str(PROBLEMS), [str(subs)], ReportOptions(fmt="csv", out=str(out)))
    assert seen["during"] == out.read_text() == "the old report\n"  # never half-written
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".lstmhw-")] == []  # no temporary file left


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_rows_reach_a_pipe_as_they_are_graded(watched, monkeypatch, fmt):
    """On a pipe (``| tee``, a log shown live) each row is flushed as it is written: the reader of
    the pipe has every earlier student's row before the last submission is read."""
    import os

    subs, _, seen, _start = watched
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    pipe = os.fdopen(write_end, "w", buffering=1 << 16)  # block-buffered, as Python's stdout on a pipe
    monkeypatch.setattr(sys, "stdout", pipe)
    real_read = batch.read_submission

    def read(file, ids):
        if file.endswith(f"s{N - 1}.yaml"):
            seen["piped"] = os.read(read_end, 1 << 20).decode()
        return real_read(file, ids)

    batch.read_submission = read  # restored by the fixture's monkeypatch
    try:
        grade_files(str(PROBLEMS), [str(subs)], ReportOptions(fmt=fmt))
    finally:
        pipe.close()
        os.close(read_end)
    if fmt == "csv":
        assert len(seen["piped"].splitlines()) == N  # the header and N - 1 rows
    else:
        assert seen["piped"].count('"student": ') == N - 1


def test_a_regular_file_gets_every_row(tmp_path, monkeypatch):
    """Redirected to a file (``> report.csv``) the rows are written in blocks, not flushed one by
    one (batch.read_as_written): the file still has every row once the batch is done."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for n in range(N):
        (subs / f"s{n}.yaml").write_text(f'student: s{n}\nanswers: {{"h[1]": 0.2174}}\n')
    report = tmp_path / "report.csv"
    with open(report, "w", encoding="utf-8") as handle:
        assert not batch.read_as_written(handle)
        monkeypatch.setattr(sys, "stdout", handle)
        grade_files(str(PROBLEMS / "p4.yaml"), [str(subs)], ReportOptions(fmt="csv"))
    assert [line.split(",")[0] for line in report.read_text().splitlines()] == ["student", *(f"s{n}" for n in range(N))]
