"""The ``lstmhw`` command line: parse flags, call the library, map errors to exit codes.

Start-up is a feature: shell scripts call lstmhw once per student.  This module
imports only Typer (which loads neither click's rich help nor anything else
heavy until needed) and the standard library; numpy, yaml and rich are
imported inside the commands that use them.  ``tests/test_startup.py`` guards it.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer

from lstmhw import __version__
from lstmhw.errors import EXIT_INTERNAL, EXIT_SOME_UNREADABLE, EXIT_USAGE, LstmhwError
from lstmhw.flag_commands import FLAG_COMMANDS, NUMBER, NUMBERS, SWITCH, WORD, FlagCommand
from lstmhw.solvers import SOLVERS  # the registry is a dict of module names: nothing heavy is loaded

app = typer.Typer(
    name="lstmhw",
    help="Solve and grade recurrent-network homework, step by step.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text is plain: "h[t]" must not be read as Rich markup
    context_settings={"help_option_names": ["-h", "--help"]},
)

SOLVE_FORMATS = ("table", "json", "markdown", "latex")

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table | json | markdown | latex")]
DigitsOpt = Annotated[int, typer.Option("--digits", min=0, max=17, help="Decimals shown in tables (JSON is never rounded).")]
OutOpt = Annotated[Optional[str], typer.Option("--out", "-o", help="Write to this file (atomically) instead of stdout.")]


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print one line on stderr and stop with ``code``."""
    sys.stderr.write(f"lstmhw: {message}\n")
    raise typer.Exit(code)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn lstmhw's own errors into one stderr line and their exit code; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except LstmhwError as exc:
            fail(str(exc), exc.exit_code)
        except BrokenPipeError:
            # `lstmhw solve ... | head`: the reader left; not an error of ours.
            sys.stderr.close()
            raise typer.Exit(0) from None
        except MemoryError:
            fail("out of memory: the input is larger than this machine can hold", EXIT_USAGE)
        except RecursionError:
            fail("input nested too deeply", EXIT_USAGE)
        except Exception as exc:  # a bug: still one line, and a distinct exit code
            fail(f"internal error ({type(exc).__name__}: {exc}); please report it", EXIT_INTERNAL)

    return wrapper


def check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        fail(f"--format: {fmt!r}, expected one of {', '.join(allowed)}")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"lstmhw {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Solve and grade recurrent-network homework, step by step."""


# --------------------------------------------------------------------- solve
@app.command()
@guarded
def solve(
    paths: Annotated[
        Optional[list[str]], typer.Argument(help="Problem files or folders of *.yaml files (default: the bundled homework).")
    ] = None,
    format: FormatOpt = "table",
    digits: DigitsOpt = 4,
    out: OutOpt = None,
) -> None:
    """Solve problem files and print every step with its formula."""
    from lstmhw.files import bundled_problems, load_problems
    from lstmhw.render.dispatch import render_solutions
    from lstmhw.solvers import run

    check_format(format, SOLVE_FORMATS)
    problems = load_problems(paths or [bundled_problems()])
    render_solutions([run(p) for p in problems], format, digits, out, problems)


@app.command("lstm-forward")
@guarded
def lstm_forward(
    path: Annotated[str, typer.Argument(help="An lstm-forward problem file.")],
    x: Annotated[Optional[str], typer.Option("--x", help="Inputs, one row per time step, e.g. '1 0; 0.5 -1'.")] = None,
    h0: Annotated[Optional[str], typer.Option("--h0", help="Initial hidden state.")] = None,
    c0: Annotated[Optional[str], typer.Option("--c0", help="Initial cell state.")] = None,
    y: Annotated[Optional[str], typer.Option("--y", help="Targets for h[t].")] = None,
    format: FormatOpt = "table",
    digits: DigitsOpt = 4,
    out: OutOpt = None,
) -> None:
    """The LSTM forward pass of a problem file; flags override x, h0, c0 and y."""
    from lstmhw.literals import parse_literal
    from lstmhw.yamlio import load_yaml

    check_format(format, SOLVE_FORMATS)
    doc = load_yaml(path)
    if doc.data.get("solver") != "lstm-forward":
        raise LstmhwError(
            f"solver {doc.data.get('solver')!r}, expected lstm-forward (use `lstmhw solve` for other solvers)",
            file=path,
            path=("solver",),
            line=doc.line(("solver",)),
        )
    given = []
    for key, text in (("x", x), ("h0", h0), ("c0", c0), ("y", y)):
        if text is not None:
            doc.data[key] = parse_literal(text, f"--{key}")
            doc.lines = {p: n for p, n in doc.lines.items() if p[:1] != (key,)}
            given.append(key)
    if x is not None:
        # New inputs can change the number of steps: the file's `ask` may name steps that no
        # longer exist, so the default (every h[t], and mse with targets) is asked instead.
        doc.data.pop("ask", None)
        doc.data.pop("points", None)
    _solve_flags(doc.data, format, digits, out, doc=doc, given=given)


