"""Per-student variants: the same problem with its given numbers redrawn.

``variant_yaml(problem, seed)`` is the variant as a problem file and
``variant_problem(problem, seed)`` the same file loaded back, so what
``lstmhw variant`` prints and what ``grade`` grades a ``variant: N``
submission against can never differ.

The rules:

- Only the solver's data is redrawn (its module's ``REDRAW``); hyper-parameters,
  step counts and targets stay as written.
- Every redrawn number keeps its sign, and is written with as many decimals
  as the most precise number of its key (``x: [[1, 0], [0.5, -1]]``: one); a zero
  stays zero (zeros are structural: an initial state, an unused input).  Its
  magnitude is drawn near the original's: from half to one and a half times
  it, and for small numbers up to two units of the last decimal above it
  (an integer 1 becomes 1, 2 or 3; 0.5 becomes 0.2 to 0.8).
- Deterministic: ``numpy.random.default_rng(seed)``, numbers drawn in file
  order, and draws repeated from the same stream until one is not
  degenerate (:func:`degeneracy`), at most :data:`MAX_TRIES` times.
- The variant records where it came from: ``id: <id>-v<seed>`` and
  ``variant: {seed: <seed>, of: <id>}``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lstmhw.errors import LstmhwError, ValidationErrors
from lstmhw.problem import Problem, as_number, problem_from_document
from lstmhw.trace import Trace
from lstmhw.trace import numeric as _numeric
from lstmhw.yamlio import Document, parse_yaml

MAX_TRIES = 200
# A draw's answers must stay MARGIN times the grading tolerance apart, so that
# a hand-rounded answer still tells them apart; a coincidence the original
# already has (at the grader's own tolerance) is structural and allowed.
MARGIN = 2.0


@dataclass(frozen=True)
class Fixed:
    """A redrawn number and the decimals it is written with."""

    value: float
    decimals: int


# --------------------------------------------------------------- drawing
def decimals_of(raw: Any) -> int:
    """Decimals the number was written with: ``0.22`` → 2, ``3`` → 0, ``1e-3`` → 3."""
    if isinstance(raw, int):
        return 0
    text = raw.strip() if isinstance(raw, str) else repr(float(raw))
    exponent = Decimal(text.replace("_", "")).as_tuple().exponent
    return max(0, -int(exponent))


def max_decimals(node: Any) -> int:
    """The most decimals any number in ``node`` is written with (0 when there is none)."""
    if isinstance(node, dict):
        return max((max_decimals(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return max((max_decimals(v) for v in node), default=0)
    if isinstance(node, bool) or node is None or as_number(node) is None:
        return 0
    return decimals_of(node)


def redraw_number(raw: Any, rng: Any, decimals: int) -> Any:
    """A new number with the sign of ``raw``, written with ``decimals``; zero stays zero."""
    number = as_number(raw)
    if number == 0:
        return raw
    try:
        scaled = float(abs(number) * 10**decimals)
    except OverflowError:  # 1e-320 has 320 decimals: 10**320 (or 2·10**320) is no float
        return raw
    if not math.isfinite(scaled):  # 1.7e308 with 2 decimals: too large to draw at all; keep it
        return raw
    units = round(scaled)  # the original in units of the last decimal
    low, high = max(1, units // 2), max(units + 2, (3 * units + 1) // 2)
    if high >= 2**53:  # too large to draw exactly; keep it
        return raw
    k = int(rng.integers(low, high + 1))
    value = math.copysign(k / 10**decimals, number)
    return int(value) if decimals == 0 and isinstance(raw, int) else Fixed(value, decimals)


def redraw_tree(node: Any, rng: Any, decimals: int) -> Any:
    """Every number inside ``node`` redrawn, in document order."""
    if isinstance(node, dict):
        return {key: redraw_tree(value, rng, decimals) for key, value in node.items()}
    if isinstance(node, list):
        return [redraw_tree(item, rng, decimals) for item in node]
    if isinstance(node, bool) or node is None or as_number(node) is None:
        return node
    return redraw_number(node, rng, decimals)


def redraw_keys(problem: Problem) -> tuple[str, ...]:
    """The keys whose numbers are the problem's data (the solver's ``REDRAW``), aliases included."""
    from lstmhw.solvers import solver_module

    module = solver_module(problem.solver)
    keys = tuple(module.REDRAW)
    aliases = getattr(module, "ALIASES", {})
    return keys + tuple(alias for alias, key in aliases.items() if key in keys)


def base_id(problem: Problem) -> str:
    """The id of the original problem (a variant of a variant names the first original)."""
    if problem.variant and problem.variant.get("of"):
        return str(problem.variant["of"])
    return problem.id


def variant_id(problem: Problem, seed: int) -> str:
    """``<id>-v<seed>``: the variant's id, and the stem of its file under ``--out``."""
    return f"{base_id(problem)}-v{seed}"


