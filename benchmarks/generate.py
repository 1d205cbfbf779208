"""Inputs for the benchmarks: a class of submissions for problems/p4.yaml, and big LSTM problems.

Submissions are a realistic mix (fixed seed, so every run grades the same
class): right answers at full precision, answers worked on paper with every
intermediate rounded to 2–4 decimals, answers produced by a catalogued
mistake (a flipped sigmoid, a missing tanh, a dropped bias, ...), wrong
hidden states with an MSE carried forward from them, generic slips (sign,
decimal point), missing and unreadable answers, and a few files that are not
readable at all.  The values are computed here with an independent NumPy
LSTM, not with lstmhw, so the class does not depend on the code it measures.

    python benchmarks/generate.py submissions DIR N
    python benchmarks/generate.py lstm FILE T H [D]
    python benchmarks/generate.py bptt FILE T H [D]
"""

from __future__ import annotations

import os
import random
import sys
from collections import Counter
from typing import Any

import numpy as np
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
P4 = os.path.join(ROOT, "problems", "p4.yaml")


# ----------------------------------------------------------------- an independent LSTM
def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def lstm_answers(p: dict[str, Any], mistake: str | None = None, decimals: int | None = None) -> dict[str, float]:
    """h[t] and the mse of a p4-like problem (H = 1), as a student with ``mistake`` would get them."""
    r = (lambda v: np.round(v, decimals)) if decimals is not None else (lambda v: v)
    W = {g: np.array(p["W"][g], dtype=float) for g in "fico"}
    U = {g: np.array(p["U"][g], dtype=float) for g in "fico"}
    b = {g: np.array(p["b"][g], dtype=float) for g in "fico"}
    gate = (lambda z: _sigmoid(-z)) if mistake == "sigmoid-sign-flipped" else np.tanh if mistake == "tanh-for-gate" else _sigmoid
    candidate = _sigmoid if mistake == "sigmoid-for-candidate" else np.tanh
    h = np.array(p["h0"], dtype=float)
    c = np.array(p["c0"], dtype=float)
    out: dict[str, float] = {}
    hs = []
    for t, x in enumerate(np.array(p["x"], dtype=float), start=1):
        z = {}
        for g in "fico":
            term = W[g] @ x
            if mistake != "recurrent-term-dropped":
                term = term + U[g] @ h
            if mistake != "bias-dropped":
                term = term + b[g]
            z[g] = r(term)
        f, i, o = r(gate(z["f"])), r(gate(z["i"])), r(gate(z["o"]))
        ct = r(candidate(z["c"]))
        c = r(i * c + f * ct) if mistake == "f-i-swapped" else r(f * c + i * ct)
        h = r(o * c) if mistake == "h-without-tanh" else r(o * r(np.tanh(c)))
        out[f"h[{t}]"] = float(h[0])
        hs.append(float(h[0]))
    out["mse"] = mse_of(hs, p["y"], "sum" if mistake == "wrong-reduction" else "mean", decimals)
    return out


def mse_of(hs: list[float], y: list[float], reduction: str = "mean", decimals: int | None = None) -> float:
    sq = [(hv - yv) ** 2 for hv, yv in zip(hs, y, strict=True)]
    if decimals is not None:
        sq = [round(s, decimals) for s in sq]
    total = sum(sq)
    return total / len(sq) if reduction == "mean" else total


# ----------------------------------------------------------------- a class of submissions
MISTAKES = (
    "sigmoid-sign-flipped",
    "tanh-for-gate",
    "sigmoid-for-candidate",
    "h-without-tanh",
    "recurrent-term-dropped",
    "bias-dropped",
    "f-i-swapped",
    "wrong-reduction",
)

# kind -> share of the class (per 100 submissions)
MIX = {
    "right": 30,
    "rounded": 20,
    "mistake": 20,
    "ecf": 8,
    "generic": 5,
    "missing": 8,
    "invalid": 5,
    "unreadable": 2,
    "nested": 2,
}


# How a student writes a number down: every digit (copied from a calculator or code), or
# rounded to 2-6 decimals. Each student has a habit and mostly keeps it.
HABITS = (None, None, 2, 3, 3, 4, 4, 4, 5, 6)


def _writer(rng: random.Random):
    habit = rng.choice(HABITS)

    def write(x: float) -> str:
        decimals = habit if rng.random() < 0.8 else rng.choice(HABITS)
        return repr(x) if decimals is None else repr(round(x, decimals))

    return write


def _document(student: str | None, answers: dict[str, Any], nested: bool) -> str:
    lines = [f"student: {student}"] if student else []
    body = "{" + ", ".join(f'"{q}": {v}' if v else f'"{q}":' for q, v in answers.items()) + "}"
    if nested:
        lines += ["answers:", f"  p4: {body}", "  p3: {a: F, b: F, c: T, d: F, e: T}"]
    else:
        lines.append(f"answers: {body}")
    return "\n".join(lines) + "\n"


