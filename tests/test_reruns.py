"""lstmhw.reruns gives exactly the own values of lstmhw.solvers.run: remembered, along a route, bit for bit."""

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
from lstmhw.solvers import paper_ops, run, solver_module
from lstmhw.trace import round_value
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


class PlainEvaluation:
    """What :meth:`Reruns.own` computes, written plainly: every step re-evaluated by recursion over
    the trace's edges, an input being the student's value where one is given and otherwise
    evaluated in turn (a given is the problem's value), as :meth:`lstmhw.trace.Tracer.step`
    evaluates it (its function of the ops as on paper, its inputs and data; hand rounding).
    A second implementation: no routes, no sharing, no memory."""

    def __init__(self, problem, overrides, ops=None, decimals=None):
        module = solver_module(problem.solver)
        self.base = run(problem, ops=ops, decimals=decimals)  # raises if the chain cannot run from the givens
        self.paper = paper_ops(module, ops if ops is not None else module.OPS, decimals)
        self.overrides, self.decimals = overrides, decimals
        self._own = {}

    def value(self, name):
        return self.overrides[name] if name in self.overrides else self.own(name)

    def own(self, name):
        step = self.base[name]
        if step.fn is None:
            return step.value
        if name not in self._own:
            args = [self.value(i) for i in step.inputs]
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):  # as lstmhw.solvers.run
                value = step.fn(self.paper, *args, **step.data)
                self._own[name] = round_value(value, self.decimals) if self.decimals is not None else value
        return self._own[name]


def assert_own_values(problem, reruns, overrides, ops=None, decimals=None, names=None):
    """``reruns.own`` of every computed step (or of ``names``) from ``overrides``: bit for bit the
    full run's own value wherever the full run can be computed, and always the plain evaluation's
    (failing where it fails: a step on the way leaves float64). Where the chain cannot even run
    from the givens, the full run's."""
    full = _outcome(partial(run, problem, ops=ops, overrides=overrides, decimals=decimals))
    try:
        plain = PlainEvaluation(problem, overrides, ops, decimals)
    except (ArithmeticError, ValueError, LstmhwError):
        plain = None
    if names is None:
        names = [step.name for step in run(problem) if not step.given]
    for q in names:
        got = _outcome(partial(reruns.own, q, overrides, ops=ops, decimals=decimals))
        if not isinstance(full, tuple):
            assert _same(full[q].own, got), q
        if plain is None:  # the whole chain is run, as the full run: the same value or the same error
            assert got == full if isinstance(full, tuple) else _same(full[q].own, got), (q, full, got)
            continue
        expected = _outcome(partial(plain.own, q))
        if isinstance(expected, tuple) or isinstance(got, tuple):  # (NumPy's error here, the step's named error there)
            assert isinstance(expected, tuple) and isinstance(got, tuple), (q, expected, got)
        else:
            assert _same(expected, got), q


NUMBERS = st.one_of(
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from([0.0, -0.0, 0.5, 1e200, -1e300, 1e-300]),
)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_own_equals_full_run_and_plain_evaluation(data):
    problem = data.draw(st.sampled_from(["p4", "k3"]))
    problem = _p4() if problem == "p4" else _k3()
    reruns = Reruns(problem)
    base = run(problem)
    computed = [step.name for step in base if not step.given]
    names = data.draw(st.lists(st.sampled_from(problem.ask + computed), unique=True, max_size=5))
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
    assert_own_values(problem, reruns, overrides, ops, decimals)
    # remembered: the second time gives the same again
    assert_own_values(problem, reruns, overrides, ops, decimals)


def test_remembered_by_exact_bytes():
    reruns = Reruns(_p4())
    a = reruns.own("h[2]", {"h[1]": np.array([0.3])})
    assert reruns.own("h[2]", {"h[1]": np.array([0.3])}) is a
    assert reruns.own("h[2]", {"h[1]": np.array([0.30000000000000004])}) is not a
    assert reruns.own("mse", {"h[1]": np.array([0.3]), "h[2]": 0.0}) is not reruns.own("mse", {"h[1]": np.array([0.3]), "h[2]": -0.0})


def test_a_quantity_reads_only_the_answers_it_is_computed_from():
    """h[2] is computed from h[1] (and the givens) only: an h[2] or mse of the student's does not
    change it, and a later step that overflows from them (the square of h[2] − y[2]) fails the
    full run but not h[2]'s own value."""
    problem = _p4()
    reruns = Reruns(problem)
    alone = run(problem, overrides={"h[1]": np.array([0.3])})["h[2]"].own
    with pytest.raises(LstmhwError):
        run(problem, overrides={"h[1]": np.array([0.3]), "h[2]": np.array([1e200])})
    got = reruns.own("h[2]", {"h[1]": np.array([0.3]), "h[2]": np.array([1e200]), "mse": 7.0})
    assert _same(alone, got)
    with pytest.raises(LstmhwError):  # mse is computed from that h[2]: its square overflows
        reruns.own("mse", {"h[1]": np.array([0.3]), "h[2]": np.array([1e200])})


