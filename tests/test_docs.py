"""The README documents every command, every mistake id and every limit (checked, not hoped)."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from lstmhw import limits
from lstmhw.mistakes import GENERIC_IDS, catalog

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    import typer.main

    from lstmhw.cli import app

    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_there_are_commands_to_document():
    assert {"solve", "grade", "check", "new", "variant", "adam", "rnn-gradient", "lstm-forward", "mse"} <= set(_commands())


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_in_the_readme(command):
    assert re.search(rf"lstmhw {re.escape(command)}\b", README), f"README never shows `lstmhw {command}`"


@pytest.mark.parametrize("mistake", sorted({m.id for m in catalog()} | set(GENERIC_IDS)))
def test_every_mistake_id_is_in_the_readme(mistake):
    assert f"`{mistake}`" in README


@pytest.mark.parametrize("name", sorted(n for n in vars(limits) if n.startswith("MAX_")))
def test_every_limit_is_in_the_readme(name):
    row = next((line for line in README.splitlines() if f"`{name}`" in line), None)
    assert row is not None, f"{name} is not in the README's limits table"
    value = getattr(limits, name)
    # the README writes 400,000, 16 MiB or 10¹⁵; each must say the constant's value
    spelled = {f"{value:,}", f"{value // (1024 * 1024)} MiB" if value % (1024 * 1024) == 0 else None}
    if value == 10**15:
        spelled.add("10¹⁵")
    assert any(s and s in row for s in spelled), (name, value, row)
