"""Errors the core and providers raise; the gRPC layer maps each to its status code."""

from __future__ import annotations


class CiemError(Exception):
    """Base of every error ciem raises on purpose."""


class InputError(CiemError):
    """An export or file that is malformed or holds what the cloud would reject.

    The message names the file and the place in it (a JSON path, a line number).
    """

    def __init__(self, path: object, where: str, problem: str):
        self.path = str(path)
        self.where = where
        self.problem = problem
        location = f"{self.path}: {where}" if where else self.path
        super().__init__(f"{location}: {problem}")


class SourceError(CiemError):
    """A configured source that cannot be read at all (no credentials, no such folder)."""


class ConfigError(CiemError):
    """A configuration file that is malformed or asks for something unsafe."""


class QueryError(CiemError):
    """A query with a malformed argument (INVALID_ARGUMENT)."""


class NotFoundError(CiemError):
    """A query naming an identity or resource the index does not hold (NOT_FOUND)."""


class NoIndexError(CiemError):
    """No index has been built yet (UNAVAILABLE)."""