def test_one_dict_changed_between_reruns_is_fingerprinted_again():
    """The fingerprint of the last dict of overrides is remembered (a student's dozen re-runs pass
    one dict); a dict changed in between, even to hold the same value object under another
    name, is another substitution, and gives the full run's value for what it holds now."""
    problem = _p4()
    reruns = Reruns(problem)
    value = np.array([0.3])
    overrides = {"h[1]": value}
    reruns.own("mse", overrides)
    overrides["h[2]"] = overrides.pop("h[1]")
    assert _same(run(problem, overrides={"h[2]": value})["mse"].own, reruns.own("mse", overrides))
    overrides["h[2]"] = np.array([0.4])
    assert _same(run(problem, overrides={"h[2]": np.array([0.4])})["mse"].own, reruns.own("mse", overrides))


def test_failure_is_raised_every_time():
    reruns = Reruns(_p4())
    for _ in range(3):
        with pytest.raises(ArithmeticError):  # (h[1] − y[1])² overflows
            reruns.own("mse", {"h[1]": np.array([1e300])})


def test_memory_is_bounded():
    reruns = Reruns(_p4(), memo_bytes=5_000)
    for k in range(200):
        reruns.own("mse", {"h[1]": np.array([k / 1000])})
    assert reruns._memo.held <= 5_000 and len(reruns._memo) < 200


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
            assert_own_values(problem, reruns, overrides, ops)


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
                    assert_own_values(problem, reruns, overrides, ops, decimals)


# A solver whose mistake rewires two steps (as Adam's moments-swapped does), written in the test to
# reach the two cases where a step the mistake cannot touch must still not be shared with the plain
# re-run: it is on the mistaken route but not on the plain one (b), or it reads a step that the
# student's value reaches in the plain re-run only (s reads c).
REWIRED = '''\
"""x given; a = 2x; b = a + 1; r = a² (rewired: b²); c = a + 1 (rewired: 2x + 1); s = 2c + a; q = r + s;
t = a − 3 (the other mistake: 1/(a − 3), which divides by zero from the givens)."""

from dataclasses import dataclass
from typing import Any

from lstmhw.mistakes import one

NAME = "rewired"
KEYS = ("x",)


@dataclass(frozen=True, eq=False)
class RewiredOps:
    wired: Any = False
    reciprocal: Any = False


OPS = RewiredOps()
MISTAKES = (one("rewired", "r from b and c from x", wired=True), one("reciprocal", "t = 1/(a − 3)", reciprocal=True))
REDRAW = ("x",)
TEMPLATE = "solver: rewired\\nx: 1.5\\n"


@dataclass(frozen=True)
class Params:
    x: float


def read(c):
    x = c.number(("x",))
    return None if x is None else Params(float(x))


def default_ask(params):
    return ["q"]


def solve(params, tracer):
    tracer.given("x", params.x)
    tracer.step("a", "2x", "2x", ["x"], lambda ops, x: 2 * x)
    tracer.step("b", "a + 1", "a + 1", ["a"], lambda ops, a: a + 1)
    if tracer.ops.wired:
        tracer.step("r", "b²", "b^2", ["b"], lambda ops, b: b * b, uses=("wired",))
        tracer.step("c", "2x + 1", "2x + 1", ["x"], lambda ops, x: 2 * x + 1, uses=("wired",))
    else:
        tracer.step("r", "a²", "a^2", ["a"], lambda ops, a: a * a, uses=("wired",))
        tracer.step("c", "a + 1", "a + 1", ["a"], lambda ops, a: a + 1, uses=("wired",))
    tracer.step("s", "2c + a", "2c + a", ["c", "a"], lambda ops, c, a: 2 * c + a)
    tracer.step("q", "r + s", "r + s", ["r", "s"], lambda ops, r, s: r + s)
    tracer.step("t", "a − 3", "a - 3", ["a"], lambda ops, a: 1 / (a - 3) if ops.reciprocal else a - 3, uses=("reciprocal",))


def degenerate(trace, original):
    return None
'''


def test_a_rewired_step_is_not_shared_and_a_chain_that_cannot_run_is_run_whole(tmp_path, monkeypatch):
    import sys

    from lstmhw.solvers import SOLVERS

    (tmp_path / "rewired_solver.py").write_text(REWIRED, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(SOLVERS, "rewired", "rewired_solver")
    try:
        problem = problem_from_document(parse_yaml("id: w\nsolver: rewired\nx: 1.5\nask: [a, q]\n", "w.yaml"))
        reruns = Reruns(problem)
        (_, _, wired), (_, _, reciprocal) = patched_ops("rewired")
        # By hand, from a = 3.5 (x = 1.5): without the mistake r = 12.25, c = 4.5, s = 12.5, q = 24.75;
        # with it b = 4.5, r = 20.25, c = 2·1.5 + 1 = 4, s = 2·4 + 3.5 = 11.5, q = 31.75.
        assert reruns.own("q", {"a": 3.5}) == 24.75
        assert reruns.own("q", {"a": 3.5}, ops=wired) == 31.75
        assert_own_values(problem, reruns, {"a": 3.5}, wired)
        # With 1/(a − 3) the chain cannot run from the givens (a = 3): a re-run is then the whole
        # chain from the student's values, 1/(3.5 − 3) = 2, and from none of them it fails.
        assert reruns.own("t", {"a": 3.5}, ops=reciprocal) == 2.0
        with pytest.raises(LstmhwError):
            reruns.own("t", {}, ops=reciprocal)
        assert_own_values(problem, reruns, {"a": 3.5}, reciprocal)
    finally:
        sys.modules.pop("rewired_solver", None)
