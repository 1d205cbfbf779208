"""The plain LSTM the tests compare lstmhw with: written from the homework's equations, not from lstmhw.

Python floats and ``math``, one element at a time, so it shares nothing with the
NumPy code it checks.  It makes each of lstm-forward's mistakes the way a student
makes it on paper, and rounds every value a student writes down when asked to.
"""

from __future__ import annotations

import math
from typing import Any

LSTM_MISTAKES = (
    "sigmoid-sign-flipped", "tanh-for-gate", "sigmoid-for-candidate", "h-without-tanh",
    "recurrent-term-dropped", "bias-dropped", "f-i-swapped", "wrong-reduction",
)


def _rows(m: Any) -> list[list[float]]:
    """A matrix as rows: a number is 1×1, a flat list is one row."""
    if not isinstance(m, list):
        return [[float(m)]]
    return [list(map(float, r)) for r in m] if isinstance(m[0], list) else [list(map(float, m))]


def _vector(v: Any) -> list[float]:
    if not isinstance(v, list):
        return [float(v)]
    return [float(x[0]) if isinstance(x, list) else float(x) for x in v]


def plain_lstm(
    p: dict, mistake: str | None = None, decimals: int | None = None, working: bool = False, slips: dict | None = None
) -> dict[str, Any]:
    """h[t] and the loss of an lstm-forward problem ``p`` (a dict as in its YAML file).

    ``mistake``: one of :data:`LSTM_MISTAKES`, made by hand. ``decimals``: every value
    written down (z, f, i, o, c̃, c, tanh(c), h, err, squared error, loss) rounded as on
    paper, to at least two significant figures (SPEC §4.2 (c)).
    ``working``: also every intermediate step, under lstmhw's step names. Vectors are
    lists of H floats; the loss is a float.  ``slips``: {step name: amount} added to that
    step's value (f[t], i[t], o[t], c_tilde[t], c[t], h[t]) where it is computed, everything
    after it computed from the slipped value, as a student's arithmetic slip carries on.
    """
    slips = slips or {}

    def slip(name: str, values: list[float]) -> list[float]:
        return [v + slips[name] for v in values] if name in slips else values

    assert mistake in (None, *LSTM_MISTAKES), mistake

    def r(v: float) -> float:
        """As written on paper: to ``decimals`` decimals, but never fewer than two significant figures."""
        if decimals is None or v == 0:
            return v
        return round(v, max(decimals, 1 - math.floor(math.log10(abs(v)))))

    exp_sign = 1 if mistake == "sigmoid-sign-flipped" else -1
    sigma = lambda z: 1 / (1 + math.exp(exp_sign * z))  # noqa: E731
    gate = math.tanh if mistake == "tanh-for-gate" else sigma
    candidate = (lambda z: 1 / (1 + math.exp(-z))) if mistake == "sigmoid-for-candidate" else math.tanh
    W = {g: _rows(p["W"][g]) for g in "fioc"}
    U = {g: _rows(p["U"][g]) for g in "fioc"}
    b = {g: _vector(p["b"][g]) for g in "fioc"}
    H = len(b["f"])
    h = _vector(p.get("h0", [0.0] * H))
    c = _vector(p.get("c0", [0.0] * H))
    xs = [_vector(x) if isinstance(x, list) else [float(x)] for x in p["x"]]
    out: dict[str, Any] = {}
    for t, x in enumerate(xs, start=1):
        z = {}
        for g in "fioc":
            z[g] = []
            for row in range(H):
                total = sum(W[g][row][k] * x[k] for k in range(len(x)))
                if mistake != "recurrent-term-dropped":
                    total += sum(U[g][row][k] * h[k] for k in range(H))
                if mistake != "bias-dropped":
                    total += b[g][row]
                z[g].append(r(total))
        f, i, o = (slip(f"{g}[{t}]", [r(gate(v)) for v in z[g]]) for g in "fio")
        c_tilde = slip(f"c_tilde[{t}]", [r(candidate(v)) for v in z["c"]])
        if mistake == "f-i-swapped":
            c = [r(i[k] * c[k] + f[k] * c_tilde[k]) for k in range(H)]
        else:
            c = [r(f[k] * c[k] + i[k] * c_tilde[k]) for k in range(H)]
        c = slip(f"c[{t}]", c)
        # tanh(c[t]) is written down (so rounded) before it is multiplied by o[t]
        h = slip(f"h[{t}]", [r(o[k] * (c[k] if mistake == "h-without-tanh" else r(math.tanh(c[k])))) for k in range(H)])
        if working:
            out.update({f"z_{g}[{t}]": z[g] for g in "fioc"})
            out.update({f"f[{t}]": f, f"i[{t}]": i, f"o[{t}]": o, f"c_tilde[{t}]": c_tilde, f"c[{t}]": c})
        out[f"h[{t}]"] = h
    if "y" in p:
        ys = [_vector(y) if isinstance(y, list) else [float(y)] for y in p["y"]]
        squares = [r(r(out[f"h[{t}]"][k] - ys[t - 1][k]) ** 2) for t in range(1, len(xs) + 1) for k in range(H)]
        reduction = p.get("loss", {}).get("reduction", "mean")
        if mistake == "wrong-reduction":  # the student used another reduction than the one asked
            reduction = {"mean": "sum", "sum": "half-sum", "half-sum": "mean"}[reduction]
        total = sum(squares)
        out["mse"] = r({"mean": total / len(squares), "sum": total, "half-sum": total / 2}[reduction])
    return out


def scalars(out: dict[str, Any]) -> dict[str, Any]:
    """``plain_lstm``'s output with every one-element vector as its number (H = 1 answers)."""
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in out.items()}
