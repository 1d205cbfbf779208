"""The commands that solve a problem from flags alone (``adam``, ``momentum``, ``rmsprop``,
``adagrad``, ``rnn-gradient``), one table each.

Each such command takes its own flags, declared here in the order ``--help`` lists them, then
``--format``, ``--digits`` and ``--out``, and solves the problem the flags describe (a flag sets
the problem key of its name; a flag not given leaves the solver's default). ``lstmhw.cli`` makes
each Typer command from its table, so a new solver's command is one more table here. Every
optimizer command starts with the same three flags, ``OPTIMIZER``.

Plain data and the standard library only: ``lstmhw.cli`` imports this on every start.
"""

from __future__ import annotations

NUMBER = "number"  # a number, vector or matrix, read as a literal (lstmhw.literals)
NUMBERS = "numbers"  # the same, one per use of a repeated flag (a list)
SWITCH = "switch"  # on when given
WORD = "word"  # a word, taken as written (the solver checks it)


class Flag:
    """One of a command's own flags: the problem key it sets, what kind of value it takes, its help.

    (Plain classes here, not dataclasses: this module is imported on every start, where making a
    dataclass costs about a millisecond.)
    """

    __slots__ = ("key", "kind", "help", "missing")

    def __init__(self, key: str, kind: str, help: str, missing: str | None = None) -> None:
        self.key = key  # the problem key; its flag is lstmhw.files.flag_of(key): weight_decay -> --weight-decay
        self.kind = kind  # NUMBER, NUMBERS, SWITCH or WORD
        self.help = help
        self.missing = missing  # if it must be given: what it is, for the message when it is not

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")  # as lstmhw.files.flag_of (which would load PyYAML)


def number(key: str, help: str, missing: str | None = None) -> Flag:
    return Flag(key, NUMBER, help, missing)


def switch(key: str, help: str) -> Flag:
    return Flag(key, SWITCH, help)


def word(key: str, help: str) -> Flag:
    return Flag(key, WORD, help)


class FlagCommand:
    """A command: its name (the solver's), its help, its own flags in order, and other
    names for its options, as papers and libraries write them (an unknown option that is one of
    these is answered with "did you mean" the option meant)."""

    __slots__ = ("name", "help", "flags", "synonyms")

    def __init__(self, name: str, help: str, flags: tuple[Flag, ...], synonyms: dict[str, str]) -> None:
        self.name = name
        self.help = help
        self.flags = flags
        self.synonyms = synonyms


# The flags several optimizers share, with the same meaning: the three every one starts with, and others.
OPTIMIZER = (
    number(
        "W",
        "The weights before the step (W at t−1), e.g. '-0.22 0.33; 0.49 -0.86'.",
        missing="the weights W[t-1], e.g. --W '-0.22 0.33; 0.49 -0.86'",
    ),
    number("grad", "The gradient at step t, the shape of W."),
    Flag("grads", NUMBERS, "One gradient per step from step t on: repeat the flag."),
)
T = number("t", "Index of the first step computed (default 1).")
STEPS = number("steps", "Apply --grad for this many steps (default 1).")
WEIGHT_DECAY = number("weight_decay", "λ: L2, g + λ·W[k-1] wherever g appears.")
LEARNING_RATE = {"--learning-rate": "--lr"}

FLAG_COMMANDS: tuple[FlagCommand, ...] = (
    FlagCommand(
        "adam",
        "One or more Adam steps (Kingma & Ba; as torch.optim.Adam), every intermediate shown.",
        (
            *OPTIMIZER,
            number("V", "First moment V at t−1 (default zeros)."),
            number("S", "Second moment S at t−1 (default zeros)."),
            number("lr", "Learning rate (default 0.001)."),
            number("beta1", "Decay of V (default 0.9)."),
            number("beta2", "Decay of S (default 0.999)."),
            number("eps", "Added to √S_corr (default 1e-8)."),
            number("t", "Index of the first step computed; bias correction uses β**t (default 1)."),
            STEPS,
            number("weight_decay", "λ: L2, g + λ·W enters V and S."),
            switch("decoupled", "With --weight-decay: AdamW, W ← W − lr·λ·W."),
            switch("amsgrad", "Use the running maximum of S (as PyTorch)."),
        ),
        # Kingma & Ba's step size α is --lr; their m and v are V and S.
        {"--alpha": "--lr", **LEARNING_RATE, "--m": "--V", "--v": "--S"},
    ),
    FlagCommand(
        "momentum",
        "One or more momentum steps, Ng's average (ema) or torch.optim.SGD's heavy ball, every intermediate shown.",
        (
            *OPTIMIZER,
            number("V", "The velocity V at t−1 (default zeros)."),
            number("lr", "Learning rate (default 0.001, as torch.optim.SGD)."),
            number("beta", "Momentum β (default 0.9)."),
            word("convention", "ema: V = β·V + (1 − β)·g (Ng; default) | heavy-ball: V = β·V + g."),
            switch("bias_correction", "ema: W moves along V / (1 − β^k)."),
            switch("nesterov", "heavy-ball: W ← W − lr·(g + β·V), as PyTorch."),
            T,
            STEPS,
            WEIGHT_DECAY,
        ),
        {"--mu": "--beta", "--momentum": "--beta", **LEARNING_RATE},  # SGD's momentum μ is --beta
    ),
    FlagCommand(
        "rmsprop",
        "One or more RMSprop steps (as torch.optim.RMSprop), every intermediate shown.",
        (
            *OPTIMIZER,
            number("S", "The mean square S at t−1 (default zeros)."),
            number("G", "With --centered: the mean gradient G at t−1 (default zeros)."),
            number("lr", "Learning rate (default 0.01)."),
            number("beta", "Decay of S, PyTorch's alpha (default 0.99)."),
            number("eps", "Added to √S (default 1e-8)."),
            switch("centered", "Divide by √(S − G²) + ε (as PyTorch)."),
            T,
            STEPS,
            WEIGHT_DECAY,
        ),
        {"--alpha": "--beta", **LEARNING_RATE},  # PyTorch's RMSprop alpha is --beta
    ),
    FlagCommand(
        "adagrad",
        "One or more Adagrad steps (as torch.optim.Adagrad), every intermediate shown.",
        (
            *OPTIMIZER,
            number("G", "The sum of squared gradients G at t−1, or one number (default zeros)."),
            number("lr", "Learning rate (default 0.01)."),
            number("eps", "Added to √G (default 1e-10)."),
            T,
            STEPS,
            WEIGHT_DECAY,
        ),
        dict(LEARNING_RATE),
    ),
    FlagCommand(
        "rnn-gradient",
        "Vanishing/exploding-gradient analysis of a simple RNN, with the reasons in words.",
        (
            word("activation", "sigmoid-centered (σ − 0.5) | sigmoid | tanh | relu | linear"),
            number("W_h", "A recurrent weight or square matrix to classify."),
            number("steps", "How many steps back the gradient travels."),
            number("z", "The fixed point's pre-activation (default 0)."),
            number("target", "'Vanishes' = shrinks by this factor, e.g. 1e-4."),
            number("W_x", "With a matrix --W-h: input weights, to follow a trajectory."),
            number("x", "Inputs, one row per step (or one row for all)."),
            number("h0", "Initial state of the trajectory (default zeros)."),
            number("b", "Bias of the trajectory (default zeros)."),
        ),
        {},
    ),
)
