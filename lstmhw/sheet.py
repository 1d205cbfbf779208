"""What a problem sheet says about a problem: its givens and what it asks, never an answer.

Shared by ``lstmhw handout`` (the problem sheet), the solution sheets (``solve
--format markdown|latex``, which show the givens before the steps) and
``lstmhw template`` (the submission skeleton and its JSON Schema).

- The **givens** are the solver's keys as the problem file writes them (the
  weights, inputs, optimizer state, hyper-parameters), in file order; a
  mapping of matrices (``W: {f: ..., i: ...}``) is one given per entry
  (``W_f``, ``W_i``). A solver may name the keys that are not givens for
  students (``GIVEN_KEYS``: lstm-claims shows its claims as the questions).
- An **asked** quantity is its name (the name ``solve`` prints and the grader
  accepts), its shape in words, and its formula, which names the steps it is
  computed from, never their values. A true/false claim has no formula here
  (its "formula" is the experiment that decides it): the claim's own words
  instead (the solver's optional ``question(params, quantity)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lstmhw.problem import Problem, to_array
from lstmhw.solvers import quantity_names, solver_module
from lstmhw.trace import Trace


@dataclass(frozen=True)
class Given:
    """A value the problem gives: a number or array (``value``), a whole number, or words (``text``)."""

    name: str  # "W_f", "lr", "activation"
    value: Any = None  # a float ndarray, or an int (t, steps); None for a given in words
    digits: int = 1  # the renderers' ``digits`` that show every digit the file writes (sheets use at least 4)
    text: str = ""  # a given in words: "sigmoid-centered", "reduction = mean"


@dataclass(frozen=True)
class Asked:
    """A quantity a student answers, under the name the grader reads it by."""

    name: str  # "h[1]"
    kind: str  # "number", "vector", "matrix", "boolean" or "word"
    shape: tuple[int, ...]  # () for a number, a boolean or a word
    formula: str  # "o[1]⊙tanh(c[1])"; "" where it would tell the answer (a claim's experiment)
    latex: str
    question: str = ""  # a claim's words: "if x[t] = 0 then h[t] = h[t−1]"
    points: float | None = None  # set in the problem file, else None (1 point)

    @property
    def shape_text(self) -> str:
        """The shape in words: "a number", "a vector of 3 numbers", "a 2×3 matrix", "true or false"."""
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "word":
            return "a word"
        if self.kind == "vector":
            return f"a vector of {self.shape[0]} numbers"
        if self.kind == "matrix":
            return f"a {self.shape[0]}×{self.shape[1]} matrix"
        return "a number"


# ----------------------------------------------------------------------- givens
def givens(problem: Problem, trace: Trace) -> list[Given]:
    """The problem's givens (see the module docstring): first the keys of its file that no step
    of the solution records (weights, hyper-parameters, in file order), then the given steps of
    the solution (``W[1]``, ``x[1]``, ``h[0]``: named as the formulas name them, defaults included)."""
    import numpy as np

    traced = [step for step in trace if step.given]
    bases = {step.name.split("[", 1)[0] for step in traced}
    out: list[Given] = []
    if problem.doc is not None and isinstance(problem.doc.data, dict):
        module = solver_module(problem.solver)
        shown = set(getattr(module, "GIVEN_KEYS", module.KEYS))
        aliases = getattr(module, "ALIASES", {})
        for key, raw in problem.doc.data.items():
            key = str(key)
            name = aliases.get(key, key)
            if name in shown and not _traced(name, bases):
                out += _givens_of(key, raw)
    for step in traced:
        if isinstance(step.value, (bool, str)):
            out.append(Given(step.name, text=_words(step.value)))
        else:
            array = np.asarray(step.value, dtype=float)
            out.append(Given(step.name, value=array, digits=given_digits(array.reshape(-1).tolist())))
    return out


def _traced(key: str, bases: set[str]) -> bool:
    """Whether the solution records the file's ``key`` as given steps: ``h0`` as ``h[0]``, ``x`` as
    ``x[1]``, ``x[2]``, adam's ``W`` as ``W[1]``, ``grad``/``grads`` as ``g[k]``."""
    if key in ("grad", "grads"):
        return "g" in bases
    return key in bases or key.rstrip("0123456789") in bases


