"""Writing results: stdout, or a file replaced atomically (never half-written)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from lstmhw.errors import LstmhwError


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, then rename.

    Readers see the old file or the whole new one, never a part; on any
    failure the temporary file is removed and ``path`` is left as it was.
    """
    with atomic_stream(path) as handle:
        handle.write(text)


def emit(text: str, out: str | None = None) -> None:
    """Send finished text to ``out`` (atomically) or to stdout in one write."""
    if out:
        write_atomic(out, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


@contextmanager
def atomic_stream(path: str, binary: bool = False) -> Iterator[IO]:
    """A file to write ``path`` piece by piece, made visible all at once: written to a temporary
    file in the same folder and renamed over ``path`` only when the block ends without an error
    (then ``path`` is left as it was, and the temporary file removed)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise LstmhwError(f"folder {folder} does not exist, expected an existing folder for --out", file=path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".lstmhw-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise LstmhwError(f"cannot write: {exc.strerror}", file=path) from None
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise LstmhwError(f"cannot write: {exc.strerror}", file=path) from None
        raise
