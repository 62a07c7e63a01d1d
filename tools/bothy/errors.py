"""The one exception type the tooling raises for user-facing failures.

Anything a person can fix (bad config, missing tool, failed boot) is a BothyError whose
message alone says what went wrong and what to do; tracebacks are for bugs.
"""


class BothyError(Exception):
    """A failure with a complete, human-readable explanation in str(self)."""
