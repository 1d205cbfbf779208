"""Plain-float paths for one number (hidden size 1) against the NumPy-only code they replaced.

``lstmhw.trace.round_value`` (hand rounding) and ``lstmhw.mathops.sigmoid`` take a
plain-float path for a single float64 number.  ``reference_round_value`` and
``reference_sigmoid`` below are the implementations before it, kept here verbatim as
the oracles: the new ones must give the same value, bit for bit (the sign of a zero
included), of the same type, shape and dtype, and raise the same error, for every
value and every NumPy error state grading and solving run under.
"""

from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest

from lstmhw.mathops import sigmoid
from lstmhw.trace import round_value


def reference_round_value(value, decimals):
    """round_value as it was, NumPy's ndarray.round throughout (the oracle)."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return value
    small = 10.0 ** (1 - decimals)
    if isinstance(value, np.ndarray):
        if value.dtype == bool:
            return value
        if value.size == 1:
            x = value.item()
            if x != 0 and abs(x) < small:
                return np.full(value.shape, _reference_two_figures(x))
            return value.round(decimals)
        out = value.round(decimals)
        tiny = (np.abs(value) < small) & (value != 0)
        if tiny.any():
            out[tiny] = [_reference_two_figures(float(v)) for v in value[tiny]]
        return out
    if isinstance(value, (int, float, np.floating, np.integer)):
        if value != 0 and abs(value) < small:
            return _reference_two_figures(float(value))
        return float(np.asarray(value).round(decimals))
    return value


def _reference_two_figures(x):
    if not math.isfinite(x):
        return x
    return float(np.asarray(x).round(1 - math.floor(math.log10(abs(x)))))


def _fingerprint(result):
    """Everything a caller could tell apart: type, dtype, shape and the exact bits."""
    if isinstance(result, np.ndarray):
        return ("array", result.dtype.str, result.shape, result.tobytes())
    if isinstance(result, float):
        return (type(result).__name__, result.hex())
    return (type(result).__name__, repr(result))


def _outcome(fn, value, decimals):
    try:
        return _fingerprint(fn(value, decimals))
    except Exception as exc:  # the same error type is part of the contract
        return ("raised", type(exc).__name__)


EDGE = [
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.125, -0.125, 0.375, 2.675, 1.005, 0.285,
    0.0005, 0.00005, 0.000049999, 5.994e-05, -5.994e-05, 0.0095, 0.00995, 1e-300, -1e-300, 5e-324, -5e-324,
    2.2250738585072014e-308, 1e-22, 1e-21, 9.99e-21, 123456.789, -987654.3215, 4503599627370495.5, 2.0**52, 2.0**53 + 2,
    1e15, 1e16, 1e22, 1e300, -1e300, 1.7976931348623157e308, math.inf, -math.inf, math.nan,
]
DECIMALS = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 15, 22, 23, 30, 300, 320, -1, -2, -5]


def _random_values(rng: random.Random, n: int) -> list[float]:
    values = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.4:
            values.append(rng.uniform(-1, 1) * 10.0 ** rng.uniform(-12, 12))
        elif kind < 0.6:  # half-way cases: k + 0.5 units of some decimal
            d = rng.randrange(0, 8)
            values.append((rng.randrange(-10**6, 10**6) + 0.5) / 10**d)
        elif kind < 0.8:  # a number as written to a few decimals, then nudged by an ulp
            x = round(rng.uniform(-3, 3), rng.randrange(1, 6))
            values.append(math.nextafter(x, rng.choice((-math.inf, math.inf))))
        else:  # any float64 bit pattern (subnormals, huge, NaN, inf)
            values.append(np.frombuffer(rng.getrandbits(64).to_bytes(8, "little"), dtype=np.float64)[0].item())
    return values


ERRSTATES = [
    {},  # NumPy's default
    {"all": "ignore"},  # grading's hand-rounded key chains and ECF
    {"over": "raise", "invalid": "raise", "divide": "raise", "under": "ignore"},  # lstmhw.solvers.run
]


@pytest.mark.parametrize("errstate", ERRSTATES, ids=["default", "ignore", "raise"])
def test_same_as_numpy_only_rounding(errstate):
    rng = random.Random(2026)
    values = EDGE + _random_values(rng, 2500)
    differences = []
    with np.errstate(**errstate), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's default error state warns (overflow ...): both alike
        for x in values:
            for decimals in DECIMALS if x in EDGE else rng.sample(DECIMALS, 4):
                shaped = [x, np.float64(x), np.array([x]), np.array([[x]]), np.array(x), np.array([x, -x / 3, 0.0])]
                for value in shaped:
                    old = _outcome(reference_round_value, value.copy() if isinstance(value, np.ndarray) else value, decimals)
                    new = _outcome(round_value, value.copy() if isinstance(value, np.ndarray) else value, decimals)
                    if old != new:
                        differences.append((x, decimals, type(value).__name__, np.shape(value), old, new))
    assert not differences, differences[:5]


def test_what_a_student_writes():
    # by hand: to the decimals asked, half to even on the binary value, never below two figures
    assert round_value(0.12345, 3) == 0.123
    assert round_value(-0.18988, 2) == -0.19
    assert round_value(24.5, 0) == 24.0  # half-way: to even
    assert round_value(2.5, 0) == 2.5  # 0 decimals would show one figure: two are kept
    assert round_value(0.125, 2) == 0.12  # 0.125 is exact in binary: half-way, to even
    assert round_value(0.375, 2) == 0.38
    assert round_value(5.994e-05, 3) == 6.0e-05  # two significant figures, not 0.0
    assert round_value(0.0, 3) == 0.0
    assert math.copysign(1.0, round_value(-0.0001, 2)) == -1.0  # -0.0001 is kept at two figures
    assert math.copysign(1.0, round_value(-0.0, 2)) == -1.0  # a zero keeps its sign
    assert round_value(True, 2) is True
    assert round_value(None, 2) is None
    out = round_value(np.array([0.21741]), 3)
    assert isinstance(out, np.ndarray) and out.shape == (1,) and out.dtype == np.float64 and out[0] == 0.217
    out = round_value(np.array([[0.00012345]]), 2)
    assert out.shape == (1, 1) and out[0, 0] == 0.00012
    assert list(round_value(np.array([1.23456, 0.000123, -7.0]), 2)) == [1.23, 0.00012, -7.0]


def reference_sigmoid(z):
    """mathops.sigmoid as it was, NumPy throughout (the oracle)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@pytest.mark.parametrize("errstate", ERRSTATES, ids=["default", "ignore", "raise"])
