"""Errors of ingestion, with messages that say what to do."""

from __future__ import annotations


class IngestError(Exception):
    """Base class of ingestion errors."""


class FileProblem(IngestError):
    """A whole file cannot be loaded: nothing of it is written."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class StrictModeError(IngestError):
    """Strict mode: an item was rejected where lenient mode would quarantine it."""
