"""lstmhw.reruns gives exactly the traces of lstmhw.solvers.run: remembered or incremental, bit for bit."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from conftest import PROBLEMS
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmhw.errors import LstmhwError
from lstmhw.files import load_problems
from lstmhw.mistakes import patched_ops
from lstmhw.problem import problem_from_document
from lstmhw.reruns import Reruns
from lstmhw.solvers import run
from lstmhw.yamlio import parse_yaml

KEY3 = """\
id: k3
solver: lstm-forward
W: {f: [[1, 2], [0.5, -1], [0.2, 0.1]], i: [[-1, 0], [1, 1], [0.3, 0.3]], c: [[1, 2], [0, 1], [1, 0]], o: [[3, 0], [0.1, 0.2], [-1, 1]]}
U: {f: [[0.5, 0, 0], [0, 1, 0], [0, 0, 1]], i: [[2, 0, 0], [0, 1, 0], [0, 0, 1]], c: [[1.5, 0, 0], [0, 1, 0], [0, 0, 1]], o: [[-1, 0, 0], [0, 1, 0], [0, 0, 1]]}
b: {f: [0.2, 0, 0], i: [-0.1, 0, 0], c: [0.5, 0, 0], o: [0.8, 0, 0]}
x: [[1, 0], [0.5, -1], [0.3, 0.3]]
y: [[0.5, 0.1, 0.2], [0.8, 0, 0], [0.1, 0.1, 0.1]]
loss: {reduction: half-sum}
ask: ["h[1]", "c[2]", "f[3]", "h[3]", mse]
"""


def _p4():
    return load_problems([str(PROBLEMS / "p4.yaml")])[0]


def _k3():
    return problem_from_document(parse_yaml(KEY3, "k3.yaml"))


def _outcome(call):
    try:
        return call()
    except (ArithmeticError, ValueError, LstmhwError) as exc:
        return (type(exc), str(exc))


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return a.hex() == b.hex()
    return a == b


def assert_same_trace(expected, got) -> None:
    if isinstance(expected, tuple) or isinstance(got, tuple):
        assert expected == got
        return
    assert list(expected.steps) == list(got.steps)
    for name, step in expected.steps.items():
        other = got[name]
        assert _same(step.value, other.value), name
        assert _same(step.own, other.own), name
        assert (step.formula, step.latex, step.inputs, step.group, step.note) == (other.formula, other.latex, other.inputs, other.group, other.note)
    assert (expected.problem_id, expected.solver, expected.title, expected.asked) == (got.problem_id, got.solver, got.title, got.asked)


NUMBERS = st.one_of(
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from([0.0, -0.0, 0.5, 1e200, -1e300, 1e-300]),
)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_rerun_equals_full_run(data):
    problem = data.draw(st.sampled_from(["p4", "k3"]))
    problem = _p4() if problem == "p4" else _k3()
    reruns = Reruns(problem)
    base = run(problem)
    names = data.draw(st.lists(st.sampled_from(problem.ask), unique=True))
    overrides = {}
    for name in names:
        shape = np.shape(base.value(name))
        if shape == ():
            overrides[name] = data.draw(NUMBERS)
        else:
            overrides[name] = np.array(data.draw(st.lists(NUMBERS, min_size=shape[0], max_size=shape[0])))
    all_ops = [None] + [ops for _, _, ops in patched_ops(problem.solver)]
    ops = data.draw(st.sampled_from(all_ops))
    decimals = data.draw(st.sampled_from([None, 2, 3, 4]))
    expected = _outcome(partial(run, problem, ops=ops, overrides=overrides, decimals=decimals))
    assert_same_trace(expected, _outcome(partial(reruns.run, ops=ops, overrides=overrides, decimals=decimals)))
    # remembered: the second call gives the same again
    assert_same_trace(expected, _outcome(partial(reruns.run, ops=ops, overrides=overrides, decimals=decimals)))


def test_remembered_by_exact_bytes():
    reruns = Reruns(_p4())
    a = reruns.run(overrides={"h[1]": np.array([0.3])})
    assert reruns.run(overrides={"h[1]": np.array([0.3])}) is a
    assert reruns.run(overrides={"h[1]": np.array([0.30000000000000004])}) is not a
    assert reruns.run(overrides={"h[1]": np.array([0.3]), "mse": 0.0}) is not reruns.run(overrides={"h[1]": np.array([0.3]), "mse": -0.0})


def test_one_dict_changed_between_reruns_is_fingerprinted_again():
    """The fingerprint of the last dict of overrides is remembered (a student's dozen re-runs pass
    one dict); a dict changed in between, even to hold the same value object under another
    name, is another substitution, and gives the full run's trace for what it holds now."""
    problem = _p4()
    reruns = Reruns(problem)
    value = np.array([0.3])
    overrides = {"h[1]": value}
    reruns.run(overrides=overrides)
    overrides["h[2]"] = overrides.pop("h[1]")
    assert_same_trace(run(problem, overrides={"h[2]": value}), reruns.run(overrides=overrides))
    overrides["h[2]"] = np.array([0.4])
    assert_same_trace(run(problem, overrides={"h[2]": np.array([0.4])}), reruns.run(overrides=overrides))


