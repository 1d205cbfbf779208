"""The JSON writer gives exactly json.dumps(indent=2)'s text (it is only faster), or its error."""

from __future__ import annotations

import json

import numpy as np
from conftest import PROBLEMS
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmhw.files import load_problems
from lstmhw.render.json import dumps, render_traces, trace_data
from lstmhw.solvers import run


def reference(data):
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=2) + "\n"
    except (ValueError, TypeError, RecursionError) as exc:
        return type(exc)


def ours(data):
    try:
        return dumps(data)
    except (ValueError, TypeError, RecursionError) as exc:
        return type(exc)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**40), 10**40),
    st.floats(),  # NaN and ±inf included: refused as json.dumps refuses them
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.sampled_from(["σ(z_f[1])", "f[1]⊙c[0] + i[1]⊙c̃[1]", '"quoted"\\\n\t\x00', ""]),
)
NUMBER_LISTS = st.one_of(
    st.lists(st.floats(allow_nan=False, allow_infinity=False)),
    st.lists(st.floats()),
    st.lists(st.integers()),
    st.lists(st.one_of(st.integers(), st.floats(), st.booleans())),
)
DATA = st.recursive(
    st.one_of(SCALARS, NUMBER_LISTS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=5), inner, max_size=5),
        st.dictionaries(st.one_of(st.integers(), st.floats(), st.booleans(), st.none()), inner, max_size=3),
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(DATA)
def test_same_text_as_json_dumps(data):
    assert ours(data) == reference(data)


def test_numpy_scalars_and_objects_are_left_to_json_dumps():
    for data in ({"a": np.float64(0.5)}, [np.int64(3)], {"a": np.array([1.0])}, {"a": {1, 2}}, [1.5, np.bool_(True)]):
        assert ours(data) == reference(data)


def test_circular_and_deep_structures_behave_as_json_dumps():
    loop: list = []
    loop.append(loop)
    assert ours(loop) is reference(loop) is ValueError
    deep: list = [0.5]
    for _ in range(200):
        deep = [deep]
    assert ours(deep) == reference(deep)


def test_solutions_byte_identical():
    traces = [run(p) for p in load_problems([str(PROBLEMS)])]
    assert render_traces(traces) == reference({"problems": [trace_data(t) for t in traces]})


def test_a_list_shared_at_two_depths():
    row = [0.1, -2.5, 1e-300]
    ints = [1, -2, 10**30]
    data = {"a": row, "b": {"c": [row, row], "d": ints}, "e": [[ints]], "f": row}
    assert ours(data) == reference(data)


def streamed(name, items):
    from lstmhw.render.json import ListWriter

    parts: list[str] = []
    try:
        writer = ListWriter(parts.append, name)
        for item in items:
            writer.add(item)
        writer.close()
    except (ValueError, TypeError, RecursionError) as exc:
        return type(exc)
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=8), st.lists(DATA, max_size=4))
def test_a_list_written_item_by_item_is_the_text_of_the_whole_document(name, items):
    # what grade --format json streams: the same bytes as json.dumps of the finished document
    assert streamed(name, items) == reference({name: items})


def test_an_empty_list_written_item_by_item():
    assert streamed("submissions", []) == '{\n  "submissions": []\n}\n'
    assert streamed("submissions", [{"a": [1.5, 2.0]}, None]) == reference({"submissions": [{"a": [1.5, 2.0]}, None]})
