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


class ProviderPlugin:
    """A base for provider plugins: every provider hook implemented once, answering only for
    ``info.name``, and delegating to the method of the same purpose.

    A subclass sets ``info`` and overrides what its provider supports; the rest answers as "not
    supported" (``None``, or a :class:`SourceError` for a source kind it cannot read). Nothing here is
    required: a plugin may implement the hooks of :mod:`ciem.hookspec` directly, as the third-party
    example in ``tests/thirdparty`` does.
    """

    info: ProviderInfo

    # -- what a provider overrides ----------------------------------------------------------------

    def looks_like_export(self, path: Path) -> bool:
        return False

    def load_export(self, path: Path, progress):
        raise SourceError(f"{self.info.name}: reading exports is not supported")

    def write_export(self, snapshot, out: Path) -> None:
        raise SourceError(f"{self.info.name}: writing exports is not supported")

    def collect(self, options, progress):
        raise SourceError(f"{self.info.name}: live collection is not supported")

    def resolve(self, snapshots):
        raise NotImplementedError(f"{self.info.name}: a provider must resolve its snapshots")

    def explain(self, snapshots, request):
        return None

    def normalize_identifier(self, identifier: str) -> str | None:
        return None

    def parse_activity(self, source, progress):
        return None

    def render_policy(self, identity: str, used, snapshots):
        return None

    def finding_rules(self):
        return ()

    def cli_commands(self, subparsers) -> None:
        return None

    # -- the hooks ----------------------------------------------------------------------------------

    def _mine(self, snapshots) -> bool:
        return bool(snapshots) and snapshots[0].provider == self.info.name

    @hookspec.hookimpl
    def ciem_provider_info(self) -> ProviderInfo:
        return self.info

    @hookspec.hookimpl
    def ciem_detect_export(self, path: Path):
        return self.info.name if self.looks_like_export(path) else None

    @hookspec.hookimpl
    def ciem_load_export(self, provider: str, path: Path, progress):
        return self.load_export(path, progress) if provider == self.info.name else None

    @hookspec.hookimpl
    def ciem_write_export(self, snapshot, out: Path):
        if snapshot.provider != self.info.name:
            return None
        self.write_export(snapshot, out)
        return True

    @hookspec.hookimpl
    def ciem_collect(self, provider: str, options, progress):
        return self.collect(options, progress) if provider == self.info.name else None

    @hookspec.hookimpl
    def ciem_resolve(self, snapshots):
        return self.resolve(snapshots) if self._mine(snapshots) else None

    @hookspec.hookimpl
    def ciem_explain(self, snapshots, request):
        return self.explain(snapshots, request) if self._mine(snapshots) else None

    @hookspec.hookimpl
    def ciem_normalize_identifier(self, identifier: str):
        return self.normalize_identifier(identifier)

    @hookspec.hookimpl
    def ciem_parse_activity(self, provider: str, source, progress):
        return self.parse_activity(source, progress) if provider == self.info.name else None

    @hookspec.hookimpl
    def ciem_render_policy(self, provider: str, identity: str, used, snapshots):
        return self.render_policy(identity, used, snapshots) if provider == self.info.name else None

    @hookspec.hookimpl
    def ciem_finding_rules(self):
        return self.finding_rules()

    @hookspec.hookimpl
    def ciem_cli_commands(self, subparsers) -> None:
        self.cli_commands(subparsers)


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
