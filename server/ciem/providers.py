"""Finding and calling plugins: the pluggy manager behind every provider and sink."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import pluggy

from ciem import hookspec
from ciem.errors import SourceError
from ciem.model import Snapshot

ENTRY_POINT_GROUP = "ciem.providers"


class PerSnapshots:
    """What ``build`` made of a list of snapshots, kept for the last few lists asked about.

    Explain and right-sizing ask about the serving index's snapshots again and again; a provider
    wraps the model it evaluates them with in one of these instead of rebuilding it per request.
    Keyed by the snapshots' ids, each entry holding its snapshots so that no id is reused while kept.
    """

    def __init__(self, build: Callable[[list[Snapshot]], Any], keep: int = 4):
        self._build = build
        self._keep = keep
        self._built: dict[tuple[int, ...], tuple[tuple[Snapshot, ...], Any]] = {}

    def __call__(self, snapshots: list[Snapshot]) -> Any:
        key = tuple(id(s) for s in snapshots)
        cached = self._built.get(key)
        if cached is None:
            while len(self._built) >= self._keep:
                self._built.pop(next(iter(self._built)))
            cached = self._built[key] = (tuple(snapshots), self._build(snapshots))
        return cached[1]


@dataclass(frozen=True)
class ProviderInfo:
    """What :func:`ciem.hookspec.ciem_provider_info` returns."""

    name: str
    title: str
    source_kinds: tuple[str, ...] = ("files",)  # "files", "live"
    identifier_forms: tuple[str, ...] = ()  # human-readable, for docs and errors
    activity_kinds: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


class ProviderPlugin:
    """A base for provider plugins: every provider hook implemented once, answering only for
    ``info.name``.

    A subclass sets ``info`` and ``implementations``, which maps each purpose it supports to the
    ``"module:function"`` doing it, imported on first use (so that listing providers stays cheap).
    Purposes and the arguments their functions take: ``looks_like_export(path)``,
    ``load_export(path, progress)``, ``write_export(snapshot, out)``, ``collect(options, progress)``,
    ``resolve(snapshots)`` (required), ``explain(snapshots, request)``,
    ``normalize_identifier(identifier)``, ``parse_activity(source, progress)``,
    ``render_policy(identity, used, snapshots)``, ``finding_rules()``, ``cli_commands(subparsers)``.
    A purpose left out answers "not supported". Nothing here is required: a plugin may implement the
    hooks of :mod:`ciem.hookspec` directly, as the third-party example in ``tests/thirdparty`` does.
    """

    info: ProviderInfo
    implementations: dict[str, str] = {}

    def _implementation(self, purpose: str):
        target = self.implementations.get(purpose)
        if target is None:
            return None
        module, _, name = target.partition(":")
        return getattr(importlib.import_module(module), name)

    def _call(self, purpose: str, *args, unsupported: str = ""):
        """Call the implementation of ``purpose``; without one, a SourceError naming ``unsupported``
        if given, else ``None``."""
        function = self._implementation(purpose)
        if function is None:
            if unsupported:
                raise SourceError(f"{self.info.name}: {unsupported} is not supported")
            return None
        return function(*args)

    def _mine(self, snapshots) -> bool:
        return bool(snapshots) and snapshots[0].provider == self.info.name

    @hookspec.hookimpl
    def ciem_provider_info(self) -> ProviderInfo:
        return self.info

    @hookspec.hookimpl
    def ciem_detect_export(self, path: Path):
        return self.info.name if self._call("looks_like_export", path) else None

    @hookspec.hookimpl
    def ciem_load_export(self, provider: str, path: Path, progress):
        if provider != self.info.name:
            return None
        return self._call("load_export", path, progress, unsupported="reading exports")

    @hookspec.hookimpl
    def ciem_write_export(self, snapshot, out: Path):
        if snapshot.provider != self.info.name:
            return None
        self._call("write_export", snapshot, out, unsupported="writing exports")
        return True

    @hookspec.hookimpl
    def ciem_collect(self, provider: str, options, progress):
        if provider != self.info.name:
            return None
        return self._call("collect", options, progress, unsupported="live collection")

    @hookspec.hookimpl
    def ciem_resolve(self, snapshots):
        if not self._mine(snapshots):
            return None
        return self._call("resolve", snapshots, unsupported="resolving snapshots")

    @hookspec.hookimpl
    def ciem_explain(self, snapshots, request):
        return self._call("explain", snapshots, request) if self._mine(snapshots) else None

    @hookspec.hookimpl
    def ciem_normalize_identifier(self, identifier: str):
        return self._call("normalize_identifier", identifier)

    @hookspec.hookimpl
    def ciem_parse_activity(self, provider: str, source, progress):
        return self._call("parse_activity", source, progress) if provider == self.info.name else None

    @hookspec.hookimpl
    def ciem_render_policy(self, provider: str, identity: str, used, snapshots):
        if provider != self.info.name:
            return None
        return self._call("render_policy", identity, used, snapshots)

    @hookspec.hookimpl
    def ciem_finding_rules(self):
        return self._call("finding_rules") or ()

    @hookspec.hookimpl
    def ciem_cli_commands(self, subparsers) -> None:
        self._call("cli_commands", subparsers)


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
