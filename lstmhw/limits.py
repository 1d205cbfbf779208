"""Every size limit lstmhw enforces, in one place (documented in the README).

Limits are checked before any array is built, so a hostile file is refused in
milliseconds with flat memory.
"""

MAX_FILE_BYTES = 16 * 1024 * 1024  # one problem or submission file
# Reading costs ~5 µs per value, so a file at the value limit is read (or refused) in ~2 s.
MAX_YAML_NODES = 400_000  # scalars + collections after alias expansion
MAX_YAML_DEPTH = 32  # nesting of lists and mappings
MAX_ARRAY_ELEMENTS = 250_000  # one matrix or vector (a 500×500 U)
MAX_TIME_STEPS = 100_000  # LSTM sequence length, RNN trajectory, Adam steps
MAX_HIDDEN = 4096  # LSTM hidden/input size, RNN state size
MAX_FILES_PER_RUN = 100_000  # submissions (or problems) in one command
# A trace keeps every step's value: steps × numbers per step (Adam: elements of W;
# an RNN trajectory: H² per Jacobian) bounds its memory to ~100 MB.
MAX_TRACE_ELEMENTS = 2_000_000
# Adam's step index t, and `steps` in the RNN's closed-form scalar analysis (no loop
# runs over it): a float still counts exactly this far, and β**t never overflows.
MAX_STEP_INDEX = 10**15
# Steps of an RNN trajectory followed Jacobian by Jacobian (the matrix analysis): each
# is up to five steps of the solution (z, h, J, P, norm), so 2,500 stay within a solution's
# step limit and print in a few seconds.
MAX_RNN_TRAJECTORY = 2_500
# Every named step of one solution (what `solve` prints): a Rich table takes ~1 ms a row.
# An LSTM step t is 11 steps (14 with targets), an Adam step 5-7, an MSE term 3.
MAX_TRACE_STEPS = 15_000
# Errors listed for one file (`check`); past this the file is not worth reading further.
MAX_ERRORS_PER_FILE = 100
