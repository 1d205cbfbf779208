"""--roster on grade (SPEC §6): variants from the roster, off-roster and missing students as rows,
the roster's columns in the csv, Canvas's gradebook import columns, and bad rosters refused."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import FIXTURES, PROBLEMS, one_error_line, run_cli

P4 = str(PROBLEMS / "p4.yaml")
SEEDS = FIXTURES / "seeds"
ABUITANO_P4 = '{"h[1]": 0.21741, "h[2]": -0.18988, mse: 0.5298}'  # seed 002's p4, right for the original key

ROSTER = """student,variant,email,sis_id,section
abuitano,3,abuitano@example.edu,1001,L01
student000,,s000@example.edu,1002,L02
carol,1,carol@example.edu,1003,L01
"""


@pytest.fixture
def klass(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    # the file says variant 5; the roster says 3, and the roster wins (SPEC §4)
    (subs / "abuitano.yaml").write_text(f"student: abuitano\nvariant: 5\nanswers: {ABUITANO_P4}\n")
    (subs / "student000.yaml").write_text("student: student000\nanswers: {\"h[1]\": 0.013, \"h[2]\": 0.005, mse: 0.435}\n")
    (subs / "mallory.yaml").write_text(f"student: mallory\nanswers: {ABUITANO_P4}\n")  # not on the roster
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    return tmp_path, subs, roster


def rows_of(text: str) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in csv.DictReader(io.StringIO(text))}


def test_variants_come_from_the_roster_and_every_student_is_a_row(klass):
    tmp_path, subs, roster = klass
    result = run_cli("grade", P4, str(subs), "--roster", str(roster), "--format", "csv")
    assert result.returncode == 1, result.stderr  # mallory's row is an error row
    lines = result.stdout.splitlines()
    assert lines[0] == "student,email,sis_id,section,file,status,variant,p4,total,max,error"
    rows = rows_of(result.stdout)
    assert set(rows) == {"abuitano", "student000", "mallory", "carol"}
    assert rows["abuitano"]["variant"] == "3" and rows["abuitano"]["status"] == "graded"
    assert rows["abuitano"]["email"] == "abuitano@example.edu" and rows["abuitano"]["sis_id"] == "1001"
    assert rows["abuitano"]["section"] == "L01"
    assert rows["student000"]["variant"] == "" and rows["student000"]["total"] == "1"  # the original key: mse by ECF
    assert rows["mallory"]["status"] == "error" and "not on the roster" in rows["mallory"]["error"]
    assert rows["mallory"]["total"] == "0" and rows["mallory"]["email"] == ""
    carol = rows["carol"]
    assert (carol["status"], carol["file"], carol["variant"], carol["total"], carol["max"]) == ("missing", "", "1", "0", "3")
    assert carol["p4"] == "" and carol["error"] == "no submission" and carol["section"] == "L01"
    assert lines[-1].startswith("carol,")  # the missing come after everyone who submitted

    # graded against variant 3 indeed: the same as the file saying variant 3 without a roster
    alone = tmp_path / "v3.yaml"
    alone.write_text(f"student: abuitano\nvariant: 3\nanswers: {ABUITANO_P4}\n")
    direct = rows_of(run_cli("grade", P4, str(alone), "--format", "csv").stdout)["abuitano"]
    assert (direct["variant"], direct["total"]) == ("3", rows["abuitano"]["total"])
    # and not against the variant the file named
    unrostered = rows_of(run_cli("grade", P4, str(subs / "abuitano.yaml"), "--format", "csv").stdout)["abuitano"]
    assert unrostered["variant"] == "5"


def test_the_json_report_carries_the_roster_and_the_missing(klass):
    _, subs, roster = klass
    result = run_cli("grade", P4, str(subs), "--roster", str(roster), "--format", "json")
    assert result.returncode == 1
    rows = {s["student"]: s for s in json.loads(result.stdout)["submissions"]}
    assert rows["abuitano"]["variant"] == 3 and rows["abuitano"]["roster"]["sis_id"] == "1001"
    assert rows["carol"]["status"] == "missing" and rows["carol"]["file"] is None and rows["carol"]["score"] == 0
    assert "roster" not in rows["mallory"]


def test_canvas_gradebook_columns(klass):
    _, subs, roster = klass
    result = run_cli("grade", P4, str(subs), "--roster", str(roster), "--format", "csv", "--lms", "canvas")
    lines = result.stdout.splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,p4"  # the assignment: the key's stem
    rows = {row["Student"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["abuitano"]["SIS User ID"] == "1001" and rows["abuitano"]["Section"] == "L01"
    assert rows["carol"]["p4"] == "0" and rows["student000"]["p4"] == "1"
    named = run_cli("grade", P4, str(subs), "--roster", str(roster), "--format", "csv", "--lms", "canvas", "--assignment", "HW 3, LSTMs")
    assert named.stdout.splitlines()[0] == 'Student,ID,SIS User ID,SIS Login ID,Section,"HW 3, LSTMs"'


def test_canvas_ids_from_the_roster(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,Variant,canvas_id,sis_login_id\nabuitano,,77,abuitano\n")  # header case as a spreadsheet writes it
    result = run_cli("grade", P4, str(SEEDS / "abuitano.yaml"), "--roster", str(roster), "--format", "csv", "--lms", "canvas")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "abuitano,77,,abuitano,,3"


@pytest.mark.parametrize(
    "text, words",
    [
        ("student,email\nabuitano,a@x.edu\n", ["roster.csv:1", "no column 'variant'"]),
        ("student,variant,sectoin\nabuitano,1,L01\n", ["roster.csv:1", "'sectoin'", "did you mean 'section'"]),
        ("student,variant\nabuitano,one\n", ["roster.csv:2", "variant: 'one'", "whole number"]),
        ("student,variant\nabuitano,-1\n", ["roster.csv:2", "variant: '-1'"]),
        ("student,variant\nabuitano,1\nbkhan,2\nAbuitano,3\n", ["roster.csv:4", "listed twice (first on line 2)"]),
        ("student,variant\nabuitano,1,extra\n", ["roster.csv:2", "3 cells, expected 2"]),
        ("", ["roster.csv", "empty"]),
    ],
    ids=["no-variant", "unknown-column", "bad-variant", "negative-variant", "duplicate", "ragged", "empty"],
)
def test_a_bad_roster_is_one_line_and_exit_2(tmp_path, text, words):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    line = one_error_line(run_cli("grade", P4, str(SEEDS / "abuitano.yaml"), "--roster", str(roster), "--format", "csv"))
    for word in words:
        assert word in line, (word, line)


def test_lms_flags_are_checked(tmp_path):
    line = one_error_line(run_cli("grade", P4, str(SEEDS / "abuitano.yaml"), "--lms", "canvas"))
    assert "--lms goes with --format csv" in line
    line = one_error_line(run_cli("grade", P4, str(SEEDS / "abuitano.yaml"), "--format", "csv", "--lms", "moodle"))
    assert "--lms: 'moodle', expected canvas" in line
    line = one_error_line(run_cli("grade", P4, str(SEEDS / "abuitano.yaml"), "--show-expected"))
    assert "--show-expected goes with --format gradescope" in line