def test_sigmoid_same_as_numpy_only(errstate):
    rng = random.Random(7)
    values = EDGE + [-x for x in EDGE] + [740.0, -745.1, 709.8, -709.8, 36.7, -36.7] + _random_values(rng, 1500)
    values += [rng.uniform(-40, 40) for _ in range(1500)]
    shapes = (lambda x: x, lambda x: np.array([x]), lambda x: np.array([[x]]), np.array, lambda x: np.array([x, -x]),
              lambda x: np.array([x], dtype=np.float32))
    with np.errstate(all="ignore"):  # made outside the error state tested (a float32 of 1e300 overflows)
        shaped = [(x, shape(x)) for x in values for shape in shapes]
    differences = []
    with np.errstate(**errstate), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x, value in shaped:
            old, new = _outcome(lambda v, _: reference_sigmoid(v), value, None), _outcome(lambda v, _: sigmoid(v), value, None)
            if old != new:
                differences.append((x, np.shape(value), old, new))
    assert not differences, differences[:5]


def test_sigmoid_by_hand():
    assert sigmoid(np.array([0.0]))[0] == 0.5
    assert abs(sigmoid(np.array([2.0]))[0] - 1 / (1 + math.exp(-2.0))) < 1e-15
    assert abs(sigmoid(np.array([[-3.0]]))[0, 0] - math.exp(-3.0) / (1 + math.exp(-3.0))) < 1e-15
    assert sigmoid(np.array([-800.0]))[0] == 0.0 and sigmoid(np.array([800.0]))[0] == 1.0  # no overflow


