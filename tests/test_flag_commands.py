"""The commands made from a table of flags (lstmhw.flag_commands): each table names keys its solver
reads, lists its flags in --help in its own order, and a table is all a command needs."""

from __future__ import annotations

import re

import pytest
import typer
from conftest import invoke
from typer.testing import CliRunner

from lstmhw import cli
from lstmhw.flag_commands import FLAG_COMMANDS, NUMBER, SWITCH, FlagCommand, number, word
from lstmhw.solvers import SOLVERS, solver_module


@pytest.mark.parametrize("spec", FLAG_COMMANDS, ids=lambda s: s.name)
def test_every_flag_sets_a_key_its_solver_reads(spec):
    assert spec.name in SOLVERS
    module = solver_module(spec.name)
    for flag in spec.flags:
        assert flag.key in module.KEYS, f"{spec.name}: {flag.flag} sets {flag.key!r}, not one of {module.KEYS}"
    for alias, meant in spec.synonyms.items():
        assert meant in {flag.flag for flag in spec.flags}, f"{spec.name}: {alias} points at {meant}, not a flag"


@pytest.mark.parametrize("spec", FLAG_COMMANDS, ids=lambda s: s.name)
def test_help_lists_the_flags_of_the_table_in_its_order_then_the_output_flags(spec):
    result = invoke(spec.name, "--help")
    assert result.exit_code == 0
    listed = re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", result.stdout, flags=re.MULTILINE)
    assert listed == [f.flag for f in spec.flags] + ["--format", "--digits", "--out", "--help"]
    for flag in spec.flags:  # each flag's help is its table's (Typer wraps long lines)
        assert " ".join(flag.help.split()[:3]) in " ".join(result.stdout.split())
    switches = [f for f in spec.flags if f.kind == SWITCH]
    for flag in switches:  # an on/off flag takes no value
        assert re.search(rf"^\s+{re.escape(flag.flag)}\s{{2,}}\S", result.stdout, flags=re.MULTILINE), flag.flag


def test_a_table_defined_here_is_a_working_command_like_the_written_one():
    # mse's command is written out in lstmhw/cli.py; the same flags as a table must solve alike.
    table = FlagCommand(
        "mse",
        "Mean squared error, from a table.",
        (number("pred", "Predictions."), number("y", "Targets."), word("reduction", "mean | sum | half-sum")),
        {},
    )
    app = typer.Typer()
    app.command("mse")(cli.guarded(cli._FlagCommand(table)))
    app.command("other")(lambda: None)  # two commands: Typer then expects the command's name first
    args = ["--pred", "0.2 -0.1", "--y", "0.5 0.3", "--reduction", "sum", "--format", "json"]
    made = CliRunner().invoke(app, ["mse", *args])
    written = invoke("mse", *args)
    assert made.exit_code == written.exit_code == 0, made.stdout
    assert made.stdout == written.stdout
    assert [f.kind for f in table.flags] == [NUMBER, NUMBER, "word"]
    bad = CliRunner().invoke(app, ["mse", "--pred", "0.2 x", "--y", "0.5"])
    assert bad.exit_code == 2
    assert "--pred" in bad.output