@app.command()
@guarded
def mse(
    pred: Annotated[str, typer.Option("--pred", help="Predictions, e.g. '0.21741 -0.18988'.")],
    y: Annotated[str, typer.Option("--y", help="Targets, the same shape as --pred.")],
    reduction: Annotated[str, typer.Option("--reduction", help="mean | sum | half-sum")] = "mean",
    format: FormatOpt = "table",
    digits: DigitsOpt = 4,
    out: OutOpt = None,
) -> None:
    """Mean squared error, term by term."""
    check_format(format, SOLVE_FORMATS)
    data = _flags_data("mse", {"pred": pred, "y": y})
    data["reduction"] = reduction
    _solve_flags(data, format, digits, out)



def _flags_data(solver: str, flags: dict[str, Optional[str]]) -> dict[str, Any]:
    """A problem's data from the flags that were given, by problem key (the flag of ``W_h`` is
    ``--W-h``); the rest are left out so defaults apply."""
    from lstmhw.files import flag_of
    from lstmhw.literals import parse_literal

    data: dict[str, Any] = {"solver": solver, "id": solver}
    for key, text in flags.items():
        if text is not None:
            data[key] = parse_literal(text, flag_of(key))
    return data


def _solve_flags(data: dict[str, Any], format: str, digits: int, out: Optional[str], **where: Any) -> None:
    """Solve the problem a command's flags describe and print it (``where``: problem_from_flags's
    ``doc`` and ``given``, for a problem file some flags override)."""
    from lstmhw.files import problem_from_flags
    from lstmhw.render.dispatch import render_solutions
    from lstmhw.solvers import run

    problem = problem_from_flags(data, **where)
    render_solutions([run(problem)], format, digits, out, [problem])


# The commands that solve from flags alone (adam, ..., rnn-gradient): each made from its table.
class _FlagCommand:
    """The command of ``spec``: its own flags (``spec.flags``, in order), then --format, --digits,
    --out. Typer reads the signature made here as it reads a written one; it is made when first
    read (for the command that runs, or every command for --help), not on every start."""

    def __init__(self, spec: FlagCommand) -> None:
        self.spec = spec
        self.__name__ = self.__qualname__ = spec.name.replace("-", "_")
        self.__doc__ = spec.help
        self.__annotations__ = {flag.key: _FLAG_TYPES[flag.kind] for flag in spec.flags} | _OUTPUT_TYPES

    def __call__(self, **given: Any) -> None:
        _solve_from_flags(self.spec, given)

    @functools.cached_property
    def __signature__(self) -> inspect.Signature:
        # typer.Option as the default, not in Annotated[...]: a third of the cost
        options = [(flag.key, typer.Option(_FLAG_DEFAULTS[flag.kind], flag.flag, help=flag.help)) for flag in self.spec.flags]
        defaults = [*options, ("format", "table"), ("digits", 4), ("out", None)]
        kind = inspect.Parameter.KEYWORD_ONLY
        return inspect.Signature(
            [inspect.Parameter(name, kind, default=default, annotation=self.__annotations__[name]) for name, default in defaults]
        )


_FLAG_TYPES = {NUMBER: Optional[str], NUMBERS: Optional[list[str]], WORD: Optional[str], SWITCH: bool}
_FLAG_DEFAULTS = {NUMBER: None, NUMBERS: None, WORD: None, SWITCH: False}
_OUTPUT_TYPES = {"format": FormatOpt, "digits": DigitsOpt, "out": OutOpt}


