"""Errors a user can cause, and the exit codes the CLI maps them to.

Every error renders as one line: ``file:line: key.path: what was found, expected what``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

EXIT_OK = 0
EXIT_SOME_UNREADABLE = 1  # grade: finished, but some submissions could not be read
EXIT_USAGE = 2  # bad usage or an invalid problem/key file
EXIT_INTERNAL = 3  # a bug in lstmhw; never caused by input alone


def format_path(path: Sequence[str | int]) -> str:
    """``("W", "f", 0)`` -> ``W.f[0]`` (list indices count from 0, as in jq)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = str(part)
            if len(part) > 60:  # a 2 MB key (`? kkk...`) is named, not printed
                part = part[:57] + "..."
            out += f".{part}" if out else part
    return out


class LstmhwError(Exception):
    """An error in the user's input or usage; exit code 2 unless said otherwise."""

    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        path: Sequence[str | int] = (),
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.path = tuple(path)
        self.line = line

    def located(self, file: str | None = None, line: int | None = None) -> "LstmhwError":
        if self.file is None:
            self.file = file
        if self.line is None:
            self.line = line
        return self

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        key = format_path(self.path)
        return f"{where}{key + ': ' if key else ''}{self.message}"


class NumericError(LstmhwError, ArithmeticError):
    """A step whose value is beyond float64 (overflow, ∞−∞, 0/0) for inputs that are each finite.

    Also an ArithmeticError, so grading's re-runs (hand rounding, error carried
    forward, mistaken chains) skip such a chain as they skip any other.
    """


class ValidationErrors(LstmhwError):
    """Several errors found in one file; `check` lists them all, other commands the first."""

    def __init__(self, errors: list[LstmhwError]) -> None:
        first = errors[0]
        super().__init__(first.message, file=first.file, path=first.path, line=first.line)
        self.errors = errors

    def __str__(self) -> str:
        text = str(self.errors[0])
        if len(self.errors) > 1:
            text += f" (and {len(self.errors) - 1} more: run `lstmhw check` to list them)"
        return text


def did_you_mean(word: str, options: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` when an option is close to ``word``, else ``''``."""
    close = closest(word, options)
    return f" (did you mean '{close}'?)" if close is not None else ""


def closest(word: str, options: Sequence[str]) -> str | None:
    """The option closest to ``word`` (case aside) when one is close enough to suggest, else None."""
    return _closest(word, tuple(options))


@functools.lru_cache(maxsize=1024)  # a class repeats its unknown names (p3, phi'): difflib once for each
def _closest(word: str, options: tuple[str, ...]) -> str | None:
    import difflib

    if len(word) > 100:
        return None  # no option is that long; difflib would index the whole word
    by_lower = {str(o).lower(): str(o) for o in options}
    # Short keys (h0, c0, W) differ by one character out of two: allow a looser match.
    cutoff = 0.5 if len(word) <= 3 else 0.6
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[close[0]] if close else None
