"""Typed reads of a sink's options; errors name the option."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ciem.errors import ConfigError


class Options:
    def __init__(self, options: Mapping[str, Any], kind: str, allowed: set[str]):
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise ConfigError(f"{unknown[0]}: unknown {kind} sink option (allowed: {', '.join(sorted(allowed))})")
        self.options = options

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{key}: {problem}")

    def string(self, key: str, default: str | None = None) -> str:
        value = self.options.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.fail(key, "required, a non-empty string" if value is None else f"expected a string, got {value!r}")
        return value

    def optional_string(self, key: str) -> str | None:
        return None if self.options.get(key) is None else self.string(key)

    def path(self, key: str, default: str | None = None) -> Path:
        return Path(self.string(key, default)).expanduser()

    def optional_path(self, key: str) -> Path | None:
        return None if self.options.get(key) is None else self.path(key)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.options.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def number(self, key: str, default: float, minimum: float = 0) -> float:
        value = self.options.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.fail(key, f"expected a number >= {minimum}, got {value!r}")
        return value

    def strings(self, key: str, default: list[str]) -> list[str]:
        value = self.options.get(key, default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, f"expected a string or a non-empty list of strings, got {value!r}")
        return value