def reference_reduce_squares(squares, reduction):
    """mse.reduce_squares as it was, np.sum and np.size for every array (the oracle)."""
    total = float(sum(np.float64(s) if type(s) is float else np.sum(s) for s in squares))
    n = sum(1 if type(s) is float else np.size(s) for s in squares)
    if reduction == "mean":
        return total / n
    if reduction == "half-sum":
        return total / 2
    return total


@pytest.mark.parametrize("errstate", ERRSTATES, ids=["default", "ignore", "raise"])
def test_reduce_squares_same_as_np_sum(errstate):
    from lstmhw.solvers.mse import reduce_squares

    rng = random.Random(11)
    pool = EDGE + _random_values(rng, 400) + [1e308, 1.5e308]
    with np.errstate(all="ignore"):
        cases = []
        for _ in range(3000):
            terms = rng.randrange(0, 4)
            shape = rng.choice([(1,), (1, 1), (2,), None])
            squares = []
            for _ in range(terms):
                if shape is None:
                    squares.append(rng.choice(pool))
                else:
                    squares.append(np.array([rng.choice(pool) for _ in range(int(np.prod(shape)))]).reshape(shape))
            cases.append(squares)
    differences = []
    with np.errstate(**errstate), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for squares in cases:
            for reduction in ("mean", "sum", "half-sum"):
                old = _outcome(lambda sq, r: reference_reduce_squares(sq, r), squares, reduction)
                new = _outcome(lambda sq, r: reduce_squares(sq, r), squares, reduction)
                if old != new:
                    differences.append((squares, reduction, old, new))
    assert not differences, differences[:5]


# ----------------------------------------------------------------------------- diagnosis screen
def test_screen_one_number_same_as_numpy():
    """``_Screen.matches`` of a one-number quantity takes plain floats; ``_all_at_once`` (NumPy, every
    candidate at once) is the path it replaces, and must give the same matches: the same candidates,
    in the same order, the same elements, the same coarse flag. Answers are drawn near the candidates
    (reproduced by the tolerance, by the decimals written, at one significant figure) and far."""
    from lstmhw.grading.candidates import Candidate
    from lstmhw.grading.diagnosis import _screen
    from lstmhw.problem import Tolerance

    rng = random.Random(11)
    seen = {"reproduced": 0, "coarse": 0, "none": 0}
    for _ in range(3000):
        key = rng.choice([1, -1]) * 10 ** rng.uniform(-4, 1)
        values = [key * rng.choice([0, 1, -1, 10, 0.1, 1 + rng.uniform(-0.05, 0.05)]) + rng.choice([0, rng.uniform(-1, 1)]) for _ in range(8)]
        candidates = [Candidate(f"m{n}", "", np.array([v]) if n % 2 else v, n % 3 != 0) for n, v in enumerate(values)]
        tol = Tolerance(rtol=rng.choice([0.01, 0.001]), atol=rng.choice([0.0, 1e-3]))
        screen = _screen(candidates, np.array([key]), tol)
        target = rng.choice(values + [key, 0.0])
        written = rng.choice([None, float(rng.randint(0, 6)), math.nan])
        answer = round(target, int(written)) if written is not None and math.isfinite(written) else target * (1 + rng.uniform(-0.02, 0.02))
        decimals = None if written is None else rng.choice([written, np.array([written])])
        value = rng.choice([answer, np.array([answer])])
        wrong = np.array([rng.random() < 0.9])
        fast = [(m.candidate.mistake_id, m.where.tolist(), m.coarse) for m in screen.matches(value, wrong, tol, decimals, np.array([key]))]
        slow = [(m.candidate.mistake_id, m.where.tolist(), m.coarse) for m in screen._all_at_once(value, wrong, tol, decimals, np.array([key]))]
        assert fast == slow, (value, decimals, key, values, tol)
        seen["none" if not slow else "coarse" if any(c for *_, c in slow) else "reproduced"] += 1
    assert min(seen.values()) > 50, seen  # every kind of outcome was reached


