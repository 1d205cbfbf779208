"""Students' submission files (SPEC §4): who, which variant, and their raw answers.

A submission that cannot be read is not fatal to a batch: :func:`read_submission`
returns a :class:`Submission` with ``error`` set, and the report shows it as a
``status: error`` row while everyone else is graded.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lstmhw.errors import LstmhwError, did_you_mean
from lstmhw.limits import MAX_ERRORS_PER_FILE
from lstmhw.problem import as_number, describe
from lstmhw.yamlio import Document, load_yaml

SUBMISSION_KEYS = ("student", "answers", "variant")
TRUE_WORDS = {"t", "true", "yes", "y", "on"}
FALSE_WORDS = {"f", "false", "no", "n", "off"}
# "False, because the biases ...": a true/false answer with the student's reason after it.
# These patterns are compiled on first use (re's cache), not on import: most answers are numbers,
# and compiling them took ~1 ms of every start-up (issue 18).
_CLAIM_SENTENCE = r"\s*(true|false|yes|no)\b[\s,.;:!\u2013\u2014-]*(.*)"
# "F, because ...", "T.": a letter is a word only with a mark right after it ("N is ..." is not a no)
_CLAIM_LETTER = r"\s*([tfyn])[,.;:!\u2013\u2014][\s,.;:!\u2013\u2014-]*(.*)"
_CLAIM_FLAGS = re.IGNORECASE | re.DOTALL
_FRACTION = r"\s*([-+\u2212]?\d+(?:\.\d*)?)\s*/\s*(\d+(?:\.\d*)?)\s*"


@dataclass(frozen=True)
class AnsweredTwice:
    """A quantity written twice in one submission: invalid on its own (the rest is graded)."""

    values: tuple[Any, ...]

    @staticmethod
    def of(*answers: Any) -> Any:
        """The answers given to one quantity, in the order written (one that was itself given twice counts each)."""
        values: list[Any] = []
        for answer in answers:
            values.extend(answer.values if isinstance(answer, AnsweredTwice) else (answer,))
        if all(type(v) is type(values[0]) and v == values[0] for v in values[1:]):
            return values[0]  # the same answer written twice is one answer: nothing to choose between
        return AnsweredTwice(tuple(values))

    def __str__(self) -> str:
        import json

        from lstmhw.render.values import jsonable

        times = "twice" if len(self.values) == 2 else f"{len(self.values)} times"
        return f"answered {times}: " + ", then ".join(json.dumps(jsonable(v), default=str) for v in self.values)


@dataclass
class Submission:
    """One submission file as read: who, which variant, the raw answers by problem (or why it cannot be read)."""

    file: str
    student: str
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # problem id -> quantity -> raw
    variant: int | None = None
    error: str | None = None
    # problem id -> quantity -> the decimals each number was written with (nested like the
    # answer; nan where there is no such thing, e.g. 1/4): grading uses the written precision.
    decimals: dict[str, dict[str, Any]] = field(default_factory=dict)
    ignored_problems: list[str] = field(default_factory=list)  # answered problems the key does not have


_DECIMAL_TEXT = re.compile(r"[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?")


def decimals_written(text: str) -> float:
    """The decimals a number was written with: ``0.220`` → 3, ``4`` → 0, ``2.5e-3`` → 4,
    ``1.2e3`` → −2 (written to the hundred); nan for what is not a decimal number."""
    # The commonest form first, without the pattern (a matrix is thousands of them): a sign,
    # ASCII digits, a point, digits. Anything else is the pattern's to read.
    body = text[1:] if text[:1] in ("-", "+") else text
    whole, _, fraction = body.partition(".")
    if (whole or fraction) and (whole.isdigit() or not whole) and (fraction.isdigit() or not fraction) and body.isascii():
        return float(len(fraction))
    return _decimals_by_pattern(text)


def _decimals_by_pattern(text: str) -> float:
    """:func:`decimals_written` of any text, by the pattern of a decimal number."""
    clean = text.strip().replace("\u2212", "-").replace("_", "")
    match = _DECIMAL_TEXT.fullmatch(clean)
    if match is None or not (match.group(1) or match.group(2)):
        return math.nan
    exponent = match.group(3) or "0"
    if len(exponent.lstrip("+-")) > 4:  # 1e99999...: no float is written so; never int() of 5,000 digits
        return math.nan
    return float(len(match.group(2) or "") - int(exponent))


def written_decimals(raw: Any, path: tuple, texts: dict | None) -> Any:
    """The decimals of every number in a raw answer, nested like :func:`answer_value`'s reading
    of it (see :func:`decimals_written`)."""
    kind = type(raw)
    if kind is not float and kind is not int:  # (a number, the commonest answer, goes straight on)
        if isinstance(raw, list):
            return [written_decimals(item, path + (n,), texts) for n, item in enumerate(raw)]
        if isinstance(raw, str):
            cells = _rows(raw)
            if cells is not None:
                rows = [[decimals_written(cell) for cell in row] for row in cells]
                return rows[0] if len(rows) == 1 else rows
            return decimals_written(raw)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            return math.nan
    text = texts.get(path) if texts is not None else None
    # Without the text (an answer given in code, an alias): the shortest text of the float,
    # which is what was written but for trailing zeros (0.220 reads as 0.22).
    return decimals_written(text if text is not None else repr(raw))


def answer_value(raw: Any) -> Any:
    """A raw YAML answer as a number, bool, word or nested list of numbers; None if unreadable.

    Read as a student writes them (SPEC §4.1): ``T``/``F``/``yes``/``no`` and a sentence that
    starts with ``true``/``false`` ("False, because ...") are booleans; strings YAML 1.1 does
    not read as numbers (``1e-3``, ``−0.22``) and fractions (``1/4``) are numbers; MATLAB rows
    (``"0.1 0.2; 0.3 0.4"``, also one row per item of a YAML list) are lists.
    """
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        return _text_value(raw)
    if isinstance(raw, list):
        if all(type(item) is float and item - item == 0 for item in raw):
            return list(raw)  # a row of finite floats, the bulk of a matrix: each is its own value
        items = [answer_value(item) for item in raw]
        if any(item is None or isinstance(item, bool) for item in items):
            return None
        return items
    number = as_number(raw)
    return float(number) if number is not None else None


def _text_value(text: str) -> Any:
    word = text.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    number = as_number(text)
    if number is not None:
        return float(number)
    fraction = re.fullmatch(_FRACTION, text)
    if fraction is not None:
        numerator, denominator = (float(part.replace("\u2212", "-")) for part in fraction.groups())
        return numerator / denominator if denominator != 0 and math.isfinite(numerator / denominator) else text
    cells = _rows(text)
    if cells is not None:
        rows = [[float(as_number(cell)) for cell in row] for row in cells]
        return rows[0] if len(rows) == 1 else rows
    sentence = _claim_sentence(text)
    if sentence is not None:
        return sentence.group(1).lower() in TRUE_WORDS
    return text


def _claim_sentence(text: str) -> re.Match[str] | None:
    """A true/false word or letter and the reason after it: group 1 the word, group 2 the rest."""
    return re.fullmatch(_CLAIM_SENTENCE, text, _CLAIM_FLAGS) or re.fullmatch(_CLAIM_LETTER, text, _CLAIM_FLAGS)


def _rows(text: str) -> list[list[str]] | None:
    """MATLAB rows written as text, only where there is more than one number (else a number) or
    brackets round one ("[0.2174]", a one-element vector as MATLAB prints it)."""
    bracketed = text.strip().startswith("[") and text.strip().endswith("]")
    if not bracketed and not any(mark in text for mark in " ;,\t"):
        return None
    from lstmhw.literals import matlab_cells

    cells = matlab_cells(text)
    return cells if cells is not None and (bracketed or sum(len(row) for row in cells) > 1) else None


def claim_reason(raw: Any) -> str | None:
    """The student's reason after a true/false word ("False, because the biases ..."), if any."""
    if not isinstance(raw, str):
        return None
    sentence = _claim_sentence(raw)
    reason = sentence.group(2).strip() if sentence is not None else ""
    return reason or None


