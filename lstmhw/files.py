"""Finding and loading problem files, and problems given as command-line flags."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from lstmhw.errors import LstmhwError
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


def problem_from_flags(data: dict[str, Any]) -> Problem:
    """A problem built from command-line flags, validated like a file (errors name the flag)."""
    return problem_from_document(Document(file=COMMAND_LINE, data=data))