def _solve_from_flags(spec: FlagCommand, given: dict[str, Any]) -> None:
    """Solve the problem ``spec``'s flags describe: numbers, repeated numbers, on/off switches, words."""
    from lstmhw.literals import parse_literal

    format, digits, out = given["format"], given["digits"], given["out"]
    check_format(format, SOLVE_FORMATS)
    for flag in spec.flags:
        if flag.missing is not None and given[flag.key] is None:
            fail(f"{flag.flag} is missing, expected {flag.missing}")
    of_kind = {kind: [flag for flag in spec.flags if flag.kind == kind] for kind in (NUMBER, NUMBERS, SWITCH, WORD)}
    data = _flags_data(spec.name, {flag.key: given[flag.key] for flag in of_kind[NUMBER]})
    for flag in of_kind[NUMBERS]:
        if given[flag.key]:
            data[flag.key] = [parse_literal(text, flag.flag) for text in given[flag.key]]
    data.update({flag.key: True for flag in of_kind[SWITCH] if given[flag.key]})
    data.update({flag.key: given[flag.key] for flag in of_kind[WORD] if given[flag.key] is not None})
    _solve_flags(data, format, digits, out)


for _spec in FLAG_COMMANDS:
    app.command(_spec.name)(guarded(_FlagCommand(_spec)))


# --------------------------------------------------------------------- grade
VisibilityOpt = Annotated[
    str,
    typer.Option("--visibility", help="gradescope: visible | after_due_date | after_published | hidden"),
]
ShowExpectedOpt = Annotated[
    bool, typer.Option("--show-expected", help="gradescope: show the key's values to students (off: they would read the key).")
]


@app.command()
@guarded
def grade(
    key: Annotated[str, typer.Argument(help="The key: a problem file or a folder of them.")],
    submissions: Annotated[list[str], typer.Argument(help="Submission files, or folders of *.yaml files.")],
    format: Annotated[str, typer.Option("--format", "-f", help="table | json | csv | gradescope")] = "table",
    details: Annotated[
        bool, typer.Option("--details", help="Every verdict: a table per student, or csv with a row per quantity.")
    ] = False,
    rtol: Annotated[Optional[float], typer.Option("--rtol", min=0, help="Relative tolerance for every problem.")] = None,
    atol: Annotated[Optional[float], typer.Option("--atol", min=0, help="Absolute tolerance for every problem.")] = None,
    digits: DigitsOpt = 4,
    out: OutOpt = None,
    out_dir: Annotated[
        Optional[str], typer.Option("--out-dir", help="gradescope: write DIR/<student>/results.json per submission.")
    ] = None,
    roster: Annotated[
        Optional[str], typer.Option("--roster", help="A class csv (student, variant, ...): variants come from it.")
    ] = None,
    lms: Annotated[Optional[str], typer.Option("--lms", help="csv: the gradebook import columns of this LMS: canvas")] = None,
    assignment: Annotated[
        Optional[str], typer.Option("--assignment", help="--lms canvas: the assignment column (default: the key's name).")
    ] = None,
    visibility: VisibilityOpt = "visible",
    show_expected: ShowExpectedOpt = False,
) -> None:
    """Grade submissions against a key. Exit 0: all graded; 1: some could not be read; 3: lstmhw failed on some."""
    from lstmhw.batch import ReportOptions, grade_files
    from lstmhw.render.report import REPORT_FORMATS, VISIBILITIES

    check_format(format, REPORT_FORMATS)
    for flag, value in (("--rtol", rtol), ("--atol", atol)):
        # nan passes Typer's min=0 and marked every answer wrong; inf marked every answer right
        if value is not None and not 0 <= value < float("inf"):
            fail(f"{flag}: {value}, expected a finite number ≥ 0")
    if out_dir and format != "gradescope":
        fail("--out-dir goes with --format gradescope")
    if lms is not None and lms != "canvas":
        fail(f"--lms: {lms!r}, expected canvas")
    if lms and format != "csv":
        fail("--lms goes with --format csv")
    if lms and details:
        fail("--lms canvas writes one row per student, expected no --details")
    if assignment is not None and not lms:
        fail("--assignment goes with --lms canvas")
    if visibility not in VISIBILITIES:
        fail(f"--visibility: {visibility!r}, expected one of {', '.join(VISIBILITIES)}")
    if (visibility != "visible" or show_expected) and format != "gradescope":
        fail(f"{'--visibility' if visibility != 'visible' else '--show-expected'} goes with --format gradescope")
    report = ReportOptions(
        fmt=format, details=details, digits=digits, out=out, out_dir=out_dir, roster=roster, lms=lms,
        assignment=assignment, visibility=visibility, show_expected=show_expected,
    )
    summary = grade_files(key, submissions, report, rtol=rtol, atol=atol)
    # The report is written either way; a bug of ours on some submission outranks unreadable ones.
    if summary.internal:
        raise typer.Exit(EXIT_INTERNAL)
    if summary.errors:
        raise typer.Exit(EXIT_SOME_UNREADABLE)


