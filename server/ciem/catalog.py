"""A provider's permission catalog, and action sets as bitsets over it.

Every action a provider knows gets a small integer; a set of actions is a Python int with those bits
set. A policy that grants ``s3:*`` costs one int, and intersecting two layers is one ``&``.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from ciem.model import AccessLevel, ActionInfo
from ciem.patterns import glob_regex


class UnknownActionError(ValueError):
    """An action name, or a pattern, that matches nothing in the provider's catalog."""


class PermissionCatalog:
    """Actions of one provider, looked up case-insensitively, expanded from wildcards."""

    def __init__(self, provider: str, actions: Iterable[ActionInfo]):
        self.provider = provider
        self.actions: list[ActionInfo] = []
        self._by_lower: dict[str, int] = {}
        self._by_service: dict[str, int] = {}
        for info in actions:
            key = info.name.lower()
            if key in self._by_lower:
                continue
            bit = len(self.actions)
            self._by_lower[key] = bit
            self.actions.append(info)
            service = info.service.lower()
            self._by_service[service] = self._by_service.get(service, 0) | (1 << bit)
        self.all_bits = (1 << len(self.actions)) - 1
        self._expand_cache: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.actions)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._by_lower

    def info(self, name: str) -> ActionInfo:
        try:
            return self.actions[self._by_lower[name.lower()]]
        except KeyError:
            raise UnknownActionError(f"{self.provider}: unknown action {name!r}") from None

    def bit(self, name: str) -> int:
        """The single-bit set for one exact action name."""
        try:
            return 1 << self._by_lower[name.lower()]
        except KeyError:
            raise UnknownActionError(f"{self.provider}: unknown action {name!r}") from None

    def expand(self, pattern: str) -> int:
        """The set of actions a pattern with ``*`` and ``?`` matches, case-insensitively.

        Returns 0 when nothing matches; callers decide whether that is an error (an unknown action
        in a policy is reported, not fatal: AWS accepts it and it grants nothing).
        """
        key = pattern.lower()
        cached = self._expand_cache.get(key)
        if cached is not None:
            return cached
        if key == "*":
            bits = self.all_bits
        elif "*" not in key and "?" not in key:
            index = self._by_lower.get(key)
            bits = 0 if index is None else 1 << index
        else:
            bits = 0
            service, sep, rest = key.partition(":")
            if sep and "*" not in service and "?" not in service:
                if rest == "*":
                    bits = self._by_service.get(service, 0)
                else:
                    regex = glob_regex(key, case_sensitive=False)
                    for index in iter_bits(self._by_service.get(service, 0)):
                        if regex.match(self.actions[index].name.lower()):
                            bits |= 1 << index
            else:
                regex = glob_regex(key, case_sensitive=False)
                for index, info in enumerate(self.actions):
                    if regex.match(info.name.lower()):
                        bits |= 1 << index
        self._expand_cache[key] = bits
        return bits

    def bits_of(self, names: Iterable[str]) -> int:
        bits = 0
        for name in names:
            bits |= self.expand(name)
        return bits

    def names(self, bits: int) -> list[str]:
        return [self.actions[i].name for i in iter_bits(bits)]

    def infos(self, bits: int) -> Iterator[ActionInfo]:
        return (self.actions[i] for i in iter_bits(bits))

    def service_bits(self, service: str) -> int:
        return self._by_service.get(service.lower(), 0)

    def access_level_bits(self, level: AccessLevel) -> int:
        cache_key = f"\0level:{level.value}"
        cached = self._expand_cache.get(cache_key)
        if cached is None:
            cached = 0
            for index, info in enumerate(self.actions):
                if info.access_level == level:
                    cached |= 1 << index
            self._expand_cache[cache_key] = cached
        return cached

    def risk_bits(self, tag: str) -> int:
        cache_key = f"\0risk:{tag}"
        cached = self._expand_cache.get(cache_key)
        if cached is None:
            cached = 0
            for index, info in enumerate(self.actions):
                if tag in info.risk_tags:
                    cached |= 1 << index
            self._expand_cache[cache_key] = cached
        return cached


def iter_bits(bits: int) -> Iterator[int]:
    """Indices of the set bits, lowest first."""
    if bits < (1 << 64):
        while bits:
            low = bits & -bits
            yield low.bit_length() - 1
            bits ^= low
        return
    digits = bin(bits)
    top = len(digits) - 1
    index = digits.rfind("1")
    while index >= 2:
        yield top - index
        index = digits.rfind("1", 2, index)
