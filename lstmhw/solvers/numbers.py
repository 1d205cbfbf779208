"""Numbers written into a step's formula, as text and as LaTeX (shared by the solvers)."""

from __future__ import annotations


def num(x: float, spec: str = "g") -> str:
    """``0.9``, ``1e-08``: a hyper-parameter as the formula's text shows it."""
    return format(x, spec)


def tex_num(x: float, spec: str = "g") -> str:
    """The same number in LaTeX: ``1e-08`` as ``10^{-8}``, ``2.5e-05`` as ``2.5 \\cdot 10^{-5}``."""
    text = format(x, spec)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else rf"{mantissa} \cdot {power}"
