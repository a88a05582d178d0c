"""The refresh loop: collect or load every source, resolve each provider, build, persist, swap.

A refresh either completes and replaces the serving index, or fails and leaves the last good index
serving: nothing is swapped until the new index is built and safely on disk.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pluggy

from ciem import store
from ciem.errors import CiemError, SourceError
from ciem.gcpause import paused_gc
from ciem.index import EffectiveAccessIndex
from ciem.model import Snapshot
from ciem.providers import detect_provider, provider_infos
from ciem.queries import precomputed, warm_reach
from ciem.usage import UsageStore, index_resolver

log = logging.getLogger(__name__)

Progress = Callable[[str, int, "int | None"], None]


def no_progress(what: str, done: int, total: int | None) -> None:
    """A progress callback that reports nothing."""


@dataclass(frozen=True)
class SourceSpec:
    """One configured source: export files at ``path``, or live collection with ``live`` options.

    ``provider`` may be left empty for files; it is then detected from the export.
    """

    provider: str = ""
    path: Path | None = None
    live: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.live is None):
            raise ValueError("a source is either files (path) or live options, not both or neither")
        if self.live is not None and not self.provider:
            raise ValueError("a live source must name its provider")

    def describe(self) -> str:
        return f"{self.provider or 'auto'}:{self.path}" if self.path is not None else f"{self.provider}:live"


@dataclass(frozen=True)
class ActivitySpec:
    """One configured activity source: ``source`` holds the provider's settings (a path, a bucket ...)."""

    provider: str
    source: Mapping[str, Any]

    def describe(self) -> str:
        where = self.source.get("path") or self.source.get("bucket") or self.source.get("kind") or "activity"
        return f"{self.provider}:{where}"


def load_usage(
    index: EffectiveAccessIndex,
    activity: Iterable[ActivitySpec],
    manager: pluggy.PluginManager,
    progress: Progress = no_progress,
) -> UsageStore:
    """Stream every activity source into a usage store attributed to the index's identities."""
    store = UsageStore()
    resolve = index_resolver(index, manager)
    for spec in activity:
        records = manager.hook.ciem_parse_activity(provider=spec.provider, source=spec.source, progress=progress)
        if records is None:
            raise SourceError(f"{spec.describe()}: no installed provider reads {spec.provider!r} activity")
        store.ingest(records, resolve, spec.describe())
    return store


def parse_input(text: str) -> SourceSpec:
    """``PROVIDER:PATH`` or a bare ``PATH`` (provider detected), as ``--input`` takes it."""
    provider, sep, rest = text.partition(":")
    if sep and provider.isidentifier() and not Path(text).exists():
        return SourceSpec(provider=provider, path=Path(rest))
    return SourceSpec(path=Path(text))


def load_snapshot(spec: SourceSpec, manager: pluggy.PluginManager, progress: Progress = no_progress) -> Snapshot:
    if spec.path is not None:
        provider = spec.provider or detect_provider(manager, spec.path)
        snapshot = manager.hook.ciem_load_export(provider=provider, path=spec.path, progress=progress)
    else:
        provider = spec.provider
        snapshot = manager.hook.ciem_collect(provider=provider, options=spec.live, progress=progress)
    if snapshot is None:
        known = ", ".join(sorted(provider_infos(manager))) or "none"
        raise SourceError(f"{spec.describe()}: no installed provider named {provider!r} (installed: {known})")
    return snapshot


def build_index(
    snapshots: Sequence[Snapshot],
    manager: pluggy.PluginManager,
    progress: Progress = no_progress,
    activity: Iterable[ActivitySpec] = (),
) -> EffectiveAccessIndex:
    """Resolve every provider's snapshots together and index the results, with their usage."""
    by_provider: dict[str, list[Snapshot]] = defaultdict(list)
    for snapshot in snapshots:
        by_provider[snapshot.provider].append(snapshot)
    resolutions = []
    for number, (provider, group) in enumerate(sorted(by_provider.items())):
        progress(f"resolving {provider}", number, len(by_provider))
        resolution = manager.hook.ciem_resolve(snapshots=group)
        if resolution is None:
            raise SourceError(f"no installed provider resolves {provider!r} snapshots")
        resolutions.append(resolution)
    progress("indexing", 0, None)
    index = EffectiveAccessIndex(resolutions, snapshots)
    index.usage = load_usage(index, activity, manager, progress)
    precomputed(index)
    progress("indexing", 1, 1)
    return index


