"""Wildcard patterns as the clouds write them: ``*`` is any run of characters, ``?`` exactly one.

Nothing else is special (unlike fnmatch, brackets are literal).
"""

from __future__ import annotations

import re
from functools import lru_cache

_RUNS = re.compile(r"[*?]")  # a wildcard: what splits a pattern into literal runs


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
    wildcard = _RUNS.search(pattern)
    return pattern if wildcard is None else pattern[:wildcard.start()]


def is_literal(pattern: str) -> bool:
    return "*" not in pattern and "?" not in pattern


class PatternSet:
    """Matches a text against many patterns at once, at a cost that grows with the text rather than
    with the number of patterns (a grant scoped to one account may exclude every other account).

    Literal patterns are looked up in a set, ``literal*`` patterns by the text's prefix of each length
    that occurs; the others are filed under their longest literal run, and only those whose run
    occurs in the text are matched in full.
    """

    __slots__ = ("patterns", "case_sensitive", "_any", "_literals", "_prefixes", "_runs", "_always")

    _FEW = 8  # below this many general patterns, matching each one beats looking up runs

    def __init__(self, patterns: tuple[str, ...], case_sensitive: bool = True):
        self.patterns = patterns
        self.case_sensitive = case_sensitive
        self._any = "*" in patterns
        self._literals: set[str] = set()
        self._prefixes: dict[int, set[str]] = {}
        general: list[str] = []
        for pattern in patterns:
            key = self.fold(pattern)
            if is_literal(pattern):
                self._literals.add(key)
            elif pattern.endswith("*") and is_literal(pattern[:-1]):
                self._prefixes.setdefault(len(key) - 1, set()).add(key[:-1])
            else:
                general.append(pattern)
        self._runs: dict[int, dict[str, list[str]]] = {}
        self._always: list[str] = []
        if len(general) < self._FEW:
            self._always = general
            return
        for pattern in general:
            run = max(_RUNS.split(self.fold(pattern)), key=len)
            if run:
                self._runs.setdefault(len(run), {}).setdefault(run, []).append(pattern)
            else:
                self._always.append(pattern)

    @property
    def matches_all(self) -> bool:
        return self._any

    def fold(self, text: str) -> str:
        """``text`` as this set compares it (lower case when matching ignores case)."""
        return text if self.case_sensitive else text.lower()

    def __reduce__(self):
        return PatternSet, (self.patterns, self.case_sensitive)

    def matches(self, text: str) -> bool:
        if self._any:
            return True
        key = self.fold(text)
        if key in self._literals:
            return True
        for length, prefixes in self._prefixes.items():
            if key[:length] in prefixes:
                return True
        sensitive = self.case_sensitive
        if any(glob_match(p, text, sensitive) for p in self._always):
            return True
        if not self._runs:
            return False
        if not key.isascii():  # case folding may change lengths: match every pattern
            return any(glob_match(p, text, sensitive) for runs in self._runs.values() for group in runs.values()
                       for p in group)
        for length, runs in self._runs.items():
            for start in range(len(key) - length + 1):
                group = runs.get(key[start:start + length])
                if group and any(glob_match(p, text, sensitive) for p in group):
                    return True
        return False

