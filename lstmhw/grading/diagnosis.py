"""Diagnosis: which catalogued mistake reproduces a wrong answer (SPEC §4).

- :func:`_candidates`: every value a known mistake gives for a quantity — the whole
  chain re-run with the mistake (once per key), the chain re-run with it from the
  student's own earlier values (once per student), and the generic slips of
  :func:`lstmhw.mistakes.generic_candidates`;
- :func:`_matches`, :class:`_Screen`: the candidates that reproduce some wrong element,
  numbers compared all candidates at once, what is the same for every student screened
  once per key and quantity;
- :func:`_diagnose`, :func:`_describe`: choosing the mistake and wording it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmhw.errors import LstmhwError
from lstmhw.grading.records import QuantityResult
from lstmhw.grading.verdicts import _close, _upstream_answers, within
from lstmhw.mistakes import generic_candidates

if TYPE_CHECKING:
    from lstmhw.grading import KeyProblem
    from lstmhw.problem import Tolerance
    from lstmhw.trace import Trace


def _mistaken_from_own_values(kp: KeyProblem, overrides: dict[str, Any]) -> list[tuple[str, str, Trace]]:
    """Every mistaken chain re-run from the student's own answers: once per student and problem.

    A step's ``own`` value ignores its own override, so one run serves every quantity.
    """
    out = []
    with np.errstate(all="ignore"):
        for mistake_id, variant, ops in kp.patched:
            try:
                trace = kp.reruns.run(ops=ops, overrides=overrides)
            except (ArithmeticError, ValueError, LstmhwError, np.linalg.LinAlgError):
                continue
            out.append((mistake_id, variant.message + " (from your own earlier values)", trace))
    return out


def _candidates(
    kp: KeyProblem, q: str, expected: Any, overrides: dict[str, Any], own_mistaken: Callable[[], list[tuple[str, str, Trace]]]
) -> list[tuple[str, str, Any, bool]]:
    """(mistake id, message, value, specific?) for every way a known mistake yields ``q``."""
    out = [(mistake_id, message, trace.value(q), True) for mistake_id, message, trace in kp.mistaken]
    if _upstream_answers(kp.trace, q, {name: v for name, v in overrides.items() if name != q}):
        out.extend((mistake_id, message, trace[q].own, True) for mistake_id, message, trace in own_mistaken())
    out.extend((mid, msg, value, False) for mid, msg, value in generic_candidates(expected))
    return out


def _diagnose(
    kp: KeyProblem,
    q: str,
    value: Any,
    expected: Any,
    wrong: np.ndarray,
    overrides: dict[str, Any],
    own_mistaken: Callable[[], list[tuple[str, str, Trace]]],
    result: QuantityResult,
) -> None:
    """Name the mistake that reproduces the wrong elements; say so when several do."""
    whole: list[tuple[str, str, bool]] = []  # candidates explaining every wrong element
    per_element: dict[int, list[tuple[str, str, bool]]] = {}
    for mistake_id, message, specific, match in _matches(kp, q, value, expected, wrong, overrides, own_mistaken):
        if match.sum() == wrong.sum():
            whole.append((mistake_id, message, specific))
        for flat in np.flatnonzero(match):
            per_element.setdefault(int(flat), []).append((mistake_id, message, specific))
    if whole:
        result.diagnosis = _describe(whole)
    elif len(per_element) == 1 and wrong.sum() == 1:
        result.diagnosis = _describe(next(iter(per_element.values())))
    if result.elements is not None:
        for flat, found in per_element.items():
            result.elements[flat]["diagnosis"] = _describe(found)


def _matches(
    kp: KeyProblem,
    q: str,
    value: Any,
    expected: Any,
    wrong: np.ndarray,
    overrides: dict[str, Any],
    own_mistaken: Callable[[], list[tuple[str, str, Trace]]],
) -> Iterator[tuple[str, str, bool, np.ndarray]]:
    """(mistake id, message, specific?, match) for each candidate of :func:`_candidates`, in its
    order, that reproduces some wrong element; ``match`` marks the wrong elements it reproduces.

    A candidate must have the key's shape and finite values, and an element it reproduces
    must differ from the key there (a mistake that changes nothing explains nothing).
    Numbers are compared all candidates at once; what is the same for every student (the
    mistaken whole chains, the generic mistakes) is screened once per key and quantity.
    """
    tol = kp.tol
    if q not in kp.screens:
        mistaken = [(mistake_id, message, trace.value(q), True) for mistake_id, message, trace in kp.mistaken]
        generic = [(mid, msg, v, False) for mid, msg, v in generic_candidates(expected)]
        kp.screens[q] = (_screen(mistaken, expected, tol), _screen(generic, expected, tol))
    key_chains, generic = kp.screens[q]
    if key_chains is None or generic is None:  # booleans or words
        yield from _one_by_one(_candidates(kp, q, expected, overrides, own_mistaken), value, expected, wrong, tol)
        return
    blocks = [key_chains]
    if _upstream_answers(kp.trace, q, {name: v for name, v in overrides.items() if name != q}):
        own = [(mistake_id, message, trace[q].own, True) for mistake_id, message, trace in own_mistaken()]
        screened = _screen(own, expected, tol)
        if screened is None:  # not all numbers: the same order, these one by one
            yield from key_chains.matches(value, wrong, tol)
            yield from _one_by_one(own, value, expected, wrong, tol)
            yield from generic.matches(value, wrong, tol)
            return
        blocks.append(screened)
    blocks.append(generic)
    yield from _Screen.joined(blocks).matches(value, wrong, tol)


def _one_by_one(
    candidates: list[tuple[str, str, Any, bool]], value: Any, expected: Any, wrong: np.ndarray, tol: Tolerance
) -> Iterator[tuple[str, str, bool, np.ndarray]]:
    for mistake_id, message, candidate, specific in candidates:
        if np.shape(candidate) != np.shape(expected):
            continue
        if isinstance(candidate, (np.ndarray, float)) and not np.all(np.isfinite(candidate)):
            continue
        match = _close(value, candidate, tol) & ~_close(candidate, expected, tol) & wrong
        if match.any():
            yield mistake_id, message, specific, match


@dataclass
class _Screen:
    """Numeric candidates of the key's shape and finite: labels, values (k×n), where each differs from the key."""

    labels: list[tuple[str, str, bool]]
    values: np.ndarray
    differs: np.ndarray

    @staticmethod
    def joined(screens: list["_Screen"]) -> "_Screen":
        if len(screens) == 1:
            return screens[0]
        return _Screen(
            [label for s in screens for label in s.labels],
            np.concatenate([s.values for s in screens]),
            np.concatenate([s.differs for s in screens]),
        )

    def matches(self, value: Any, wrong: np.ndarray, tol: Tolerance) -> Iterator[tuple[str, str, bool, np.ndarray]]:
        if not self.labels:
            return
        # _close(value, candidate) for every candidate at once: within broadcasts the answer over the rows.
        match = within(np.asarray(value, dtype=float).reshape(1, -1), self.values, tol) & self.differs & wrong.reshape(1, -1)
        for row in np.flatnonzero(match.any(axis=1)):
            yield (*self.labels[row], match[row])


