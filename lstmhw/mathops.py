"""Elementwise functions shared by the solvers, stable for any finite input."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """σ(z) = 1/(1+e^−z), computed without overflow: e^−|z| never exceeds 1."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(z: np.ndarray | float) -> np.ndarray:
    return np.tanh(np.asarray(z, dtype=float))


def identity(z: np.ndarray | float) -> np.ndarray:
    return np.asarray(z, dtype=float)