@app.command()
@guarded
def autograder(
    key: Annotated[str, typer.Argument(help="The key: a problem file or a folder of them.")],
    out: Annotated[str, typer.Option("--out", "-o", help="The zip to write (atomically), e.g. autograder.zip.")],
    visibility: VisibilityOpt = "visible",
    show_expected: ShowExpectedOpt = False,
) -> None:
    """A Gradescope autograder for the key: setup.sh, run_autograder, the key and this lstmhw as a wheel, in one zip."""
    from lstmhw.autograder import build_autograder
    from lstmhw.render.report import VISIBILITIES

    if visibility not in VISIBILITIES:
        fail(f"--visibility: {visibility!r}, expected one of {', '.join(VISIBILITIES)}")
    built = build_autograder(key, out, visibility=visibility, show_expected=show_expected)
    sys.stderr.write(f"lstmhw: wrote {out}: {built}\n")


# ----------------------------------------------------------------- authoring
@app.command()
@guarded
def new(
    solver: Annotated[str, typer.Argument(help=f"The solver: {', '.join(SOLVERS)}.")],
    out: Annotated[
        Optional[str], typer.Option("--out", "-o", help="Write to this new file instead of stdout (never overwrites).")
    ] = None,
) -> None:
    """Print a commented template problem file for a solver; it checks and solves as it is."""
    import os

    from lstmhw.errors import did_you_mean
    from lstmhw.output import emit
    from lstmhw.solvers import solver_module

    if solver not in SOLVERS:
        fail(f"unknown solver {solver!r}{did_you_mean(solver, list(SOLVERS))}, expected one of {', '.join(sorted(SOLVERS))}")
    if out and os.path.exists(out):
        fail(f"{out}: exists, expected a new file name (new never overwrites a problem file)")
    template = solver_module(solver).TEMPLATE  # no fixed id: two templates in one folder never clash
    folder = os.path.dirname(out) if out else ""
    if folder:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            fail(f"{out}: cannot create the folder {folder}: {exc.strerror}")
    emit(template, out)


@app.command()
@guarded
def check(
    paths: Annotated[list[str], typer.Argument(help="Problem or submission files, or folders of *.yaml files.")],
) -> None:
    """Validate problem and submission files without solving; list every error.

    Given a key (problem files) and submissions together, each submission is also checked against
    the key, without saying what is right: unreadable values, wrong shapes, names that match
    nothing asked, what is not answered. Exit 0: all valid (and every submission would be graded
    in full); 1: valid, but some submission would not be; 2: some file is not valid.
    """
    from lstmhw.checking import check_against_key, check_paths

    results = check_paths(paths)
    check_against_key(results)
    for result in results:
        if result.ok:
            sys.stdout.write(f"ok: {result.file} ({result.summary})\n")
        else:
            sys.stderr.write("".join(f"{error}\n" for error in result.errors))
        sys.stderr.write("".join(f"warning: {warning}\n" for warning in result.warnings))
    if not all(result.ok for result in results):
        raise typer.Exit(EXIT_USAGE)
    if any(result.warnings for result in results):
        raise typer.Exit(EXIT_SOME_UNREADABLE)