def file_stem(file: str) -> str:
    """The file's name without its folder and extension: the student of a file that names none."""
    return os.path.splitext(os.path.basename(file))[0]


def validate_submission_document(
    doc: Document, problem_ids: Sequence[str] | None = None, values: bool = True, *, nested: bool | None = None
) -> list[LstmhwError]:
    """Every error in a submission (for ``check``); empty when it is readable.

    ``values=False``: only what stops the file being read; an unreadable answer (a mapping, a
    word) is then graded ``invalid`` on its own, and the rest of the file is graded.
    ``nested``: whether the answers are grouped by problem, when the caller knows (:func:`_is_nested`).
    """
    errors: list[LstmhwError] = []
    data = doc.data
    for key in data:
        if len(errors) >= MAX_ERRORS_PER_FILE:
            break  # 100,000 unknown keys: a did-you-mean each would take seconds
        if key not in SUBMISSION_KEYS:
            errors.append(
                doc.error(
                    (key,), f"unknown key{did_you_mean(key, SUBMISSION_KEYS)}, expected one of {', '.join(SUBMISSION_KEYS)}"
                )
            )
    # `student: ~` and `variant: ~` (as `lstmhw template` writes them) mean the file's stem and the original key.
    if "student" in data and isinstance(data["student"], (dict, list)):
        errors.append(doc.error(("student",), f"{describe(data['student'])}, expected a name"))
    if data.get("variant") is not None:
        number = as_number(data["variant"])
        if number is None or number != int(number) or number < 0:
            errors.append(doc.error(("variant",), f"{describe(data['variant'])}, expected a whole number ≥ 0"))
    answers = data.get("answers")
    if "answers" not in data:
        errors.append(doc.error((), "missing key 'answers'"))
    elif not isinstance(answers, dict):
        errors.append(doc.error(("answers",), f"{describe(answers)}, expected a mapping of answers"))
    else:
        if nested is None:
            nested = _is_nested(answers, problem_ids)
        groups = answers.items() if nested else [(None, answers)]
        for pid, group in groups:
            base = ("answers", pid) if pid is not None else ("answers",)
            if not isinstance(group, dict):
                errors.append(doc.error(base, f"{describe(group)}, expected a mapping of quantity to answer"))
                continue
            if not values:
                continue  # an unreadable answer is graded invalid on its own (see above)
            for quantity, raw in group.items():
                if len(errors) >= MAX_ERRORS_PER_FILE:
                    break
                if raw is None or isinstance(raw, AnsweredTwice):
                    continue  # a blank answer is graded missing, one answered twice invalid: not the file refused
                if isinstance(raw, dict) or answer_value(raw) is None:
                    errors.append(
                        doc.error(base + (quantity,), f"{describe(raw)}, expected a number, a list of numbers, or true/false")
                    )
    return errors


