"""Finding and calling plugins: the pluggy manager behind every provider and sink."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pluggy

from ciem import hookspec
from ciem.errors import SourceError

ENTRY_POINT_GROUP = "ciem.providers"


@dataclass(frozen=True)
class ProviderInfo:
    """What :func:`ciem.hookspec.ciem_provider_info` returns."""

    name: str
    title: str
    source_kinds: tuple[str, ...] = ("files",)  # "files", "live"
    identifier_forms: tuple[str, ...] = ()  # human-readable, for docs and errors
    activity_kinds: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def new_manager(load_entry_points: bool = True, plugins: tuple[object, ...] = ()) -> pluggy.PluginManager:
    """A plugin manager with the ciem hook specifications, the installed plugins and ``plugins``."""
    manager = pluggy.PluginManager(hookspec.PROJECT)
    manager.add_hookspecs(hookspec)
    if load_entry_points:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in plugins:
        manager.register(plugin)
    return manager


@lru_cache(maxsize=1)
def default_manager() -> pluggy.PluginManager:
    return new_manager()


def provider_infos(manager: pluggy.PluginManager) -> dict[str, ProviderInfo]:
    return {info.name: info for info in manager.hook.ciem_provider_info()}


def detect_provider(manager: pluggy.PluginManager, path: Path) -> str:
    """The provider whose export ``path`` is, or a SourceError that lists the known ones."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    provider = manager.hook.ciem_detect_export(path=path)
    if provider is None:
        known = ", ".join(sorted(provider_infos(manager))) or "none installed"
        raise SourceError(f"{path}: not an export any installed provider recognises (providers: {known}); name one with PROVIDER:PATH")
    return provider
