"""Wildcard patterns as the clouds write them: ``*`` is any run of characters, ``?`` exactly one.

Nothing else is special (unlike fnmatch, brackets are literal).
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=65536)
def glob_regex(pattern: str, case_sensitive: bool = True) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts) + r"\Z", re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def glob_match(pattern: str, text: str, case_sensitive: bool = True) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern == text if case_sensitive else pattern.lower() == text.lower()
    return glob_regex(pattern, case_sensitive).match(text) is not None


def literal_prefix(pattern: str) -> str:
    """The part of a pattern before its first wildcard."""
    for index, char in enumerate(pattern):
        if char in "*?":
            return pattern[:index]
    return pattern


def is_literal(pattern: str) -> bool:
    return "*" not in pattern and "?" not in pattern
