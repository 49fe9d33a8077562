"""The project's own error types. The CLI turns each into one line on stderr and a non-zero exit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """A bad input record or file: where it is and what is wrong with it."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class NewsDedupError(Exception):
    """Base class of every error a user can cause or fix."""


class InputError(NewsDedupError):
    """A file or record cannot be read (raised at once in --strict mode)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class EmptyCorpusError(NewsDedupError):
    """Nothing usable was read."""


class ModelNotFoundError(NewsDedupError):
    """A model is not installed locally and cannot be downloaded here."""


class StoreError(NewsDedupError):
    """An output or cache folder cannot be written or read back."""


class IndexLockedError(NewsDedupError):
    """Another process is writing to the same index folder."""


class IndexFormatError(NewsDedupError):
    """A folder is not a usable index: missing, incomplete, or written by a newer newsdedup."""


class IndexModelError(NewsDedupError):
    """Vectors of another model or dimension would be mixed into an index."""