def submission_text(n: int, kind: str, p: dict[str, Any], rng: random.Random) -> str:
    """One submission file's text of the given kind."""
    student = f"student{n:05d}" if rng.random() < 0.7 else None  # else: the file's stem
    right = lstm_answers(p)
    write = _writer(rng)
    if kind == "unreadable":
        return rng.choice(
            (
                "answers: {h[1]: 0.2\n",  # unclosed flow mapping
                "- just\n- a list\n",
                "student: x\n",  # no answers
                "answers: [0.2, -0.19]\n",
                "",
            )
        )
    if kind == "right":
        answers = {q: write(v) for q, v in right.items()}
    elif kind == "rounded":  # every intermediate rounded to d decimals, on paper
        d = rng.choice((2, 3, 4))
        answers = {q: repr(round(v, d)) for q, v in lstm_answers(p, decimals=d).items()}
    elif kind == "mistake":
        wrong = lstm_answers(p, mistake=rng.choice(MISTAKES), decimals=rng.choice((None, 3, 4)))
        answers = {q: write(v) for q, v in wrong.items()}
    elif kind == "ecf":  # wrong hidden states, and the loss right from them
        hs = [float(write(right["h[1]"] + rng.uniform(0.05, 0.3))), float(write(right["h[2]"] * rng.uniform(0.2, 0.8)))]
        answers = {"h[1]": repr(hs[0]), "h[2]": repr(hs[1]), "mse": write(mse_of(hs, p["y"]))}
    elif kind == "generic":
        answers = {q: write(v) for q, v in right.items()}
        q = rng.choice(list(answers))
        answers[q] = write(-right[q]) if rng.random() < 0.5 else write(right[q] * 10.0 ** rng.choice((-1, 1, 2)))
    elif kind == "missing":
        answers = {q: write(v) for q, v in right.items()}
        for q in rng.sample(list(answers), rng.choice((1, 2, 3))):
            if rng.random() < 0.7:
                del answers[q]
            else:
                answers[q] = ""  # `h[2]:` with nothing after it
    elif kind == "invalid":
        answers = {q: write(v) for q, v in right.items()}
        answers[rng.choice(list(answers))] = rng.choice(('"about 0.2"', "[0.1, 0.2]", "true", "'1e-3'"))
    elif kind == "nested":
        answers = {q: write(v) for q, v in right.items()}
        return _document(student, answers, nested=True)
    else:
        raise ValueError(kind)
    return _document(student, answers, nested=rng.random() < 0.1)


def write_submissions(folder: str, count: int, seed: int = 8) -> Counter:
    """``count`` submissions s00000.yaml ... in ``folder``; returns how many of each kind."""
    with open(P4, encoding="utf-8") as handle:
        p = yaml.safe_load(handle)
    rng = random.Random(seed)
    kinds = [k for k, share in MIX.items() for _ in range(share)]
    made: Counter = Counter()
    os.makedirs(folder, exist_ok=True)
    for n in range(count):
        kind = rng.choice(kinds)
        made[kind] += 1
        with open(os.path.join(folder, f"s{n:05d}.yaml"), "w", encoding="utf-8") as handle:
            handle.write(submission_text(n, kind, p, rng))
    return made


# ----------------------------------------------------------------- big LSTM problems
def _matrix(rng: np.random.Generator, rows: int, cols: int | None, scale: float) -> str:
    values = rng.uniform(-scale, scale, size=(rows,) if cols is None else (rows, cols)).round(3)
    return yaml.safe_dump(values.tolist(), default_flow_style=True, width=1 << 30).strip()


def lstm_problem_text(T: int, H: int, D: int = 8, seed: int = 0) -> str:
    """An lstm-forward problem with T steps, hidden size H and input size D (default ask: every h[t])."""
    rng = np.random.default_rng(seed)
    scale_w, scale_u = 1 / np.sqrt(D), 1 / np.sqrt(H)
    lines = [f"id: lstm_T{T}_H{H}", f"title: LSTM forward, T = {T}, H = {H}, D = {D}", "solver: lstm-forward"]
    for key, cols, scale in (("W", D, scale_w), ("U", H, scale_u), ("b", None, 0.1)):
        lines.append(f"{key}:")
        for g in "fico":
            lines.append(f"  {g}: {_matrix(rng, H, cols, scale)}")
    lines.append(f"x: {_matrix(rng, T, D, 1.0)}")
    lines.append(f"h0: {_matrix(rng, H, None, 0.1)}")
    lines.append(f"c0: {_matrix(rng, H, None, 0.1)}")
    return "\n".join(lines) + "\n"


def bptt_problem_text(T: int, H: int, D: int = 8, seed: int = 0) -> str:
    """An rnn-bptt problem with T steps, hidden size H and input size D: tanh, squared mean loss on h[t]
    (no output layer), targets for every h[t]; the default ask (loss, dW_h, dW_x, db, dh[0])."""
    rng = np.random.default_rng(seed)
    lines = [f"id: bptt_T{T}_H{H}", f"title: RNN BPTT, T = {T}, H = {H}, D = {D}", "solver: rnn-bptt", "activation: tanh"]
    lines.append(f"W_h: {_matrix(rng, H, H, 1 / np.sqrt(H))}")
    lines.append(f"W_x: {_matrix(rng, H, D, 1 / np.sqrt(D))}")
    lines.append(f"b: {_matrix(rng, H, None, 0.1)}")
    lines.append(f"x: {_matrix(rng, T, D, 1.0)}")
    lines.append(f"h0: {_matrix(rng, H, None, 0.1)}")
    lines.append(f"y: {_matrix(rng, T, H, 0.5)}")
    lines.append("loss: {kind: squared, reduction: mean}")
    return "\n".join(lines) + "\n"


def write_bptt_problem(path: str, T: int, H: int, D: int = 8) -> str:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(bptt_problem_text(T, H, D))
    return path


def write_lstm_problem(path: str, T: int, H: int, D: int = 8) -> str:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(lstm_problem_text(T, H, D))
    return path


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "submissions":
        print(dict(write_submissions(sys.argv[2], int(sys.argv[3]))))
    elif len(sys.argv) >= 5 and sys.argv[1] in ("lstm", "bptt"):
        write = write_lstm_problem if sys.argv[1] == "lstm" else write_bptt_problem
        write(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 8)
    else:
        sys.exit(__doc__)
