"""Grading a class: read the key once, every submission once, and write one report."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence

from lstmhw.errors import LstmhwError
from lstmhw.files import load_problems
from lstmhw.grading import Key, Options, SubmissionResult, grade_submission
from lstmhw.limits import MAX_FILES_PER_RUN
from lstmhw.output import emit, write_atomic
from lstmhw.submission import Submission, read_submission


def submission_files(paths: Sequence[str]) -> list[str]:
    """Files as given (a missing one becomes an error row, not a crash); folders give *.yaml."""
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            files.extend(sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith((".yaml", ".yml"))))
        else:
            files.append(path)
    if len(files) > MAX_FILES_PER_RUN:
        raise LstmhwError(f"{len(files):,} submissions, expected at most {MAX_FILES_PER_RUN:,} in one run")
    return files


def grade_all(key: Key, files: Sequence[str]) -> list[SubmissionResult]:
    """A result per file, in order: graded, or an error row (the file's own, or lstmhw's: ``internal``)."""
    results = []
    for file in files:
        submission = Submission(file=file, student=os.path.splitext(os.path.basename(file))[0])
        try:
            submission = read_submission(file, key.ids)
            results.append(grade_submission(key, submission))
        except LstmhwError as exc:  # one bad submission never stops the batch
            results.append(_error_row(submission, str(exc), key))
        except Exception as exc:  # nor does a bug it trips: everyone else is still graded, and the exit code says so
            message = f"{file}: internal error of lstmhw: {type(exc).__name__}: {exc} (please report it)"
            row = _error_row(submission, " ".join(message.split()), key)  # one line, as every error
            row.internal = True
            results.append(row)
    return results


def _error_row(submission: Submission, error: str, key: Key) -> SubmissionResult:
    return SubmissionResult(submission.student, submission.file, "error", error, 0.0, key.max_score)


def grade_files(
    key_path: str,
    paths: Sequence[str],
    fmt: str,
    *,
    details: bool = False,
    rtol: float | None = None,
    atol: float | None = None,
    digits: int = 4,
    out: str | None = None,
    out_dir: str | None = None,
) -> list[SubmissionResult]:
    """Grade and write the report; returns the results (the CLI's exit code follows from them)."""
    from lstmhw.render import report

    key = Key(load_problems([key_path]), Options(rtol=rtol, atol=atol))
    results = grade_all(key, submission_files(paths))
    if fmt == "json":
        emit(report.render_json(results), out)
    elif fmt == "csv":
        emit(report.render_csv_details(results) if details else report.render_csv(results, key.ids), out)
    elif fmt == "gradescope":
        if out_dir:
            for result, name in zip(results, _folder_names(results), strict=True):
                folder = os.path.join(out_dir, name)
                try:
                    os.makedirs(folder, exist_ok=True)
                except OSError as exc:
                    raise LstmhwError(f"cannot create {folder}: {exc.strerror}", file=out_dir) from None
                write_atomic(os.path.join(folder, "results.json"), report.render_gradescope(result, digits))
        elif len(results) != 1:
            raise LstmhwError(f"{len(results)} submissions, expected one for --format gradescope (or use --out-dir DIR)")
        else:
            emit(report.render_gradescope(results[0], digits), out)
    else:
        from lstmhw.render.table import make_console

        if out:
            import io

            buffer = io.StringIO()
            report.render_table(results, key.ids, details, digits, make_console(buffer))
            emit(buffer.getvalue(), out)
        else:
            report.render_table(results, key.ids, details, digits, make_console())
    return results


def _safe_name(student: str) -> str:
    """A student name as one path component: no separators, no dot-dot."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in student[:100]).strip(".")
    return cleaned or "student"


def _folder_names(results: Sequence[SubmissionResult]) -> list[str]:
    """A folder per submission, never shared: ``student: alice`` in someone else's file must not
    overwrite Alice's results.json. A name two submissions share (also up to case, or after
    cleaning) gets each file's stem appended, so neither has the plain name."""
    names = [_safe_name(r.student) for r in results]
    shared = Counter(n.casefold() for n in names)
    used: set[str] = set()
    out = []
    for result, name in zip(results, names, strict=True):
        if shared[name.casefold()] > 1:
            name = f"{name}-{_safe_name(os.path.splitext(os.path.basename(result.file))[0])}"
        base, n = name, 2
        while name.casefold() in used:  # the same name and stem from two folders
            name, n = f"{base}-{n}", n + 1
        used.add(name.casefold())
        out.append(name)
    return out
