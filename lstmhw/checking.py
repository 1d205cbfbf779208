"""``lstmhw check``: validate problem and submission files without solving them.

Every error in a file is listed, not just the first: problem files go through
the same :class:`~lstmhw.problem.Checker` as ``solve`` (which collects all
errors), submissions through :func:`lstmhw.submission.validate_submission_document`.
A file is a submission when it has an ``answers`` key and no ``solver``.

Given problem files (a key) and submissions together, ``check`` also checks each
submission against the key (SPEC §6), without saying whether anything is right:
unreadable values, wrong shapes, names that match nothing asked (with a
did-you-mean), quantities and problems of the key not answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lstmhw.errors import LstmhwError, ValidationErrors
from lstmhw.yamlio import Document


@dataclass
class FileCheck:
    """The outcome for one file: what it is (when readable) and every error in it."""

    file: str
    kind: str = ""  # "problem" or "submission"
    summary: str = ""  # "problem p4, lstm-forward" / "submission abuitano, 2 answers"
    problem_id: str | None = None
    id_line: int | None = None
    errors: list[LstmhwError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # against the key: what would not be graded in full

    @property
    def ok(self) -> bool:
        return not self.errors


def is_submission(data: dict) -> bool:
    return "answers" in data and "solver" not in data


def check_document(doc: Document) -> FileCheck:
    """Validate one parsed file as a problem or a submission."""
    result = FileCheck(file=doc.file)
    data = doc.data
    if is_submission(data):
        result.kind = "submission"
        result.errors = submission_errors(doc)
        student = data.get("student")
        name = student if isinstance(student, str) else doc.file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        answers = data.get("answers")
        answers = answers if isinstance(answers, dict) else {}
        nested = bool(answers) and all(isinstance(v, dict) for v in answers.values())
        count = len(answers)
        what = ("problem" if nested else "answer") + ("" if count == 1 else "s")
        variant = data.get("variant")
        result.summary = f"submission {name}, {count} {what}" + (
            f", variant {variant}" if variant is not None and not isinstance(variant, (dict, list)) else ""
        )
        return result
    result.kind = "problem"
    if "solver" not in data:
        result.errors = [doc.error((), "neither 'solver' (a problem file) nor 'answers' (a submission), expected one of them")]
        return result
    from lstmhw.problem import problem_from_document

    try:
        problem = problem_from_document(doc)
    except ValidationErrors as exc:
        result.errors = list(exc.errors)
    else:
        result.problem_id = problem.id
        result.id_line = doc.line(("id",)) if "id" in data else None
        result.summary = f"problem {problem.id}, {problem.solver}"
    return result


def submission_errors(doc: Document) -> list[LstmhwError]:
    """Structural errors of a submission, by the grader's own rules (no key needed)."""
    from lstmhw.submission import validate_submission_document

    return list(validate_submission_document(doc))


def check_paths(paths: Sequence[str]) -> list[FileCheck]:
    """Check every file in ``paths`` (a folder means its ``*.yaml``, sorted).

    A path that does not exist or cannot be parsed is a :class:`FileCheck`
    with one error; the other files are still checked.  Problem ids must be
    unique across the problem files checked together, as ``solve`` requires.
    """
    from lstmhw.files import expand_paths
    from lstmhw.yamlio import load_yaml

    results: list[FileCheck] = []
    for path in paths:
        try:
            files = expand_paths([path])
        except LstmhwError as exc:
            results.append(FileCheck(file=path, errors=[exc]))
            continue
        for file in files:
            try:
                doc = load_yaml(file, keep_duplicates=True)
            except LstmhwError as exc:
                results.append(FileCheck(file=file, errors=[exc]))
                continue
            twice = _written_twice(doc)  # before the check: a quantity written twice is then one invalid answer
            result = check_document(doc)
            result.errors.extend(twice.errors)
            result.warnings.extend(twice.warnings)
            results.append(result)
    _check_unique_ids(results)
    for result in results:
        # File order, then line order: what an editor's error list expects.
        result.errors.sort(key=lambda e: e.line or 0)
    return results


def _check_unique_ids(results: list[FileCheck]) -> None:
    seen: dict[str, str] = {}
    for result in results:
        if result.kind != "problem" or result.problem_id is None:
            continue
        if result.problem_id in seen:
            result.errors.append(
                LstmhwError(
                    f"id '{result.problem_id}' is also the id of {seen[result.problem_id]}, expected unique problem ids",
                    file=result.file,
                    path=("id",),
                    line=result.id_line,
                )
            )
        else:
            seen[result.problem_id] = result.file


def check_against_key(results: list[FileCheck]) -> None:
    """Add to every valid submission its warnings against the key made of the valid problem files
    checked with it (nothing to do without both)."""
    problems = [r.file for r in results if r.kind == "problem" and r.ok]
    submissions = [r for r in results if r.kind == "submission" and r.ok]
    if not problems or not submissions or any(r.kind == "problem" and not r.ok for r in results):
        return
    from lstmhw.files import load_problems
    from lstmhw.grading import Key, Options, grade_submission
    from lstmhw.render.report import ignored_line
    from lstmhw.submission import read_submission

    key = Key(load_problems(problems), Options(ecf=False, diagnose=False))
    for result in submissions:
        submission = read_submission(result.file, key.ids)
        graded = grade_submission(key, submission)
        if graded.status == "error":
            result.warnings.append(f"{result.file}: {graded.error}")
            continue
        for pid, quantities in graded.problems.items():
            missing = [q for q, r in quantities.items() if r.verdict == "missing"]
            if len(missing) == len(quantities):
                result.warnings.append(f"{result.file}: problem {pid} is not answered (asked: {', '.join(quantities)})")
                continue
            if missing:
                result.warnings.append(f"{result.file}: {pid}: no answer for {', '.join(missing)}")
            for q, r in quantities.items():
                if r.verdict == "invalid":
                    result.warnings.append(f"{result.file}: {pid}.{q}: {r.reason}")
        for item in graded.ignored:
            result.warnings.append(f"{result.file}: {ignored_line(item)}")


@dataclass
class _Twice:
    """The keys a file writes twice: errors (any key but a quantity) and warnings (a quantity answered twice)."""

    errors: list[LstmhwError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _written_twice(doc: Document) -> _Twice:
    """Keys written twice, as ``grade`` takes them: in a submission a quantity answered twice is a
    warning (it is graded invalid, the rest of the file is graded); any other key twice is an error."""
    from lstmhw.submission import AnsweredTwice, _apply_duplicates, _is_nested

    found = _Twice()
    if not doc.duplicates:
        return found
    data = doc.data
    if not is_submission(data):
        found.errors = _apply_duplicates(doc, nested=False, answers=False)
        return found
    answers = data.get("answers")
    nested = isinstance(answers, dict) and _is_nested(answers, None)
    found.errors = _apply_duplicates(doc, nested)
    groups = answers.items() if nested and isinstance(answers, dict) else [(None, answers)]
    for pid, group in groups:
        for q, raw in (group.items() if isinstance(group, dict) else ()):
            if isinstance(raw, AnsweredTwice):
                where = ("answers", pid, q) if pid is not None else ("answers", q)
                found.warnings.append(str(doc.error(where, f"{raw}, graded invalid")))
    return found