def build_from_sources(
    specs: Iterable[SourceSpec],
    manager: pluggy.PluginManager,
    progress: Progress = no_progress,
    activity: Iterable[ActivitySpec] = (),
) -> EffectiveAccessIndex:
    with paused_gc():
        snapshots = [load_snapshot(spec, manager, progress) for spec in specs]
        return build_index(snapshots, manager, progress, activity)


def build_from_inputs(
    inputs: Iterable[str], manager: pluggy.PluginManager, progress: Progress = no_progress
) -> EffectiveAccessIndex:
    """The index for ``--input`` arguments, with no server and no persistence."""
    return build_from_sources([parse_input(text) for text in inputs], manager, progress)


@dataclass
class RefreshRecord:
    started_at: datetime
    finished_at: datetime | None = None
    error: str = ""


@dataclass
class IndexHolder:
    """Holds the serving index and refreshes it; readers just take ``current``.

    ``on_built`` callbacks (the findings sinks) run after each successful swap.
    """

    specs: Sequence[SourceSpec]
    manager: pluggy.PluginManager
    state_dir: Path | None = None
    progress: Progress = no_progress
    on_built: list[Callable[[EffectiveAccessIndex], None]] = field(default_factory=list)
    activity: Sequence[ActivitySpec] = ()
    current: EffectiveAccessIndex | None = None
    last_refresh: RefreshRecord | None = None
    warming: threading.Thread | None = None  # works out reach's per-identity answers for ``current``
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def load_persisted(self) -> bool:
        """Serve the index saved by an earlier run, if any."""
        if self.state_dir is None:
            return False
        index = store.load_index(self.state_dir)
        if index is None:
            return False
        self._serve(index)
        log.info("serving the persisted index built at %s", index.built_at.isoformat())
        return True

    def _serve(self, index: EffectiveAccessIndex) -> None:
        self.current = index
        self.warming = threading.Thread(target=warm_reach, args=(index,), name="ciem-warm", daemon=True)
        self.warming.start()

    @property
    def refreshing(self) -> bool:
        return self._lock.locked()

    def refresh(self) -> EffectiveAccessIndex:
        """Build a new index and swap it in; on any failure the old index keeps serving.

        Refreshes do not overlap: a second caller waits for the first to finish.
        """
        with self._lock:
            record = RefreshRecord(started_at=datetime.now(timezone.utc))
            self.last_refresh = record
            try:
                index = build_from_sources(self.specs, self.manager, self.progress, self.activity)
                if self.state_dir is not None:
                    store.save_index(index, self.state_dir)
            except Exception as error:
                record.error = str(error) if isinstance(error, CiemError) else f"{type(error).__name__}: {error}"
                record.finished_at = datetime.now(timezone.utc)
                log.error("refresh failed, the previous index keeps serving: %s", record.error)
                raise
            self._serve(index)
            record.finished_at = datetime.now(timezone.utc)
        for callback in self.on_built:
            try:
                callback(index)
            except Exception:  # a sink failing must not undo the refresh
                log.exception("a callback after refresh failed")
        return index

    def start_schedule(self, interval_seconds: float) -> None:
        """Refresh every ``interval_seconds`` in a background thread until :meth:`stop`."""
        if interval_seconds <= 0 or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval_seconds):
                try:
                    self.refresh()
                except Exception:
                    pass  # logged by refresh; the next tick tries again

        self._thread = threading.Thread(target=loop, name="ciem-refresh", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