def test_failure_is_raised_every_time():
    reruns = Reruns(_p4())
    for _ in range(3):
        with pytest.raises(ArithmeticError):
            reruns.run(overrides={"h[1]": np.array([1e300])})


def test_memory_is_bounded():
    reruns = Reruns(_p4(), memo_bytes=50_000)
    for k in range(200):
        reruns.run(overrides={"h[1]": np.array([k / 1000])})
    assert reruns._held <= 50_000 and len(reruns._memo) < 200


@pytest.mark.parametrize("make", [_p4, _k3])
def test_every_mistake_from_own_values_equals_full_run(make):
    """Mistaken re-runs take untouched steps from the plain re-run: still bit for bit the full run."""
    problem = make()
    base = run(problem)
    rng = np.random.default_rng(7)
    answer_sets = []
    for _ in range(12):
        overrides = {}
        for name in problem.ask:
            if rng.random() < 0.7:
                value = base.value(name)
                noisy = np.asarray(value) + rng.normal(0, 0.2, np.shape(value))
                overrides[name] = float(noisy) if np.ndim(value) == 0 else noisy
        answer_sets.append(overrides)
    answer_sets.append({problem.ask[0]: np.full(np.shape(base.value(problem.ask[0])), 1e200)})  # overflows downstream
    reruns = Reruns(problem)
    mistakes = [ops for _, _, ops in patched_ops(problem.solver)]
    for overrides in answer_sets:
        for ops in mistakes:
            expected = _outcome(partial(run, problem, ops=ops, overrides=overrides))
            assert_same_trace(expected, _outcome(partial(reruns.run, ops=ops, overrides=overrides)))


ADAM_AMSGRAD = """\
id: adam_ams
solver: adam
lr: 0.05
beta1: 0.8
beta2: 0.99
t: 3
W: [[-0.22, 0.33], [0.49, -0.86]]
grads: [[[0.78, 0.02], [-0.88, -0.14]], [[0.1, -0.3], [0.2, 0.05]]]
V: [[-0.27, 0.27], [-0.12, -0.02]]
S: [[0.01, 0.07], [0.14, 0.17]]
weight_decay: 0.01
amsgrad: true
S_max: [[0.02, 0.07], [0.14, 0.2]]
ask: ["V[3]", "S[3]", "W[3]", "W[4]", "S_max[4]", "V_corr[4]"]
"""

RNN_MATRIX = """\
id: rnn_mat
solver: rnn-gradient
activation: tanh
steps: 4
target: 1.0e-2
W_h: [[0.5, 0.3], [-0.2, 0.9]]
W_x: [[1.0], [0.5]]
x: [[1], [0.5], [-0.3], [0.2]]
h0: [0.1, -0.1]
"""


def _every_solver():
    """The bundled homework, two option-heavy problems, and every registered solver's template."""
    from lstmhw.solvers import SOLVERS, solver_module

    problems = load_problems([str(PROBLEMS)])
    problems += [problem_from_document(parse_yaml(text, f"{n}.yaml")) for n, text in (("ams", ADAM_AMSGRAD), ("rnn", RNN_MATRIX))]
    problems += [problem_from_document(parse_yaml(solver_module(n).TEMPLATE, f"{n}.yaml")) for n in SOLVERS]
    return problems


def test_every_solver_every_mistake_equals_full_run():
    """Rewired steps (Adam's moments swapped), text that names the mistaken numbers (lstm-claims),
    booleans and words: whatever the solver, a re-run is the full run."""
    rng = np.random.default_rng(3)
    for problem in _every_solver():
        base = run(problem)
        reruns = Reruns(problem)
        all_ops = [None] + [ops for _, _, ops in patched_ops(problem.solver)]
        for _ in range(4):
            overrides = {}
            # asked quantities and the working: any computed step may be a student's value
            computed = [step.name for step in base if not step.given]
            for name in dict.fromkeys(problem.ask + list(rng.choice(computed, size=min(4, len(computed)), replace=False))):
                value = base.value(name)
                if rng.random() < 0.4:
                    continue
                if isinstance(value, (bool, np.bool_)):
                    overrides[name] = bool(rng.random() < 0.5)
                elif isinstance(value, str):
                    overrides[name] = str(rng.choice(["vanishing", "exploding", "neutral"]))
                else:
                    noisy = np.asarray(value, dtype=float) * rng.choice([0.5, -1.0, 1.1, 1e200])
                    overrides[name] = float(noisy) if np.ndim(value) == 0 else noisy
            for ops in all_ops:
                for decimals in (None, 3):
                    expected = _outcome(partial(run, problem, ops=ops, overrides=overrides, decimals=decimals))
                    got = _outcome(partial(reruns.run, ops=ops, overrides=overrides, decimals=decimals))
                    if isinstance(expected, tuple) or isinstance(got, tuple):
                        assert type(expected) is type(got) and (not isinstance(expected, tuple) or expected[0] == got[0])
                    else:
                        assert_same_trace(expected, got)