def _draw(problem: Problem, seed: int, rng: Any) -> dict[str, Any]:
    data = problem.doc.data
    keys = set(redraw_keys(problem))
    origin = base_id(problem)
    out: dict[str, Any] = {"id": variant_id(problem, seed)}
    for key, value in data.items():
        if key in ("id", "variant"):
            continue
        # One precision per key: a matrix written as [[0.49, -0.90]] keeps two
        # decimals everywhere, though -0.90 reads back as the float -0.9.
        out[key] = redraw_tree(value, rng, max_decimals(value)) if key in keys else value
        if key == "solver":
            out["variant"] = {"seed": seed, "of": origin}
    return out


# --------------------------------------------------------------- writing
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*( [A-Za-z0-9_.\-]+)*")
# Words YAML 1.1 (PyYAML) reads as booleans or null: quoted to stay text.
_YAML11_WORDS = {"yes", "no", "true", "false", "on", "off", "null"}


def scalar_text(value: Any) -> str:
    """One scalar as YAML that reads back as the same value (numbers at their precision)."""
    if isinstance(value, Fixed):
        return f"{value.value:.{value.decimals}f}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:  # 1e-08 -> 1.0e-08: a float to YAML 1.1 too
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML11_WORDS and as_number(text) is None:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def flow_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(flow_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar_text(k)}: {flow_text(v)}" for k, v in value.items()) + "}"
    return scalar_text(value)


def block_lines(data: dict[str, Any], indent: int = 0) -> list[str]:
    """A block mapping; lists in flow style (a matrix is one line), small mappings too."""
    pad = " " * indent
    lines = []
    for key, value in data.items():
        flow = flow_text(value)
        if isinstance(value, dict) and value and len(flow) > 100:
            lines.append(f"{pad}{scalar_text(key)}:")
            lines += block_lines(value, indent + 2)
        else:
            lines.append(f"{pad}{scalar_text(key)}: {flow}")
    return lines


def to_yaml(data: dict[str, Any], comment: str = "") -> str:
    head = "".join(f"# {line}\n" for line in comment.splitlines())
    return head + "\n".join(block_lines(data)) + "\n"


# --------------------------------------------------------------- judging
def _close(a: Any, b: Any, problem: Problem, margin: float = MARGIN) -> Any:
    """Elementwise: would the grader's tolerance test, ``margin`` times as wide, take ``a`` for ``b``?"""
    from lstmhw.grading.verdicts import within
    from lstmhw.problem import Tolerance

    tol = problem.tolerance
    return within(a, b, Tolerance(rtol=margin * tol.rtol, atol=margin * tol.atol))