@app.command()
@guarded
def variant(
    path: Annotated[str, typer.Argument(help="A problem file, or a folder of them (every problem gets the same seed).")],
    seed: Annotated[int, typer.Option("--seed", help="The seed (≥ 0): variant N is the same wherever it is drawn.")],
    count: Annotated[int, typer.Option("--count", help="How many variants: seeds N, N+1, ..., N+K-1.")] = 1,
    out: Annotated[
        Optional[str], typer.Option("--out", "-o", help="Write DIR/<id>-v<N>.yaml (atomically) instead of stdout.")
    ] = None,
) -> None:
    """Per-student variants: the problem with its numbers redrawn, deterministic per seed."""
    import os

    from lstmhw.files import load_problems
    from lstmhw.limits import MAX_FILES_PER_RUN
    from lstmhw.output import emit, write_atomic
    from lstmhw.variant import variant_id, variant_yaml

    if seed < 0:
        fail(f"--seed: {seed}, expected a whole number ≥ 0")
    if not 1 <= count <= MAX_FILES_PER_RUN:
        fail(f"--count: {count}, expected 1 to {MAX_FILES_PER_RUN:,}")
    if out and os.path.exists(out) and not os.path.isdir(out):
        fail(f"{out}: is a file, expected a folder for --out")
    problems = load_problems([path])
    # Everything is drawn before anything is written: a failure leaves no partial set.
    drawn = [(variant_id(p, s), variant_yaml(p, s)) for s in range(seed, seed + count) for p in problems]
    if not out:
        emit("---\n".join(text for _name, text in drawn))
        return
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        fail(f"{out}: cannot create the folder ({exc.strerror})")
    for name, text in drawn:
        write_atomic(os.path.join(out, f"{name}.yaml"), text)
        sys.stdout.write(f"wrote {os.path.join(out, name + '.yaml')}\n")


# -------------------------------------------------------------- running a course
VariantOpt = Annotated[
    Optional[int], typer.Option("--variant", help="Variant N's numbers (as `lstmhw variant KEY --seed N` draws them).")
]


def _sheets(key: str, variant: Optional[int]) -> list[Any]:
    """The key's problems (or variant N of each) as sheets show them."""
    from lstmhw.files import load_problems
    from lstmhw.sheet import sheet_problems

    if variant is not None and variant < 0:
        fail(f"--variant: {variant}, expected a whole number ≥ 0")
    return sheet_problems(load_problems([key]), variant)


@app.command()
@guarded
def handout(
    key: Annotated[str, typer.Argument(help="The key: a problem file or a folder of them.")],
    variant: VariantOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="markdown | latex")] = "markdown",
    out: OutOpt = None,
) -> None:
    """The problem sheet students get: statement, givens and what is asked, never an answer."""
    from lstmhw.output import emit
    from lstmhw.render import handout as sheet

    check_format(format, sheet.HANDOUT_FORMATS)
    sheets = _sheets(key, variant)
    render = sheet.render_latex if format == "latex" else sheet.render_markdown
    emit(render(sheets, variant), out)


@app.command()
@guarded
def template(
    key: Annotated[str, typer.Argument(help="The key: a problem file or a folder of them.")],
    variant: VariantOpt = None,
    student: Annotated[Optional[str], typer.Option("--student", help="The student's name or id, filled in.")] = None,
    working: Annotated[
        bool, typer.Option("--working", help="Also the unasked steps, commented out: working a student may show.")
    ] = False,
    schema: Annotated[
        bool, typer.Option("--schema", help="A JSON Schema (draft 2020-12) of the submission instead, for editors.")
    ] = False,
    out: OutOpt = None,
) -> None:
    """A submission skeleton: every asked quantity, empty (~), with its formula and shape; never a value."""
    from lstmhw.output import emit
    from lstmhw.template import template_schema, template_yaml

    sheets = _sheets(key, variant)
    if schema:
        emit(template_schema(sheets, variant), out)
    else:
        emit(template_yaml(sheets, variant=variant, student=student, working=working), out)


