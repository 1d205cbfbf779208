"""``--format json``: one document, full precision (SPEC §3)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lstmhw.render.values import jsonable
from lstmhw.trace import Trace


def trace_data(trace: Trace) -> dict[str, Any]:
    steps = list(trace)
    return {
        "id": trace.problem_id,
        "title": trace.title,
        "solver": trace.solver,
        "asked": list(trace.asked),
        "quantities": {s.name: jsonable(s.value) for s in steps},
        "steps": [
            {
                "name": s.name,
                "formula": s.formula,
                "latex": s.latex,
                "inputs": list(s.inputs),
                "value": jsonable(s.value),
                "given": s.given,
                "group": s.group,
                **({"note": s.note} if s.note else {}),
            }
            for s in steps
        ],
    }


def dumps(data: Any) -> str:
    # allow_nan=False: a NaN would make invalid JSON; it is a bug upstream, not output.
    return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=2) + "\n"


def render_traces(traces: Sequence[Trace]) -> str:
    return dumps({"problems": [trace_data(t) for t in traces]})
