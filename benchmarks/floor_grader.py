"""The tolerance-only floor (b) of ``make bench``: the least a grader of these submissions must do.

A plain grader written for the benchmark, not with lstmhw: each file read
with PyYAML's C loader (``CSafeLoader``, libyaml), each answer of problem p4
(flat, or under ``p4:``) checked against the key with one NumPy tolerance test
``|a − r| ≤ atol + rtol·|r|``, and one csv row per file written to stdout.
No hand rounding, no error carried forward, no diagnosis, no written
precision, no variants: what lstmhw does beyond this is what its ratio to the
floor pays for.

The key is the p4 answers of ``generate.lstm_answers`` (an independent NumPy
LSTM), computed once at start-up, as lstmhw solves its key once.

    python benchmarks/floor_grader.py FILES...
"""

from __future__ import annotations

import csv
import os
import sys

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import generate  # noqa: E402  (benchmarks/generate.py)

RTOL, ATOL = 0.01, 0.0  # p4's tolerance (lstmhw's defaults)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def key() -> tuple[list[str], np.ndarray]:
    with open(generate.P4, encoding="utf-8") as handle:
        p = yaml.safe_load(handle)
    answers = generate.lstm_answers(p)
    asked = list(p["ask"])
    return asked, np.array([answers[q] for q in asked], dtype=float)


def grade(path: str, asked: list[str], expected: np.ndarray) -> list[object]:
    """One csv row: student, file, status, score (one point per answer within the tolerance), error."""
    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        with open(path, encoding="utf-8") as handle:
            doc = yaml.load(handle, Loader=LOADER)  # noqa: S506  (CSafeLoader: safe)
    except (OSError, yaml.YAMLError) as exc:
        return [stem, path, "error", 0, type(exc).__name__]
    if not isinstance(doc, dict) or not isinstance(doc.get("answers"), dict):
        return [stem, path, "error", 0, "no answers"]
    answers = doc["answers"]
    if isinstance(answers.get("p4"), dict):
        answers = answers["p4"]
    given = np.full(len(asked), np.nan)
    for n, q in enumerate(asked):
        value = answers.get(q)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            given[n] = value
    ok = np.abs(given - expected) <= ATOL + RTOL * np.abs(expected)  # nan (missing, not a number): not ok
    return [doc.get("student") or stem, path, "graded", int(ok.sum()), ""]


def main(paths: list[str]) -> None:
    asked, expected = key()
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["student", "file", "status", "p4", "error"])
    for path in paths:
        writer.writerow(grade(path, asked, expected))


if __name__ == "__main__":
    main(sys.argv[1:])
