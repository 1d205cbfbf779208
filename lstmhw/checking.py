"""``lstmhw check``: validate problem and submission files without solving them.

Every error in a file is listed, not just the first: problem files go through
the same :class:`~lstmhw.problem.Checker` as ``solve`` (which collects all
errors), submissions through :func:`lstmhw.submission.validate_submission_document`.
A file is a submission when it has an ``answers`` key and no ``solver``.
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
                doc = load_yaml(file)
            except LstmhwError as exc:
                results.append(FileCheck(file=file, errors=[exc]))
                continue
            results.append(check_document(doc))
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
