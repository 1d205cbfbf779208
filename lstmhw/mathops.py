"""Elementwise functions shared by the solvers, stable for any finite input."""

from __future__ import annotations

import math

import numpy as np

_FLOAT64 = np.dtype(float)


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """σ(z) = 1/(1+e^−z), computed without overflow: e^−|z| never exceeds 1."""
    if type(z) is np.ndarray and z.size == 1 and z.ndim and z.dtype is _FLOAT64:
        x = z.item()  # one number (hidden size 1): the same value in a tenth of the time
        if math.isfinite(x):
            # np.exp of a Python float runs the same float64 loop as on an array; + and / are
            # IEEE in plain floats too, and 1 + e >= 1 cannot divide by zero or overflow.
            e = float(np.exp(-abs(x)))
            return np.array(1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e), ndmin=z.ndim)
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(z: np.ndarray | float) -> np.ndarray:
    return np.tanh(np.asarray(z, dtype=float))


def identity(z: np.ndarray | float) -> np.ndarray:
    return np.asarray(z, dtype=float)
