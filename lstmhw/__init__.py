"""lstmhw: solve and grade recurrent-network homework step by step."""

# Read by the CLI's --version without importing anything heavy.
__version__ = "0.1.0"