# ----------------------------------------------------------------------------- decimals written
def test_decimals_written_plain_form_same_as_the_pattern():
    """``decimals_written`` reads a sign, digits, a point and digits without its pattern; on any
    text it must give what the pattern (``_decimals_by_pattern``, the path it skips) gives, nan
    included. Texts are drawn from the characters numbers are written with, and a few others."""
    from lstmhw.submission import _decimals_by_pattern, decimals_written

    def same(a: float, b: float) -> bool:
        return (math.isnan(a) and math.isnan(b)) or a == b

    rng = random.Random(5)
    alphabet = "0123456789" * 3 + ".-+eE_ \u2212\u0663\u00b2x"
    texts = ["0.220", "4", "-0.19", "+.5", "5.", ".", "-", "", "1.2.3", "--1", "0.0047", "٣.5", " 0.5", "1_0.25"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(20000)]
    for text in texts:
        assert same(decimals_written(text), _decimals_by_pattern(text)), text
    # and by hand
    assert decimals_written("0.220") == 3 and decimals_written("-4") == 0 and decimals_written("+.5") == 1
    assert math.isnan(decimals_written("1.2.3")) and math.isnan(decimals_written("."))


# ----------------------------------------------------------------------------- against the key
def test_close_to_key_one_number_same_as_numpy():
    """``_close_to_key`` of a one-number answer takes plain floats (``_one_close_to_key``); rules
    (a), (b) and (c) through ``matches_exact`` and ``matches_paper`` are the path it replaces, and
    must give the same verdict. Answers are drawn at the key and its hand-rounded chains, written to
    0–6 decimals (rounded or not), slightly off, zero, and with unknown decimals."""
    from conftest import PROBLEMS

    from lstmhw.files import load_problems
    from lstmhw.grading import Key, Options
    from lstmhw.grading.verdicts import _close_to_key, _one_close_to_key, matches_exact, matches_paper
    from lstmhw.problem import Tolerance

    key = Key(load_problems([str(PROBLEMS / "p4.yaml"), str(PROBLEMS / "p1.yaml")]), Options())
    rng = random.Random(12)
    seen = {"a": 0, "b": 0, "c": 0, "no": 0}
    for kp in key.problems.values():
        for q in kp.problem.ask:
            if np.size(kp.expected(q)) != 1:
                continue
            targets = [float(np.asarray(kp.expected(q)).item())] + [float(np.asarray(t.value(q)).item()) for t in kp.rounded]
            for _ in range(1500):
                kp.tol = Tolerance(rtol=rng.choice([0.01, 1e-4, 1e-4]), atol=rng.choice([0.0, 0.0, 1e-3]))
                target = rng.choice(targets) * rng.choice([1, 1, 1 + rng.uniform(-0.03, 0.03), -1, 0])
                written = rng.choice([float(rng.randint(0, 6)), float(rng.randint(0, 6)), math.nan, None])
                answer = round(target, int(written)) if written is not None and math.isfinite(written) and rng.random() < 0.8 else target
                decimals = None if written is None else np.array([written])
                shape = np.shape(kp.expected(q))  # an answer in the key's shape, as _coerce gives it
                value = answer if shape == () else np.full(shape, answer)
                fast = _one_close_to_key(kp, q, value, decimals)
                slow = matches_exact(value, decimals, kp.expected(q), kp.tol)
                rule = "a" if slow.all() and matches_exact(value, None, kp.expected(q), kp.tol).all() else "b" if slow.all() else None
                if not slow.all() and decimals is not None:
                    for rounded in kp.rounded:
                        slow = slow | matches_paper(value, decimals, rounded.value(q))
                    rule = "c" if slow.all() else "no"
                assert fast is not None and fast == bool(slow.all()), (q, value, decimals, kp.tol)
                assert _close_to_key(kp, q, value, decimals).tolist() == slow.tolist()
                seen[rule or "no"] += 1
    assert min(seen.values()) > 100, seen  # every rule decided some answers


