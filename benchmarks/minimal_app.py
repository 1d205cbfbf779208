"""The baseline for ``lstmhw --help``: the smallest Typer app shaped like lstmhw's.

Two commands (Typer shows a command list only with more than one), an option
each, the same ``Typer(...)`` settings as ``lstmhw/cli.py`` and nothing else:
``python benchmarks/minimal_app.py --help`` is what any Typer CLI pays to
print its help on this machine.
"""

from typing import Annotated

import typer

app = typer.Typer(
    name="minimal",
    help="A minimal Typer app: the baseline for `lstmhw --help`.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command()
def solve(path: Annotated[str, typer.Argument(help="A file.")], fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """Solve a file."""
    print(path, fmt)


@app.command()
def grade(key: Annotated[str, typer.Argument(help="A key.")], fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """Grade against a key."""
    print(key, fmt)


if __name__ == "__main__":
    app()
