"""Settings of the findings rules, validated from the ``findings:`` mapping of the configuration.

Every error is a :class:`ciem.errors.ConfigError` naming the key (``findings.toxic_combinations[0].all_of``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ciem.errors import ConfigError
from ciem.model import Sensitivity


@dataclass(frozen=True)
class ToxicCombination:
    """One identity holding an action of every group in ``all_of`` breaks separation of duties.

    With ``same_resource`` the groups' grants must be able to cover one common resource (change and
    approve *the same* pipeline); without it any resources count (pass a role, create compute).
    """

    id: str
    title: str
    rationale: str
    all_of: tuple[tuple[str, ...], ...]
    same_resource: bool = False


@dataclass(frozen=True)
class SensitiveSelection:
    """Resources whose access is sensitive: by sensitivity, by type, by tag (any one suffices)."""

    min_sensitivity: Sensitivity = Sensitivity.HIGH
    types: tuple[str, ...] = ()
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # tag key -> values ("*" any)


@dataclass(frozen=True)
class FindingsConfig:
    usage_window_days: int = 90
    access_key_max_age_days: int = 90
    max_hops: int = 5
    max_paths_per_finding: int = 5
    # Services whose write access counts as high privilege, beyond the catalog's own signal.
    sensitive_services: tuple[str, ...] = ()
    sensitive: SensitiveSelection = SensitiveSelection()
    toxic_combinations: tuple[ToxicCombination, ...] = ()
    disabled_rules: tuple[str, ...] = ()


def _fail(where: str, problem: str) -> ConfigError:
    return ConfigError(f"{where}: {problem}")


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(where, "expected a string or a list of non-empty strings")
    return tuple(value)


def _positive(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _fail(where, f"expected a positive integer, got {value!r}")
    return value


def _mapping(value: Any, where: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, f"expected a mapping, got {type(value).__name__}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(f"{where}.{unknown[0]}", f"unknown key (allowed here: {', '.join(sorted(allowed))})")
    return value


def parse_findings_config(raw: Any, where: str = "findings") -> FindingsConfig:
    """Validate the ``findings`` mapping; ``None`` gives the defaults."""
    if raw is None:
        return FindingsConfig()
    item = _mapping(raw, where, {
        "usage_window_days", "access_key_max_age_days", "max_hops", "max_paths_per_finding",
        "sensitive_services", "sensitive", "toxic_combinations", "disabled_rules",
    })
    defaults = FindingsConfig()
    return FindingsConfig(
        usage_window_days=_positive(item.get("usage_window_days", defaults.usage_window_days), f"{where}.usage_window_days"),
        access_key_max_age_days=_positive(
            item.get("access_key_max_age_days", defaults.access_key_max_age_days), f"{where}.access_key_max_age_days"
        ),
        max_hops=_positive(item.get("max_hops", defaults.max_hops), f"{where}.max_hops"),
        max_paths_per_finding=_positive(
            item.get("max_paths_per_finding", defaults.max_paths_per_finding), f"{where}.max_paths_per_finding"
        ),
        sensitive_services=_strings(item.get("sensitive_services", []), f"{where}.sensitive_services"),
        sensitive=_sensitive(item.get("sensitive"), f"{where}.sensitive"),
        toxic_combinations=tuple(
            _combination(value, f"{where}.toxic_combinations[{number}]")
            for number, value in enumerate(_list(item.get("toxic_combinations", []), f"{where}.toxic_combinations"))
        ),
        disabled_rules=_strings(item.get("disabled_rules", []), f"{where}.disabled_rules"),
    )


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise _fail(where, f"expected a list, got {type(value).__name__}")
    return value


def _sensitive(value: Any, where: str) -> SensitiveSelection:
    if value is None:
        return SensitiveSelection()
    item = _mapping(value, where, {"min_sensitivity", "types", "tags"})
    level_name = item.get("min_sensitivity", "high")
    names = {level.name.lower(): level for level in Sensitivity if level is not Sensitivity.NONE}
    if not isinstance(level_name, str) or level_name.lower() not in names:
        raise _fail(f"{where}.min_sensitivity", f"expected one of {', '.join(names)}, got {level_name!r}")
    tags_raw = item.get("tags", {})
    if not isinstance(tags_raw, Mapping):
        raise _fail(f"{where}.tags", "expected a mapping of tag key to value or list of values")
    return SensitiveSelection(
        min_sensitivity=names[level_name.lower()],
        types=_strings(item.get("types", []), f"{where}.types"),
        tags={str(key): _strings(values, f"{where}.tags.{key}") for key, values in tags_raw.items()},
    )


def _combination(value: Any, where: str) -> ToxicCombination:
    item = _mapping(value, where, {"id", "title", "rationale", "all_of", "same_resource"})
    for required in ("id", "title", "all_of"):
        if required not in item:
            raise _fail(f"{where}.{required}", "required")
    groups = _list(item["all_of"], f"{where}.all_of")
    if len(groups) < 2:
        raise _fail(f"{where}.all_of", "a combination needs at least two groups of actions")
    same_resource = item.get("same_resource", False)
    if not isinstance(same_resource, bool):
        raise _fail(f"{where}.same_resource", "expected true or false")
    return ToxicCombination(
        id=_strings(item["id"], f"{where}.id")[0],
        title=_strings(item["title"], f"{where}.title")[0],
        rationale=str(item.get("rationale", "")),
        all_of=tuple(_strings(group, f"{where}.all_of[{n}]") for n, group in enumerate(groups)),
        same_resource=same_resource,
    )
