"""lstmhw's YAML reader types plain text the way PyYAML's own resolver does.

``yamlio._build`` reads most scalars without calling the resolver: a quoted scalar, or a plain
one whose first character no implicit resolver claims, is text.  The reference here is PyYAML's
``safe_load`` of the same document: wherever it reads a string, a boolean or null, lstmhw reads
the same (numbers are lstmhw's own reading, SPEC §4.1, and tested with the answer forms).
"""

from __future__ import annotations

import json
import string

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lstmhw.yamlio import parse_yaml

# Every printable ASCII character can start a scalar, plus a few a PDF or an editor pastes.
ALPHABET = string.ascii_letters + string.digits + string.punctuation + " " + "\u2212\u00e9\u03c3\u2019"


SKIP = object()


def _compared(document: str) -> object:
    """Check lstmhw's value of key k against PyYAML's; SKIP for a document that is not a one-key
    mapping of a scalar (PyYAML's reading of it)."""
    try:
        reference = yaml.safe_load(document)
    except yaml.YAMLError:
        return SKIP
    if not (isinstance(reference, dict) and list(reference) == ["k"]):
        return SKIP
    value = reference["k"]
    ours = parse_yaml(document, "answers.yaml").data["k"]
    if isinstance(value, bool) or value is None:
        assert ours is value
    elif isinstance(value, str):
        assert ours == value and type(ours) is str
    return value


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=10))
def test_plain_scalars_are_typed_as_the_resolver_types_them(text: str) -> None:
    # A tag (!, !!str) is read by the resolver as before; lstmhw reads a bare `!` as text where
    # PyYAML resolves it as a plain scalar, a difference outside this path.
    assume(not text.startswith("!"))
    assume(_compared(f"k: {text}\n") is not SKIP)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=10))
def test_quoted_scalars_are_text(text: str) -> None:
    for document in (f"k: {json.dumps(text)}\n", "k: '" + text.replace("'", "''") + "'\n"):
        reference = _compared(document)
        assert reference is SKIP or type(reference) is str


@pytest.mark.parametrize(
    "text",
    # Each claimed by a resolver through its first character (bool, null, number, merge, value),
    # and words that start like them but are text.
    ["yes", "No", "on", "OFF", "y", "n", "true", "False", "~", "null", "NULL", "Null", "",
     "yesterday", "often", "nothing", "truth", "tanh", "sigma", "h[1]", "student", "answers", "+", ".", "._", "~x"],
)
def test_resolver_words(text: str) -> None:
    assert _compared(f"k: {text}\n") is not SKIP


def test_libyaml_reads_when_present():
    """With libyaml, files are read by its parser (with PyYAML's safe resolver), not PyYAML's
    pure-Python one, which reads the same but is several times slower."""
    from lstmhw import yamlio

    parser = yamlio._libyaml_parser()
    if not getattr(yaml, "__with_libyaml__", False):
        assert parser is None
        return
    from yaml.cyaml import CParser

    assert issubclass(parser, CParser)
    assert parse_yaml("k: [1, yes, 'x']\n", "answers.yaml").data == {"k": [1, True, "x"]}
