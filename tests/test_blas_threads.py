"""One BLAS thread for the CLI's own process (lstmhw.cli.one_blas_thread), unless the user chose one."""

from __future__ import annotations

import os
import subprocess
import sys

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")

# lstmhw grade (no files: a usage error) through the console entry point, then numpy imported as a command would:
# the variables main() left and the threads the process has once OpenBLAS is loaded.
PROBE = (
    "import os, sys\n"
    "from lstmhw.cli import main\n"
    "sys.argv = ['lstmhw', *sys.argv[1:]]\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "import numpy\n"
    "print(os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'), len(os.listdir('/proc/self/task')))\n"
)


def _probe(*argv: str, **chosen: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES}
    env.update(chosen)
    out = subprocess.run([sys.executable, "-c", PROBE, *(argv or ("grade",))], capture_output=True, text=True, check=True, env=env).stdout
    return out.strip().splitlines()[-1].split()


def test_other_commands_keep_the_default_threads():
    assert _probe("--version")[:2] == ["None", "None"]


def test_grade_sets_one_blas_thread():
    openblas, omp, threads = _probe()
    assert (openblas, omp) == ("1", "1")
    if os.path.isdir("/proc/self/task"):
        assert threads == "1"  # no OpenBLAS worker threads were started


def test_a_users_choice_is_kept():
    assert _probe(OMP_NUM_THREADS="2")[:2] == ["None", "2"]
    assert _probe(OPENBLAS_NUM_THREADS="3")[:2] == ["3", "None"]


def test_too_late_once_numpy_is_loaded():
    import numpy  # noqa: F401  (loaded, as in any test process that graded something)

    from lstmhw.cli import one_blas_thread

    environ: dict[str, str] = {}
    one_blas_thread(environ)  # numpy is loaded in this test process: nothing to gain, nothing set
    assert "numpy" in sys.modules and environ == {}
