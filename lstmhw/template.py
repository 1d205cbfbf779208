"""``lstmhw template``: a submission skeleton for students, and its JSON Schema.

The skeleton is the submission format of SPEC §4, in block style: ``student``,
``variant`` and under ``answers`` every asked quantity as ``~`` (no answer yet),
with a comment giving its formula and shape. It is built from the names, shapes
and formulas of :mod:`lstmhw.sheet`, never from a value. With ``working``, the
steps that are not asked follow as commented-out keys, the working a student
may show under the names ``solve`` prints (SPEC §4.4).

Keys are written plain (``h[1]: ~`` reads as the key ``h[1]`` in block style)
unless the YAML reader would read them otherwise (``y``, ``on``, ``1``), then quoted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lstmhw.sheet import Asked, SheetProblem, asked
from lstmhw.sheet import working as working_steps

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"
# A number written as text: 0.25, -.1899, 2.5e-1, a Unicode minus, a fraction 1/4 (SPEC §4.1).
_DECIMAL = r"[-+\u2212]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+\u2212]?\d+)?"
NUMBER_TEXT = rf"^\s*{_DECIMAL}(?:\s*/\s*{_DECIMAL})?\s*$"
# MATLAB rows, "0.1 0.2; 0.3 0.4" (also one row of a matrix written inside a YAML list).
ROWS_TEXT = r"^[\s0-9eE.+\-\u2212/,;\[\]]+$"


# Words some YAML reader takes for a boolean or null (YAML 1.1, as PyYAML; y/n as the 1.1 spec has them).
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def yaml_key(name: str) -> str:
    """``name`` as a block-style YAML key that reads back as exactly that text, with lstmhw's reader
    and with PyYAML's (what an editor's YAML server may use): plain where it can, else quoted."""
    import yaml

    from lstmhw.problem import as_number
    from lstmhw.yamlio import parse_yaml

    # A number (1e-3 is text to YAML 1.1 but a number to YAML 1.2) or a word: always quoted.
    if name.lower() not in _YAML_WORDS and as_number(name) is None:
        try:
            ours = parse_yaml(f"{name}: ~\n", "key").data
            theirs = yaml.safe_load(f"{name}: ~\n")
        except Exception:  # not a plain scalar at all (": ", "#", a leading "[" or "*")
            ours = theirs = None
        if ours == theirs == {name: None}:
            return name
    return json.dumps(name, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def comment(item: Asked) -> str:
    """What a quantity is: ``h[2] = o[2]⊙tanh(c[2]), a number``; a claim in its own words."""
    if item.question:
        return f"“{item.question}”: {item.shape_text}"
    if item.formula and item.formula != "given":
        return f"{item.name} = {item.formula}, {item.shape_text}"
    return f"{item.name}: {item.shape_text}"


def _lines(items: Sequence[Asked], indent: str, commented: bool) -> list[str]:
    keys = [yaml_key(item.name) for item in items]
    width = max((len(k) for k in keys), default=0)
    out = []
    for key, item in zip(keys, items, strict=True):
        line = f"{key}:".ljust(width + 1) + f" ~   # {comment(item)}"
        out.append(f"{indent}# {line}" if commented else f"{indent}{line}")
    return out


HEADER = """\
# Your answers{whose}, written by `lstmhw template`.
# Replace each ~ with your answer; leave ~ where you have none.
#   a number: 1.25 (your digits count: write at least two significant figures), or 1/4
#   a vector or matrix: [0.1, 0.2] or rows [[0.1, 0.2], [0.3, 0.4]] (or "0.1 0.2; 0.3 0.4")
#   true/false: true, false, T, F (a reason may follow: "false, because ...")
"""


def template_yaml(
    sheets: Sequence[SheetProblem], *, variant: int | None = None, student: str | None = None, working: bool = False
) -> str:
    """The skeleton: one problem's answers as a flat map, several problems' by problem id (SPEC §4)."""
    ids = ", ".join(s.id for s in sheets)
    lines = HEADER.format(whose=f" to {ids}" + (f", variant {variant}" if variant is not None else "")).splitlines()
    if working:
        lines.append("# Working: the steps after `# working` may be answered too (remove the '# '); they earn no")
        lines.append("# points, but a mistake in them is found and later answers are judged from them.")
    name = yaml_key(student) if student else "~"
    lines.append(f"student: {name}" + ("" if student else "   # your name or id (~: the file's name)"))
    if variant is None:
        lines.append("variant: ~   # ~: the original problems; your variant's number if you were given one")
    else:
        lines.append(f"variant: {variant}")
    lines.append("answers:")
    nested = len(sheets) != 1
    for sheet in sheets:
        indent = "    " if nested else "  "
        if nested:
            lines.append(f"  {yaml_key(sheet.id)}:")
        lines += _lines(asked(sheet.problem, sheet.trace), indent, commented=False)
        if working:
            steps = working_steps(sheet.problem, sheet.trace)
            if steps:
                lines.append(f"{indent}# working (optional)")
                lines += _lines(steps, indent, commented=True)
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------- schema
def _number() -> dict[str, Any]:
    return {"anyOf": [{"type": "number"}, {"type": "string", "pattern": NUMBER_TEXT}]}


def _array(length: int, items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "minItems": length, "maxItems": length, "items": items}


def quantity_schema(item: Asked) -> dict[str, Any]:
    """What an answer to ``item`` may be (SPEC §4.1), for an editor: the shape is checked where it
    can be; ``null`` (``~``) is no answer."""
    if item.kind == "boolean":
        options: list[dict[str, Any]] = [{"type": "boolean"}, {"type": "string"}, {"enum": [0, 1]}]
    elif item.kind == "word":
        options = [{"type": "string"}]
    elif item.kind == "number":
        options = [_number(), _array(1, _number()), _array(1, _array(1, _number()))]
    elif item.kind == "vector":
        (n,) = item.shape
        options = [_array(n, _number()), _array(1, _array(n, _number())), _array(n, _array(1, _number()))]
        options.append({"type": "string", "pattern": ROWS_TEXT})
    else:
        rows, cols = item.shape
        options = [
            _array(rows, _array(cols, _number())),
            _array(rows * cols, _number()),  # row-major, as the grader reads it
            _array(rows, {"type": "string", "pattern": ROWS_TEXT}),  # MATLAB rows inside a YAML list
            {"type": "string", "pattern": ROWS_TEXT},
        ]
    return {"description": comment(item), "anyOf": [*options, {"type": "null"}]}


def _answers_schema(sheet: SheetProblem) -> dict[str, Any]:
    properties = {item.name: quantity_schema(item) for item in asked(sheet.problem, sheet.trace)}
    for item in working_steps(sheet.problem, sheet.trace):
        entry = quantity_schema(item)
        entry["description"] = "working (optional, no points): " + entry["description"]
        properties[item.name] = entry
    title = sheet.problem.title or sheet.id
    return {"type": "object", "title": title, "properties": properties, "additionalProperties": False}


def template_schema(sheets: Sequence[SheetProblem], variant: int | None = None) -> str:
    """The JSON Schema (draft 2020-12) of the submission :func:`template_yaml` writes: every asked
    quantity and working step a property, any other name an error (``additionalProperties``)."""
    if len(sheets) == 1:
        answers = _answers_schema(sheets[0])
    else:
        answers = {
            "type": "object",
            "properties": {s.id: _answers_schema(s) for s in sheets},
            "additionalProperties": False,
        }
    variant_schema: dict[str, Any] = (
        {"const": variant} if variant is not None else {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]}
    )
    schema = {
        "$schema": SCHEMA_DRAFT,
        "title": "lstmhw submission: " + ", ".join(s.id for s in sheets),
        "type": "object",
        "properties": {
            "student": {"description": "your name or id (null: the file's name)", "type": ["string", "number", "null"]},
            "variant": variant_schema,
            "answers": answers,
        },
        "required": ["answers"],
        "additionalProperties": False,
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
