"""Finding and loading problem files, and problems given as command-line flags."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from lstmhw.errors import LstmhwError, ValidationErrors
from lstmhw.limits import MAX_FILES_PER_RUN
from lstmhw.problem import Problem, load_problem, problem_from_document
from lstmhw.yamlio import Document

COMMAND_LINE = "command line"


def bundled_problems() -> str:
    """The folder of the homework shipped with lstmhw (problems/ in the source tree)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "problems")


def expand_paths(paths: Sequence[str]) -> list[str]:
    """Files as given; a folder means its ``*.yaml``/``*.yml`` files, sorted."""
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            inside = sorted(
                os.path.join(path, name)
                for name in os.listdir(path)
                if name.endswith((".yaml", ".yml")) and os.path.isfile(os.path.join(path, name))
            )
            if not inside:
                raise LstmhwError("folder has no *.yaml files, expected problem files", file=path)
            files.extend(inside)
        elif os.path.exists(path):
            files.append(path)
        else:
            raise LstmhwError("no such file or folder", file=path)
        if len(files) > MAX_FILES_PER_RUN:
            raise LstmhwError(f"more than {MAX_FILES_PER_RUN:,} files, expected at most {MAX_FILES_PER_RUN:,} in one run")
    return files


def load_problems(paths: Sequence[str]) -> list[Problem]:
    """Every problem in ``paths``; ids must be unique across them."""
    problems = [load_problem(f) for f in expand_paths(paths)]
    seen: dict[str, str] = {}
    for problem in problems:
        if problem.id in seen:
            raise LstmhwError(
                f"id '{problem.id}' is also the id of {seen[problem.id]}, expected unique problem ids",
                file=problem.file,
                path=("id",),
                line=problem.doc.line(("id",)) if problem.doc else None,
            )
        seen[problem.id] = problem.file
    return problems


def problem_from_flags(data: dict[str, Any], doc: Document | None = None, given: Sequence[str] | None = None) -> Problem:
    """A problem built from command-line flags, validated like a file; an error in a value a
    flag gave names the flag (``--x: shape (1, 3), ...``), not a file.

    ``doc``: the problem file the flags override (``lstmhw lstm-forward FILE --x ...``), whose
    own errors keep naming the file; ``given``: the keys the flags set (default: all of ``data``).
    """
    document = doc if doc is not None else Document(file=COMMAND_LINE, data=data)
    flagged = set(given if given is not None else data) - {"solver", "id"}
    try:
        return problem_from_document(document)
    except ValidationErrors as exc:
        raise ValidationErrors([_name_the_flag(e, flagged, doc is None) for e in exc.errors]) from None
    except LstmhwError as exc:
        raise _name_the_flag(exc, flagged, doc is None) from None


def flag_of(key: str) -> str:
    """The flag that sets a problem key: ``W_h`` → ``--W-h``, ``weight_decay`` → ``--weight-decay``."""
    return "--" + key.replace("_", "-")


_MISSING_KEY = r"missing key '([^']+)'"  # compiled on first use (re's cache): only flags' errors read it


def _name_the_flag(error: LstmhwError, flagged: set[str], only_flags: bool) -> LstmhwError:
    """``error`` with the flag in place of the key path, where a flag gave that value."""
    path = error.path
    missing = re.fullmatch(_MISSING_KEY, error.message)
    if only_flags and missing and not path:
        flag = flag_of(missing.group(1))
        return LstmhwError(f"{flag} is missing, expected a value for it (see --help)")
    if path and str(path[0]) in flagged:
        return LstmhwError(error.message, path=(flag_of(str(path[0])), *path[1:]))
    if only_flags:
        return LstmhwError(error.message, path=path)  # not a file: no "command line:" prefix
    return error