def test_screen_of_one_number_candidates_same_as_numpy():
    """``_screen`` of candidates for a one-number key builds its screen in plain floats
    (``_screen_one_number``); ``_screen_arrays`` is the NumPy path it replaces, and must give the same
    screen: the same candidates in order, the same values bit for bit, the same flags. Candidates
    are floats, NumPy scalars, ints and one-element arrays, finite or not; keys of every shape of one."""
    from lstmhw.grading.candidates import Candidate
    from lstmhw.grading.diagnosis import _screen, _screen_arrays, _screen_one_number
    from lstmhw.problem import Tolerance

    rng = random.Random(13)
    for _ in range(2000):
        key_value = rng.choice([1, -1]) * 10 ** rng.uniform(-5, 2)
        shape = rng.choice([(), (1,), (1, 1)])
        expected = key_value if shape == () else np.full(shape, key_value)
        tol = Tolerance(rtol=rng.choice([0.01, 1e-4]), atol=rng.choice([0.0, 1e-3]))

        def draw(key_value=key_value, shape=shape):
            v = key_value * rng.choice([1, 1 + rng.uniform(-0.02, 0.02), -1, 10, 0]) + rng.choice([0, 1e-3, rng.uniform(-1, 1)])
            v = rng.choice([v, v, math.inf, -math.inf, math.nan, 1e308 * 10 if rng.random() < 0.1 else v])
            kind = rng.choice(["float", "np", "int", "array"])
            if kind == "np":
                return np.float64(v)
            if kind == "int" and math.isfinite(v):
                return int(v * 1000)
            return v if kind != "array" or shape == () else np.full(shape, v)

        candidates = [Candidate(f"m{n}", "", draw(), n % 2 == 0) for n in range(rng.randint(0, 12))]
        kept = [c for c in candidates if np.shape(c.value) == shape]
        fast = _screen_one_number(kept, float(np.asarray(expected).item()), tol)
        slow = _screen_arrays(kept, expected, tol)
        assert fast.candidates == slow.candidates
        assert fast.values.dtype == slow.values.dtype and fast.values.shape == slow.values.shape
        assert fast.values.tobytes() == slow.values.tobytes()
        assert fast.differs.dtype == slow.differs.dtype and fast.differs.tolist() == slow.differs.tolist()
        assert fast._column() == slow._column()
        screened = _screen(candidates, expected, tol)  # the dispatch takes the float path here
        assert screened.candidates == slow.candidates and screened.values.tobytes() == slow.values.tobytes()


