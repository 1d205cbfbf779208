"""``--format json``: one document, full precision (SPEC §3)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from lstmhw.render.values import jsonable
from lstmhw.trace import Trace

_isfinite = math.isfinite
_encode_string = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses


def trace_data(trace: Trace) -> dict[str, Any]:
    steps = list(trace)
    # Each value converted once: "quantities" and "steps" share it (the writer then turns
    # its numbers into text once, too).
    values = {s.name: jsonable(s.value) for s in steps}
    return {
        "id": trace.problem_id,
        "title": trace.title,
        "solver": trace.solver,
        "asked": list(trace.asked),
        "quantities": values,
        "steps": [
            {
                "name": s.name,
                "formula": s.formula,
                "latex": s.latex,
                "inputs": list(s.inputs),
                "value": values[s.name],
                "given": s.given,
                "group": s.group,
                **({"note": s.note} if s.note else {}),
            }
            for s in steps
        ],
    }


def dumps(data: Any) -> str:
    """``json.dumps(data, ensure_ascii=False, allow_nan=False, indent=2)``, byte for byte, + a newline.

    allow_nan=False: a NaN would make invalid JSON; it is a bug upstream, not output.

    The standard library encodes with ``indent`` in pure Python, one generator step per
    number: 8 s for the 5.6 million numbers of a T = 1,000, H = 256 forward pass.  Lists
    of plain finite floats or ints (every value's rows) are written here with one C-level
    ``join`` each instead; anything else this does not handle exactly as the standard
    library does (tuples, subclasses, non-string keys, NaN, deep nesting) hands the whole
    document to ``json.dumps``, which then encodes or refuses it as before.
    """
    chunks: list[str] = []
    try:
        _encode(data, "\n", chunks, 0, {})
    except _Unhandled:
        return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=2) + "\n"
    chunks.append("\n")
    return "".join(chunks)


def dumps_at(data: Any, level: int) -> str:
    """``data`` encoded as :func:`dumps` encodes it ``level`` containers deep (no final newline).

    ``json.dumps``'s indentation is additive and a newline only ever stands for indentation
    (one inside a string is escaped), so its text nested ``level`` deep is its own text with
    ``level`` indents after every newline; that is the fallback.
    """
    chunks: list[str] = []
    newline = "\n" + _INDENT * level
    try:
        _encode(data, newline, chunks, level, {})
    except _Unhandled:
        return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=2).replace("\n", newline)
    return "".join(chunks)


class ListWriter:
    """``{name: [item, ...]}`` written an item at a time: at :meth:`close`, what was written is
    :func:`dumps` of the whole document, byte for byte, without ever holding more than one item."""

    def __init__(self, write: Callable[[str], Any], name: str) -> None:
        self._write = write
        self._count = 0
        write("{\n" + _INDENT + _encode_string(name) + ": ")

    def add(self, item: Any) -> None:
        text = dumps_at(item, 2)  # encoded before anything is written: an item json.dumps refuses leaves no half
        self._write(("[" if self._count == 0 else ",") + "\n" + _INDENT * 2 + text)
        self._count += 1

    def close(self) -> None:
        self._write(("[]" if self._count == 0 else "\n" + _INDENT + "]") + "\n}\n")


class _Unhandled(Exception):
    """A value the fast encoder leaves to ``json.dumps``."""


_INDENT = "  "
_MAX_DEPTH = 64  # deeper than any report or trace; json.dumps decides about the rest


def _encode(value: Any, newline: str, out: list[str], depth: int, seen: dict[int, tuple[list, str]]) -> None:
    """Append ``value`` encoded at the indentation ``newline`` ends with.

    ``seen``: the numbers of each list of numbers already written in this document, as
    text (``id`` -> (the list, its items joined by ",\\n")), to reuse at any indentation.
    """
    kind = type(value)
    if kind is str:
        out.append(_encode_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float:
        if not _isfinite(value):
            raise _Unhandled
        out.append(float.__repr__(value))
    elif kind is list or kind is dict:
        if not value:
            out.append("[]" if kind is list else "{}")
            return
        if depth >= _MAX_DEPTH:
            raise _Unhandled
        inner = newline + _INDENT
        if kind is dict:
            out.append("{" + inner)
            for n, (key, item) in enumerate(value.items()):
                if type(key) is not str:
                    raise _Unhandled
                if n:
                    out.append("," + inner)
                out.append(_encode_string(key) + ": ")
                _encode(item, inner, out, depth + 1, seen)
            out.append(newline + "}")
            return
        known = seen.get(id(value))
        if known is None:
            kinds = set(map(type, value))
            if kinds == {float} and all(map(_isfinite, value)):
                known = seen[id(value)] = (value, ",\n".join(map(float.__repr__, value)))
            elif kinds == {int}:
                known = seen[id(value)] = (value, ",\n".join(map(int.__repr__, value)))
        if known is not None:
            out.append("[" + inner + known[1].replace("\n", inner) + newline + "]")
        else:
            out.append("[" + inner)
            for n, item in enumerate(value):
                if n:
                    out.append("," + inner)
                _encode(item, inner, out, depth + 1, seen)
            out.append(newline + "]")
    else:
        raise _Unhandled


def render_traces(traces: Sequence[Trace]) -> str:
    return dumps({"problems": [trace_data(t) for t in traces]})
