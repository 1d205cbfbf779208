"""Every size limit lstmhw enforces, in one place (documented in the README).

Limits are checked before any array is built, so a hostile file is refused in
milliseconds with flat memory.
"""

MAX_FILE_BYTES = 16 * 1024 * 1024  # one problem or submission file
MAX_YAML_NODES = 2_000_000  # scalars + collections after alias expansion
MAX_YAML_DEPTH = 32  # nesting of lists and mappings
MAX_ARRAY_ELEMENTS = 1_000_000  # one matrix or vector
MAX_TIME_STEPS = 100_000  # LSTM sequence length, RNN trajectory, Adam steps
MAX_HIDDEN = 4096  # LSTM hidden/input size, RNN state size
MAX_FILES_PER_RUN = 100_000  # submissions (or problems) in one command
# A trace keeps every step's value: steps × numbers per step (Adam: elements of W;
# an RNN trajectory: H² per Jacobian) bounds its memory to ~100 MB.
MAX_TRACE_ELEMENTS = 2_000_000
# Adam's step index t, and `steps` in the RNN's closed-form scalar analysis (no loop
# runs over it): a float still counts exactly this far, and β**t never overflows.
MAX_STEP_INDEX = 10**15