def _givens_of(name: str, raw: Any) -> list[Given]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        if all(_numeric_tree(v) for v in raw.values()):
            joiner = "_" if len(name) == 1 else "."  # W_f as the formulas write it; grads.dW
            return [g for sub, v in raw.items() for g in _givens_of(f"{name}{joiner}{sub}", v)]
        return [Given(name, text=_words(raw))]
    if isinstance(raw, bool) or isinstance(raw, str) and _number(raw) is None:
        return [Given(name, text=_words(raw))]
    if isinstance(raw, int):
        return [Given(name, value=raw)]
    try:
        array = to_array(raw)
    except Exception:  # a list of matrices (adam's grads): one given per element
        if isinstance(raw, list):
            return [g for n, item in enumerate(raw) for g in _givens_of(f"{name}[{n + 1}]", item)]
        return [Given(name, text=_words(raw))]
    return [Given(name, value=array, digits=given_digits(array.reshape(-1).tolist()))]


def _numeric_tree(raw: Any) -> bool:
    if isinstance(raw, list):
        return all(_numeric_tree(v) for v in raw)
    if isinstance(raw, dict):
        return all(_numeric_tree(v) for v in raw.values())
    return not isinstance(raw, bool) and _number(raw) is not None


def _number(raw: Any) -> float | None:
    from lstmhw.problem import as_number

    return as_number(raw)


def _words(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, dict):
        return ", ".join(f"{k} = {_words(v)}" for k, v in raw.items())
    if isinstance(raw, list):
        return "[" + ", ".join(_words(v) for v in raw) + "]"
    return str(raw)


def given_digits(values: Sequence[float]) -> int:
    """The ``digits`` that make the renderers (:func:`lstmhw.render.values.number_texts`) show
    numbers as a file writes them: the decimals written (0.22 → 2, 1.5 → 1) in fixed point, the
    significant figures written (1e-08 → 1) where the group is set in scientific notation."""
    finite = [abs(v) for v in values if v != 0]
    scientific = any(a < 1e-3 or a >= 1e7 for a in finite)
    most = 1
    for v in values:
        try:
            exponent_digits = Decimal(repr(float(v))).normalize().as_tuple()
        except InvalidOperation:
            continue
        figures = len(exponent_digits.digits)
        decimals = max(0, -int(exponent_digits.exponent))
        most = max(most, figures if scientific else decimals)
    return min(most, 17)


# ----------------------------------------------------------------------- asked
def asked(problem: Problem, trace: Trace) -> list[Asked]:
    """Every asked quantity of ``problem`` (solved as ``trace``), in the order of ``ask``."""
    return [_asked(problem, trace, q) for q in problem.ask if q in trace]


def working(problem: Problem, trace: Trace) -> list[Asked]:
    """The steps that are not asked: a student may answer them as working (SPEC §4.4)."""
    chosen = set(problem.ask)
    return [_asked(problem, trace, q) for q in quantity_names(trace.steps) if q not in chosen]


def _asked(problem: Problem, trace: Trace, name: str) -> Asked:
    import numpy as np

    step = trace[name]
    value = step.value
    module = solver_module(problem.solver)
    question = getattr(module, "question", None)
    words = (question(problem.params, name) or "") if question is not None else ""
    points = problem.points.get(name)
    if isinstance(value, (bool, np.bool_)):
        return Asked(name, "boolean", (), "", "", words, points)
    if isinstance(value, str):
        return Asked(name, "word", (), step.formula, step.latex, words, points)
    array = np.asarray(value)
    if array.dtype == bool:
        kind, shape = "boolean", ()
    elif array.size == 1:
        kind, shape = "number", ()
    elif array.ndim == 1:
        kind, shape = "vector", array.shape
    else:
        kind, shape = "matrix", array.shape
    return Asked(name, kind, tuple(int(n) for n in shape), step.formula, step.latex, words, points)


# ----------------------------------------------------------------------- variants
@dataclass
class SheetProblem:
    """One problem as a sheet shows it: the variant's numbers (when one is asked for) under the
    original's id, which is the id students answer under."""

    id: str
    problem: Problem
    trace: Trace


def sheet_problems(problems: Sequence[Problem], variant: int | None = None) -> list[SheetProblem]:
    """The problems of a key, or variant ``variant`` of each (drawn as ``grade`` draws it for a
    submission with ``variant: N``), solved."""
    from lstmhw.solvers import run

    out = []
    for problem in problems:
        shown = problem
        if variant is not None:
            from lstmhw.variant import variant_problem

            shown = variant_problem(problem, variant)
        out.append(SheetProblem(problem.id, shown, run(shown)))
    return out