def _app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command ``argv`` names, when it names one.

    Typer turns every registered command into click parameters on each start (~11 ms for
    nine commands) though one runs; the command's own parsing, help and errors are the same
    alone. No command, an option first (--help, --version) or an unknown name: the whole
    app, for its command list and its "did you mean".
    """
    if not argv or argv[0].startswith("-"):
        return app
    from typer.main import get_command_name

    only = [c for c in app.registered_commands if (c.name or get_command_name(c.callback.__name__)) == argv[0]]
    if len(only) != 1 or app.registered_groups:
        return app
    import copy

    for callback in (only[0].callback, app.registered_callback and app.registered_callback.callback):
        _resolve_annotations(callback)
    lean = copy.copy(app)
    lean.registered_commands = only
    return lean


def _resolve_annotations(callback: Optional[Callable[..., Any]]) -> None:
    """Evaluate a command's annotations (strings here, ``from __future__ import annotations``) once.

    Typer reads them twice per command, through ``inspect.signature`` and ``get_type_hints``, and
    both compile every string again: ~4 ms of the start-up of ``grade``. Evaluated in place (in
    the dict ``guarded``'s wrapper shares with the command), as ``inspect.signature`` evaluates them.
    """
    if callback is not None:
        import inspect

        callback.__annotations__.update(inspect.get_annotations(callback, eval_str=True))


# Other names for an option (--alpha for adam's --lr), per command: lstmhw.flag_commands.
OPTION_SYNONYMS = {spec.name: spec.synonyms for spec in FLAG_COMMANDS if spec.synonyms}


def _unknown_option(exc: Any) -> str:
    """``--alpha``: the option meant (a known synonym, else the closest), and the options there are."""
    from lstmhw.errors import did_you_mean

    options = [o for p in (exc.ctx.command.params if exc.ctx else []) for o in p.opts if o.startswith("--")]
    options = [o for o in options if o != "--help"]
    name = exc.ctx.command.name if exc.ctx else ""
    synonym = OPTION_SYNONYMS.get(name, {}).get(exc.option_name)
    hint = f" (did you mean '{synonym}'?)" if synonym in options else did_you_mean(exc.option_name, options)
    listed = ", ".join(options) if len(options) <= 16 else ", ".join(options[:16]) + ", ..."
    return f"no such option {exc.option_name}{hint}, expected one of {listed}"


BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def one_blas_thread(environ: Any = None) -> None:
    """One BLAS thread for this process, unless the user chose a number (any of the variables).

    Homework-sized matrices gain nothing from OpenBLAS's threads, which spin on the other
    cores while numpy is imported: with one, the imports of ``lstmhw grade`` of one student
    (a shell loop, a container per student) cost 10-15 % less CPU here, in the same wall time.  It must
    run before numpy is first imported (this module imports none); once numpy is loaded it
    is too late to matter, and it changes nothing.
    """
    environ = os.environ if environ is None else environ
    if "numpy" in sys.modules or any(name in environ for name in BLAS_THREAD_VARIABLES):
        return
    environ["OPENBLAS_NUM_THREADS"] = "1"
    environ["OMP_NUM_THREADS"] = "1"


def main() -> None:
    """Console-script entry point."""
    if sys.argv[1:2] == ["grade"]:
        # grade only: a solve of H = 256, T = 1,000 measured up to 16 % slower in wall time with one
        # thread (CPU the same); grading works homework-sized matrices, once per student.
        one_blas_thread()
    try:
        from typer._click.exceptions import ClickException, NoArgsIsHelpError, NoSuchOption
    except ImportError:  # Typer before it vendored click
        from click.exceptions import ClickException, NoArgsIsHelpError, NoSuchOption  # type: ignore[no-redef]
    try:
        # standalone_mode=False: usage errors come back to us, to print as one line
        # rather than Typer's multi-line box.
        code = _app_for(sys.argv[1:])(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        help_text = exc.ctx.get_help() if exc.ctx else ""
        if help_text:
            sys.stdout.write(help_text + "\n")
        code = 0
    except NoSuchOption as exc:
        command = exc.ctx.command_path if getattr(exc, "ctx", None) else "lstmhw"
        sys.stderr.write(f"{command}: {_unknown_option(exc)} (see `{command} --help`)\n")
        code = exc.exit_code
    except ClickException as exc:
        command = exc.ctx.command_path if getattr(exc, "ctx", None) else "lstmhw"
        sys.stderr.write(f"{command}: {exc.format_message()} (see `{command} --help`)\n")
        code = exc.exit_code
    except LstmhwError as exc:  # raised outside a command (should not happen, but never a traceback)
        sys.stderr.write(f"lstmhw: {exc}\n")
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    sys.exit(code if isinstance(code, int) else 0)
