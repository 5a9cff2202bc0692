"""One small hierarchy of errors. Each message names the bad value and the fix.

Only the outer layers (CLI, UI) turn these into user-facing messages.
"""

from __future__ import annotations


class RagError(Exception):
    """Base of every error the library raises on purpose."""


class SettingsError(RagError):
    """A setting (environment variable or flag) has a value we cannot use."""


class InputError(RagError):
    """A file, line or field given by the user cannot be read as an article."""

    def __init__(self, message: str, *, source: str = "", line: int | None = None):
        self.source = source
        self.line = line
        where = source + (f":{line}" if line is not None else "")
        super().__init__(f"{where}: {message}" if where else message)
        self.reason = message


class EmptyQuestionError(RagError):
    """The question is empty or only whitespace."""


class ModelError(RagError):
    """The embedding model is missing, corrupt, or does not match the index."""


class StoreError(RagError):
    """The index on disk cannot be used as it is (wrong model, corrupt, locked)."""


class UnreachableError(StoreError):
    """A server the index lives on (PostgreSQL, a Chroma server) cannot be reached, or the
    connection to it broke. Nothing is decided from such a failure: no article is removed, and the
    next call connects again."""


class NotFoundError(RagError):
    """An article id that is not in the index."""


class EmptyIndexError(RagError):
    """A question or a claim asked of an index that holds no article yet."""
