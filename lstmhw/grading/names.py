"""Which answer is which: a student's names matched to the key's (SPEC §4.1, names).

An answer is matched to an asked quantity by its exact name, then to a step of the
solution (the working, §4.4) by its exact name, then by the near-miss forms (``h1``,
``H[1]``, ``h_1``, ``MSE``) to an asked quantity and then to a step.  Nothing is dropped
silently: what matches nothing is returned as ``ignored``, with a did-you-mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lstmhw.errors import closest
from lstmhw.limits import MAX_ERRORS_PER_FILE

if TYPE_CHECKING:
    from lstmhw.trace import Trace


@dataclass
class MatchedAnswers:
    """A submission's answers to one problem, sorted by what the key makes of each name."""

    asked: dict[str, Any]  # asked quantity -> the raw answer
    working: dict[str, Any]  # a step of the solution that is not asked -> the raw answer
    renamed: dict[str, str] = field(default_factory=dict)  # quantity or step -> the name the student wrote
    ignored: list[Ignored] = field(default_factory=list)


@dataclass(frozen=True)
class Ignored:
    """An answer under a name the key has no use for, as the report lists it."""

    name: str
    did_you_mean: str | None = None


@dataclass(frozen=True)
class StepNames:
    """A key problem's names, made once per key: asked, working (computed steps not asked), given."""

    asked: tuple[str, ...]
    working: tuple[str, ...]  # in the solution's order
    given: frozenset[str]
    everything: frozenset[str]

    @staticmethod
    def of(trace: Trace, ask: Sequence[str]) -> StepNames:
        asked = tuple(ask)
        working = tuple(step.name for step in trace if not step.given and step.name not in asked)
        given = frozenset(step.name for step in trace if step.given) - frozenset(asked)
        return StepNames(asked, working, given, frozenset(asked) | frozenset(working) | given)


def plain_name(name: str) -> str:
    """``h[1]``, ``H1`` and ``h_1`` all become ``h1``: what a name says without its punctuation."""
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def near_names(answers: dict[str, Any], names: Sequence[str]) -> dict[str, list[str]]:
    """{name: the answers' other names that read as it}: a name not among ``names`` whose plain
    form (:func:`plain_name`) is that of exactly one of them."""
    exact = set(names)
    near: dict[str, list[str]] = {}
    if all(written in exact for written in answers):
        return near  # the common case: every name as asked
    by_plain: dict[str, list[str]] = {}
    for name in names:
        by_plain.setdefault(plain_name(name), []).append(name)
    for written in answers:
        if written in exact:
            continue
        candidates = by_plain.get(plain_name(written), [])
        if len(candidates) == 1:
            near.setdefault(candidates[0], []).append(written)
    return near


def match_names(answers: dict[str, Any], asked: Sequence[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers under the asked names, reading ``h1`` or ``H[1]`` as ``h[1]`` when that is unambiguous.

    A careful grader reads the student's ``h1`` as h[1] instead of marking it missing.
    A name that is not itself asked, whose plain form matches exactly one asked quantity,
    is read as that quantity.  When that quantity is answered under another name too
    (``h[1]`` and ``h1``, or ``h1`` and ``H[1]``) it is answered twice: invalid, whatever
    order the lines are in.  Returns the answers and {quantity: the name(s) the student wrote}.
    """
    near = near_names(answers, asked)
    if not near:
        return answers, {}
    from lstmhw.submission import AnsweredTwice

    matched = dict(answers)
    renamed: dict[str, str] = {}
    for q, names in near.items():
        given = ([q] if q in answers else []) + names
        if len(given) == 1:
            matched[q] = answers[names[0]]
            renamed[q] = names[0]
        else:
            matched[q] = AnsweredTwice.of(*(answers[name] for name in given))
            renamed[q] = ", ".join(given)
    return matched, renamed


def match_answers(answers: dict[str, Any], names: StepNames) -> MatchedAnswers:
    """Sort one problem's answers into asked, working and ignored (see the module docstring)."""
    asked_set = frozenset(names.asked)
    if all(name in asked_set for name in answers):  # the common case: nothing but asked quantities, as asked
        return MatchedAnswers({q: answers[q] for q in names.asked if q in answers}, {}, {})
    matched, renamed = match_names(answers, names.asked)
    used = {w for written in near_names(answers, names.asked).values() for w in written}
    asked = {q: matched[q] for q in names.asked if q in matched}
    everything = names.everything
    rest = {w: v for w, v in answers.items() if w not in asked_set and w not in used}
    working = {w: v for w, v in rest.items() if w in everything and w not in names.given}
    loose = {w: v for w, v in rest.items() if w not in everything}
    if loose:
        found, read = match_names({**working, **loose}, names.working)
        for step in read:
            working[step] = found[step]
            renamed[step] = read[step]
        used |= {w for written in near_names(loose, names.working).values() for w in written}
    # A did-you-mean each for the first names only: 100,000 unknown names would take minutes.
    ignored = [
        Ignored(str(w), _suggestion(str(w), names) if n < MAX_ERRORS_PER_FILE else None)
        for n, w in enumerate(w for w in loose if w not in used)
    ]
    order = {name: n for n, name in enumerate(names.working)}
    working = dict(sorted(working.items(), key=lambda item: order[item[0]]))
    return MatchedAnswers(asked, working, renamed, ignored)


def _suggestion(word: str, names: StepNames) -> str | None:
    return closest(word, (*names.asked, *names.working))