def test_agrees_one_number_same_as_numpy():
    """``agrees`` of one number takes plain floats (``_one_agrees``); ``matches_exact`` or
    ``near_as_written`` is what it decides, and must be the same, for answers drawn at the reference,
    rounded to the decimals written or not, slightly off, zero, and with unknown decimals."""
    from lstmhw.grading.diagnosis import agrees
    from lstmhw.grading.verdicts import matches_exact, near_as_written
    from lstmhw.problem import Tolerance

    rng = random.Random(14)
    seen = {True: 0, False: 0}
    for _ in range(6000):
        reference = rng.choice([1, -1, 0]) * 10 ** rng.uniform(-5, 2)
        tol = Tolerance(rtol=rng.choice([0.01, 1e-4]), atol=rng.choice([0.0, 1e-3]))
        written = rng.choice([float(rng.randint(0, 6)), math.nan, None])
        target = reference * rng.choice([1, 1, 1 + rng.uniform(-0.05, 0.05), -1]) + rng.choice([0, 0, 1e-3])
        answer = round(target, int(written)) if written is not None and math.isfinite(written) else target
        answer = rng.choice([answer, 0.0])
        decimals = None if written is None else rng.choice([written, np.array([written])])
        shape = rng.choice([(), (1,)])
        value, ref = (answer, reference) if shape == () else (np.array([answer]), np.array([reference]))
        with np.errstate(all="ignore"):
            slow = matches_exact(value, decimals, ref, tol)
            if decimals is not None:
                slow = slow | near_as_written(value, decimals, ref)
        fast = agrees(value, decimals, ref, tol)
        assert fast.tolist() == slow.tolist(), (value, decimals, ref, tol)
        seen[bool(slow[0])] += 1
    assert min(seen.values()) > 1000, seen


def test_every_some_count_are_numpys_all_any_sum():
    """The reductions grading uses on per-element booleans, in plain Python for small flat arrays:
    the same answers as NumPy's for every size (empty included) and for arrays that are not flat."""
    from lstmhw.grading.verdicts import count, every, some

    rng = np.random.default_rng(15)
    for size in [0, 1, 2, 5, 16, 17, 40]:
        for _ in range(30):
            flags = rng.random(size) < rng.choice([0.0, 0.5, 0.95, 1.0])
            for shaped in (flags, flags.reshape(1, -1), flags.reshape(-1, 1)):
                assert every(shaped) is bool(shaped.all()) and some(shaped) is bool(shaped.any())
                assert count(shaped) == int(shaped.sum()) and type(count(shaped)) is int


def test_shape_of_is_numpys_shape():
    """verdicts.shape_of, np.shape without its dispatch for arrays and Python numbers, against np.shape."""
    from lstmhw.grading.verdicts import shape_of

    values = [
        0.25, -0.0, 3, True, np.float64(0.5), np.bool_(True), np.int64(2), "0.25", None,
        np.array(1.5), np.array([1.5]), np.zeros((2, 3)), np.zeros((0,)), np.array([[True]]),
        [0.1, 0.2], [[1, 2], [3, 4]], [], (1.0, 2.0),
    ]
    for value in values:
        assert shape_of(value) == np.shape(value), value


def test_near_any_as_written_is_near_as_written_of_each():
    """near_any_as_written (one number read once) against near_as_written of each reference, OR-ed:
    one number and arrays, the references near the answer or not, decimals known or not."""
    from lstmhw.grading.verdicts import near_any_as_written, near_as_written

    rng = random.Random(16)
    seen = {True: 0, False: 0}
    for _ in range(4000):
        size = rng.choice([1, 1, 3])
        key = [rng.choice([1, -1]) * 10 ** rng.uniform(-4, 1) for _ in range(size)]
        written = [rng.choice([float(rng.randint(0, 5)), math.nan]) for _ in range(size)]
        answer = [round(k, int(w)) if math.isfinite(w) and rng.random() < 0.6 else k * rng.uniform(0.9, 1.1) for k, w in zip(key, written, strict=True)]
        references = [[k * rng.choice([1, 1 + rng.uniform(-0.01, 0.01), -1]) for k in key] for _ in range(rng.randint(1, 4))]
        one = size == 1 and rng.random() < 0.5
        value = answer[0] if one else np.array(answer)
        decimals = written[0] if one else np.array(written)
        refs = [(r[0] if one else np.array(r)) for r in references]
        slow = near_as_written(value, decimals, refs[0])
        for r in refs[1:]:
            slow = slow | near_as_written(value, decimals, r)
        fast = near_any_as_written(value, decimals, refs)
        assert fast.tolist() == slow.tolist(), (value, decimals, refs)
        seen[bool(slow.any())] += 1
    assert min(seen.values()) > 500, seen