def _same(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a.shape == b.shape and bool((a == b).all())


def _alike(a: Any, b: Any, problem: Problem, margin: float = MARGIN) -> bool:
    """The whole of ``a`` coincides with ``b`` (same size; shapes compared flat)."""
    return a is not None and b is not None and a.size == b.size and bool(_close(a.ravel(), b.ravel(), problem, margin).all())


def degeneracy(problem: Problem, trace: Trace, original: Trace, original_problem: Problem, fixed: set[str]) -> str | None:
    """Why this draw is a poor variant, or None when it is fine.

    ``fixed`` are the asked quantities that do not depend on the redrawn
    numbers (:func:`fixed_quantities`); they are the original's in every
    variant.  Other "structural" coincidences, those the original has too,
    are allowed: no redraw can remove them (a term that is zero because h[0] is).
    """
    import numpy as np

    for step in trace:
        array = _numeric(step.value)
        if array is not None and not np.all(np.isfinite(array)):
            return f"{step.name} is not finite"
    asked = [q for q in trace.asked if q in trace]
    new = {q: _numeric(trace.value(q)) for q in asked}
    old = {q: _numeric(original.value(q)) if q in original else None for q in asked}
    atol = MARGIN * problem.tolerance.atol
    for q in asked:
        if new[q] is None or q in fixed:
            continue
        near_zero = np.abs(new[q]) <= atol  # a flipped sign would be graded correct
        if old[q] is not None and old[q].shape == new[q].shape:
            near_zero &= ~(np.abs(old[q]) <= problem.tolerance.atol)
        if near_zero.any():
            return f"{q} is (partly) within {atol:g} of 0"
        if _alike(new[q], old[q], problem):
            return f"{q} coincides with the original's answer"
        # The generic mistakes: a sign flip or a shifted decimal point matches
        # only near 0 (above); a transposed matrix only where it is symmetric.
        if _symmetric(new[q], problem) and not _symmetric(old[q], problem, margin=1.0):
            return f"{q} is symmetric: its transpose would be graded correct"
    for n, a in enumerate(asked):
        for b in asked[n + 1 :]:
            if (a not in fixed or b not in fixed) and _alike(new[a], new[b], problem):
                return f"{a} and {b} coincide"
    from lstmhw.solvers import solver_module

    reason = solver_module(problem.solver).degenerate(trace, original)
    if reason:
        return reason
    return _mistake_coincidence(problem, trace, original_problem, original)


def _numbers(node: Any) -> list[float]:
    if isinstance(node, dict):
        return [n for v in node.values() for n in _numbers(v)]
    if isinstance(node, list):
        return [n for v in node for n in _numbers(v)]
    if isinstance(node, Fixed):
        return [node.value]
    number = None if isinstance(node, bool) or node is None else as_number(node)
    return [] if number is None else [float(number)]


def fixed_quantities(problem: Problem, original: Trace) -> set[str]:
    """Asked quantities that do not depend on the redrawn numbers.

    Found by solving once with every redrawn number nudged by a different
    small factor (no randomness): what does not move at all is fixed (p2's
    ``critical_W`` depends on z, not on W_h).
    """
    from lstmhw.solvers import run

    keys = set(redraw_keys(problem))
    count = [0]

    def nudge(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: nudge(v) for k, v in node.items()}
        if isinstance(node, list):
            return [nudge(v) for v in node]
        number = None if isinstance(node, bool) or node is None else as_number(node)
        if number is None:
            return node
        count[0] += 1
        return float(number) * (1 + 0.013 * (count[0] % 7 + 1))

    data = {k: nudge(v) if k in keys else v for k, v in problem.doc.data.items()}
    try:
        import numpy as np

        with np.errstate(all="ignore"):
            probe = run(problem_from_document(Document(file=problem.file, data=data)))
    except (LstmhwError, ArithmeticError, ValueError):
        return set()
    return {
        q
        for q in original.asked
        if q in original and q in probe and _same(_numeric(probe.value(q)), _numeric(original.value(q)))
    }


def _symmetric(value: Any, problem: Problem, margin: float = MARGIN) -> bool:
    if value is None or value.ndim != 2 or value.shape[0] != value.shape[1] or value.shape[0] < 2:
        return False
    return bool(_close(value.T, value, problem, margin).all())


def _mistake_coincidence(problem: Problem, trace: Trace, original_problem: Problem, original: Trace) -> str | None:
    """An asked quantity that a catalogued mistake gets right too (lstmhw.mistakes.mistake_traces)."""
    from lstmhw.mistakes import mistake_traces

    asked = [q for q in trace.asked if q in trace]

    def coincidences(prob: Problem, correct: Trace, margin: float) -> set[tuple[str, str]]:
        found = set()
        for mistake, message, wrong in mistake_traces(prob):
            label = f"{mistake}: {message}"
            for q in asked:
                if q in wrong and q in correct and _alike(_numeric(wrong.value(q)), _numeric(correct.value(q)), prob, margin):
                    found.add((label, q))
        return found

    # At the grader's own tolerance: the question is whether the mistake would be graded correct.
    new = coincidences(problem, trace, 1.0) - coincidences(original_problem, original, 1.0)
    if new:
        label, q = sorted(new)[0]
        return f"{q} is also the answer under the mistake '{label.split(':')[0]}'"
    return None


# --------------------------------------------------------------- public API
def variant_yaml(problem: Problem, seed: int) -> str:
    """Variant ``seed`` of ``problem`` as a problem file (deterministic, byte for byte)."""
    return _variant(problem, seed)[0]


def variant_problem(problem: Problem, seed: int) -> Problem:
    """Variant ``seed`` of ``problem``, validated: exactly what :func:`variant_yaml` loads as."""
    return _variant(problem, seed)[1]


def _variant(problem: Problem, seed: int) -> tuple[str, Problem]:
    import numpy as np

    from lstmhw.solvers import run

    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise LstmhwError(f"seed {seed!r}, expected a whole number ≥ 0")
    if problem.doc is None or not isinstance(problem.doc.data, dict):
        raise LstmhwError(
            f"problem '{problem.id}' was not read from a file, expected a problem file to vary", file=problem.file or None
        )
    keys = redraw_keys(problem)
    origin = base_id(problem)
    comment = (
        f"Variant {seed} of problem {origin}, written by `lstmhw variant --seed {seed}`.\n"
        + (
            f"The numbers of {', '.join(k for k in keys if k in problem.doc.data)} are redrawn "
            "at the original's precision and signs; everything else is as in the original."
            if any(k in problem.doc.data for k in keys)
            else "This solver has no numbers to redraw: the problem is the original's."
        )
    )
    original = run(problem)
    fixed = fixed_quantities(problem, original)
    given = _numbers({k: v for k, v in problem.doc.data.items() if k in keys})
    rng = np.random.default_rng(seed)
    reason = ""
    for _attempt in range(MAX_TRIES):
        data = _draw(problem, seed, rng)
        if any(given) and _numbers({k: v for k, v in data.items() if k in keys}) == given:
            reason = "the same numbers as the original"
            continue
        text = to_yaml(data, comment)
        try:
            candidate = problem_from_document(parse_yaml(text, variant_id(problem, seed) + ".yaml"))
        except ValidationErrors as exc:  # a draw the solver's own rules refuse: draw again
            reason = str(exc)
            continue
        with np.errstate(all="ignore"):
            trace = run(candidate)
            reason = degeneracy(candidate, trace, original, problem, fixed) or ""
        if not reason:
            return text, candidate
    raise LstmhwError(
        f"no usable variant with seed {seed} in {MAX_TRIES} draws (the last: {reason}), expected a problem "
        "whose redrawn numbers can move its answers apart",
        file=problem.file or None,
    )