def _screen(candidates: list[tuple[str, str, Any, bool]], expected: Any, tol: Tolerance) -> _Screen | None:
    """The numeric candidates of the key's shape with finite values, with where each differs from
    the key; None when a candidate is not a number (booleans, words) or the key is not."""
    if isinstance(expected, (bool, np.bool_, str)):
        return None
    shape, n = np.shape(expected), int(np.size(expected))
    kept = []
    for candidate in candidates:
        value = candidate[2]
        if isinstance(value, (bool, np.bool_, str)) or not isinstance(value, (np.ndarray, float, int, np.number)):
            return None
        if isinstance(value, np.ndarray) and value.dtype.kind not in "fiu":
            return None
        if np.shape(value) == shape:
            kept.append(candidate)
    values = np.array([np.asarray(c[2], dtype=float).reshape(-1) for c in kept], dtype=float).reshape(len(kept), n)
    # A candidate with an infinite or NaN element is dropped (it could match nothing there anyway).
    finite = np.isfinite(values).all(axis=1)
    # ~_close(candidate, expected) for every candidate at once: within broadcasts the key over the rows.
    differs = ~within(values, np.asarray(expected, dtype=float).reshape(1, n), tol)
    return _Screen([(c[0], c[1], c[3]) for c, ok in zip(kept, finite, strict=True) if ok], values[finite], differs[finite])


def _describe(found: list[tuple[str, str, bool]]) -> dict[str, Any]:
    """Specific mistakes over generic ones; several equally good ones are all named."""
    specific = [f for f in found if f[2]]
    chosen = specific or found
    ids: list[str] = []
    messages: list[str] = []
    for mistake_id, message, _ in chosen:
        if mistake_id not in ids:
            ids.append(mistake_id)
            messages.append(message)
    if len(ids) == 1:
        return {"mistake": ids[0], "message": messages[0]}
    return {
        "mistake": ids[0],
        "message": "these mistakes give the same value here, so it cannot tell which: " + "; or ".join(messages),
        "alternatives": ids[1:],
    }
