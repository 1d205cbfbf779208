"""`lstmhw template`: the submission skeleton and its JSON Schema.

A template is filled the way a student fills it: parsed, each `~` replaced by
the key's value (from the solver, at full precision), written back, and graded by
`lstmhw grade`, which must give full marks. The names it offers are checked
against `solve --format json` (the names the grader reads, SPEC §3).
"""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml
from conftest import PROBLEMS, ROOT, one_error_line, run_cli
from test_handout import FILES, IDS, leaks, sheets_of

from lstmhw.template import yaml_key

EXAMPLES = ROOT / "examples"


def template(*args: str) -> str:
    result = run_cli("template", *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def solved(*paths: str) -> dict[str, dict]:
    """The key's values and step names, as `solve --format json` prints them."""
    result = run_cli("solve", *paths, "--format", "json")
    assert result.returncode == 0, result.stderr
    return {p["id"]: p for p in json.loads(result.stdout)["problems"]}


def fill(text: str, values: dict[str, dict], one_problem: str | None = None) -> dict:
    data = yaml.safe_load(text)
    answers = data["answers"]
    groups = {one_problem: answers} if one_problem else answers
    for pid, group in groups.items():
        for name in group:
            group[name] = values[pid]["quantities"][name]
    return data


def grade(tmp_path, key: str, data: dict, *extra: str) -> dict:
    path = tmp_path / "filled.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = run_cli("grade", key, str(path), "--format", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def scores(report: dict) -> tuple[float, float]:
    (row,) = report if isinstance(report, list) else report.get("submissions", report.get("results"))
    return row["score"], row["max_score"]


# ------------------------------------------------------------------ skeleton
def test_template_of_the_bundled_key_is_block_style_with_empty_answers():
    text = template(str(PROBLEMS))
    data = yaml.safe_load(text)
    assert data["student"] is None and data["variant"] is None
    assert list(data["answers"]) == ["p1", "p2", "p3", "p4"]
    assert data["answers"]["p4"] == {"h[1]": None, "h[2]": None, "mse": None}
    assert data["answers"]["p3"] == {q: None for q in "abcde"}
    assert "{" not in text.split("answers:", 1)[1]  # block style: no flow mapping to quote keys in
    # Each asked quantity with its formula and shape, as the homework writes them.
    assert re.search(r"^    h\[2\]: ~ +# h\[2\] = o\[2\]⊙tanh\(c\[2\]\), a number$", text, re.M)
    assert re.search(r"^    W\[2\]: ~ +# W\[2\] = W\[1\] − 0\.1·V_corr\[2\] / \(√S_corr\[2\] \+ 1e-08\), a 2×3 matrix$", text, re.M)
    assert re.search(r"^    d: ~ +# “f\[t\], i\[t\], o\[t\] sum to 1”: true or false$", text, re.M)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_template_shows_no_key_value(path):
    (sheet,) = sheets_of(path)
    text = template(str(path), "--working")
    assert leaks(sheet, text) == []
    assert "true" not in text.split("answers:", 1)[1].replace("true or false", "")


def test_filled_template_of_the_bundled_key_grades_full_marks(tmp_path):
    data = fill(template(str(PROBLEMS)), solved(str(PROBLEMS)))
    report = grade(tmp_path, str(PROBLEMS), data)
    score, top = scores(report)
    assert top == 15 and score == top  # 3 + 4 + 5 + 3 asked quantities, 1 point each


def test_filled_template_of_one_problem_is_a_flat_map_and_grades_full_marks(tmp_path):
    key = str(EXAMPLES / "gru-forward.yaml")
    text = template(key, "--student", "ada")
    data = yaml.safe_load(text)
    assert data["student"] == "ada" and "gru-exam" not in data["answers"]
    report = grade(tmp_path, key, fill(text, solved(key), one_problem="gru-exam"))
    assert scores(report) == (5, 5)


def test_working_names_are_the_steps_solve_prints_and_grade_reads(tmp_path):
    key = str(PROBLEMS / "p4.yaml")
    text = template(key, "--working")
    # The working keys are commented out: uncommented, they are every step that is not given or asked.
    uncommented = re.sub(r"^  # (?=\S+:\s+~)", "  ", text, flags=re.M)
    data = yaml.safe_load(uncommented)
    steps = [s["name"] for s in solved(key)["p4"]["steps"] if s["formula"] != "given"]
    assert list(data["answers"]) == ["h[1]", "h[2]", "mse"] + [s for s in steps if s not in ("h[1]", "h[2]", "mse")]
    assert yaml.safe_load(text)["answers"] == {"h[1]": None, "h[2]": None, "mse": None}
    report = grade(tmp_path, key, fill(uncommented, solved(key), one_problem="p4"))
    assert scores(report) == (3, 3)


def test_filled_variant_template_grades_against_that_variant(tmp_path):
    text = template(str(PROBLEMS / "p4.yaml"), "--variant", "7")
    assert yaml.safe_load(text)["variant"] == 7
    # The key's values for variant 7, by another road: the variant file `lstmhw variant` prints, solved.
    drawn = run_cli("variant", str(PROBLEMS / "p4.yaml"), "--seed", "7").stdout
    (tmp_path / "v7.yaml").write_text(drawn, encoding="utf-8")
    values = solved(str(tmp_path / "v7.yaml"))
    report = grade(tmp_path, str(PROBLEMS / "p4.yaml"), fill(text, {"p4": values["p4-v7"]}, one_problem="p4"))
    assert scores(report) == (3, 3)
    # The original's values are wrong for variant 7.
    original = fill(text, solved(str(PROBLEMS / "p4.yaml")), one_problem="p4")
    assert scores(grade(tmp_path, str(PROBLEMS / "p4.yaml"), original))[0] < 3


@pytest.mark.parametrize("name", ["h[1]", "V_corr[2]", "g[dW]", "a", "mse"])
def test_bracketed_names_stay_plain_keys(name):
    assert yaml_key(name) == name
    assert yaml.safe_load(f"{yaml_key(name)}: ~") == {name: None}


@pytest.mark.parametrize("name", ["y", "n", "on", "no", "1", "1e-3", "a: b", "#x", "[1]", "null", "x #y"])
def test_names_yaml_would_misread_are_quoted(name):
    key = yaml_key(name)
    assert key != name
    assert yaml.safe_load(f"{key}: ~") == {name: None}


def test_claim_labels_yaml_reads_as_booleans_are_quoted_and_graded(tmp_path, write):
    text = (PROBLEMS / "p3.yaml").read_text().replace("  a: zero", "  y: zero").replace("  b: forget", '  "on": forget')
    key = write("claims.yaml", text.replace("ask: [a, b, c, d, e]", 'ask: ["y", "on", c, d, e]'))
    filled = template(key)
    assert re.search(r'^  "y": +~', filled, re.M) and re.search(r'^  "on": +~', filled, re.M)
    data = fill(filled, solved(key), one_problem="p3")
    assert scores(grade(tmp_path, key, data)) == (5, 5)


def test_student_name_that_needs_quoting(tmp_path):
    text = template(str(PROBLEMS / "p4.yaml"), "--student", "no: 1")
    assert yaml.safe_load(text)["student"] == "no: 1"


@pytest.mark.parametrize(
    "args, expected",
    [(["--variant", "-2"], "--variant: -2, expected a whole number ≥ 0")],
)
def test_bad_flags_are_one_line(args, expected):
    assert one_error_line(run_cli("template", str(PROBLEMS), *args)) == f"lstmhw: {expected}"


def test_bad_key_is_one_line(write):
    path = write("bad.yaml", "solver: lstm-forward\nW: 1\n")
    assert "bad.yaml" in one_error_line(run_cli("template", path))


# ------------------------------------------------------------------- schema
def schema_of(*args: str) -> dict:
    schema = json.loads(template(*args, "--schema"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return schema


def errors(schema: dict, data: dict) -> list[str]:
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]


def test_schema_validates_the_filled_template_and_the_empty_one():
    schema = schema_of(str(PROBLEMS))
    text = template(str(PROBLEMS))
    assert errors(schema, yaml.safe_load(text)) == []
    assert errors(schema, fill(text, solved(str(PROBLEMS)))) == []


def test_schema_rejects_a_misspelled_name():
    schema = schema_of(str(PROBLEMS))
    data = fill(template(str(PROBLEMS)), solved(str(PROBLEMS)))
    data["answers"]["p4"]["h[l]"] = data["answers"]["p4"].pop("h[1]")
    found = errors(schema, data)
    assert len(found) == 1 and "'h[l]' was unexpected" in found[0]
    data["answers"]["P5"] = {}
    assert any("'P5' was unexpected" in e for e in errors(schema, data))


def test_schema_knows_shapes_and_the_forms_an_answer_may_take():
    schema = schema_of(str(PROBLEMS))
    base = yaml.safe_load(template(str(PROBLEMS)))

    def check(pid: str, name: str, answer) -> list[str]:
        data = json.loads(json.dumps(base))
        data["answers"][pid][name] = answer
        return errors(schema, data)

    # SPEC §4.1: numbers, numbers as text, fractions, rows, flat row-major lists, MATLAB rows
    for good in (0.2174, "0.2174", "−0.22", "1/4", [0.2174], None):
        assert check("p4", "h[1]", good) == [], good
    for good in ([[1, 2, 3], [4, 5, 6]], [1, 2, 3, 4, 5, 6], "1 2 3; 4 5 6", ["1 2 3", "4 5 6"]):
        assert check("p1", "W[2]", good) == [], good
    for good in (True, "F", "false, because the gates are separate sigmoids", 0):
        assert check("p3", "a", good) == [], good
    # the wrong shape, a word for a number, a mapping
    for bad in ([[1, 2], [3, 4]], [1, 2, 3], "abc", {"x": 1}):
        assert check("p1", "W[2]", bad) != [], bad
    assert check("p4", "h[1]", "about 0.2") != []
    assert errors(schema, {**base, "hiden": 1}) != []


def test_schema_of_one_problem_is_flat_and_allows_working_names():
    schema = schema_of(str(PROBLEMS / "p4.yaml"))
    answers = schema["properties"]["answers"]
    assert answers["additionalProperties"] is False
    assert list(answers["properties"])[:3] == ["h[1]", "h[2]", "mse"]
    assert "f[1]" in answers["properties"] and "working" in answers["properties"]["f[1]"]["description"]
    assert "h[0]" not in answers["properties"]  # a given is not an answer
    assert errors(schema, {"answers": {"f[1]": 0.23, "h[1]": 0.2174}}) == []
    assert errors(schema, {"answers": {"f1x": 0.23}}) != []


def test_schema_of_a_variant_names_it():
    schema = schema_of(str(PROBLEMS / "p4.yaml"), "--variant", "4")
    assert schema["properties"]["variant"] == {"const": 4}