def _is_nested(answers: dict, problem_ids: Sequence[str] | None) -> bool:
    """Answers grouped per problem (``p4: {h[1]: ...}``) rather than one flat map."""
    if problem_ids is not None:
        lower = {str(pid).lower() for pid in problem_ids}
        for key in answers:
            if str(key).lower() in lower:
                return True
    return bool(answers) and all(isinstance(v, dict) for v in answers.values())


def read_submission(file: str, problem_ids: Sequence[str]) -> Submission:
    """Read one submission; never raises for bad content (the error is recorded instead)."""
    try:
        doc = load_yaml(file, keep_text=True, keep_duplicates=True)
    except LstmhwError as exc:
        return Submission(file=file, student=file_stem(file), error=str(exc))
    data = doc.data
    student = data.get("student")
    student = str(student) if not isinstance(student, (dict, list)) and student is not None else file_stem(file)
    answers = data.get("answers")
    nested = isinstance(answers, dict) and _is_nested(answers, problem_ids)
    errors = validate_submission_document(doc, problem_ids, values=False, nested=nested)
    errors.extend(_apply_duplicates(doc, nested))
    grouped: dict[str, dict[str, Any]] = {}
    decimals: dict[str, dict[str, Any]] = {}
    ignored: list[str] = []
    if not errors and isinstance(answers, dict) and answers:
        if nested:
            # Problem ids are matched case-insensitively (P4 is p4). Answers to problems outside
            # the key are not graded (an instructor may grade one problem at a time), but listed.
            by_lower = {str(pid).lower(): pid for pid in problem_ids}
            for written, group in answers.items():
                pid = by_lower.get(str(written).lower())
                if pid is None:
                    ignored.append(str(written))
                    continue
                here = grouped.setdefault(pid, {})
                places = decimals.setdefault(pid, {})
                for q, raw in group.items():
                    number_decimals = written_decimals(raw, ("answers", written, q), doc.texts)
                    if q in here:  # P4 and p4 both answer it
                        raw, number_decimals = AnsweredTwice.of(here[q], raw), math.nan
                    here[q], places[q] = raw, number_decimals
        elif len(problem_ids) == 1:
            grouped = {problem_ids[0]: dict(answers)}
            decimals = {problem_ids[0]: {q: written_decimals(raw, ("answers", q), doc.texts) for q, raw in answers.items()}}
        else:
            errors.append(
                doc.error(
                    ("answers",),
                    f"a flat map of answers, expected answers grouped by problem ({', '.join(problem_ids)}) "
                    f"for a key of {len(problem_ids)} problems",
                )
            )
    variant = None
    if not errors and data.get("variant") is not None:
        variant = int(as_number(data["variant"]))
    if errors:
        return Submission(file=file, student=student, error=str(errors[0]))
    return Submission(
        file=file, student=student, answers=grouped, variant=variant, decimals=decimals, ignored_problems=ignored
    )


def _apply_duplicates(doc: Document, nested: bool, answers: bool = True) -> list[LstmhwError]:
    """Keys written twice: a quantity becomes :class:`AnsweredTwice` (invalid alone; a problem
    written twice was read as one already), and any other key twice refuses the file (every key,
    with ``answers=False``: a problem file)."""
    errors = []
    for path, entries in (doc.duplicates or {}).items():
        answer_depth = 3 if nested else 2
        if answers and path[:1] == ("answers",) and len(path) == answer_depth:
            parent = doc.data["answers"][path[1]] if nested else doc.data["answers"]
            if isinstance(parent, dict):
                parent[path[-1]] = AnsweredTwice.of(*(value for value, _line in entries))
                continue
        if answers and len(path) >= answer_depth and path[0] == "answers":
            continue  # inside one answer (a mapping): that answer is invalid anyway
        (_first, first_line), (_again, line) = entries[0], entries[1]
        errors.append(
            LstmhwError(
                f"key {path[-1]!r} appears twice (first on line {first_line}), expected each key once",
                file=doc.file, path=path, line=line,
            )
        )
    return errors
