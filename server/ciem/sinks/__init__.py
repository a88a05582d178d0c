"""Findings sinks: where each scan goes. Several may be active at once.

Sinks are made through the ``ciem_make_sink`` hook, so a plugin can add its own kinds; the built-in
kinds are ``sqlite`` (the embedded default), ``opensearch`` and ``html``. A sink configuration is a
mapping with ``kind`` and the kind's options (docs/findings.md lists them).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pluggy

from ciem.errors import ConfigError
from ciem.findings.config import FindingsConfig
from ciem.findings.engine import run_scan
from ciem.findings.model import FindingsSink, Scan
from ciem.index import EffectiveAccessIndex
from ciem.sinks import builtin

log = logging.getLogger(__name__)

BUILTIN_KINDS = builtin.KINDS
# Options that name files or folders: relative values are taken relative to the configuration file.
PATH_OPTIONS = frozenset({"path", "history", "spool_dir", "ca_certs", "client_cert", "client_key"})


def default_sink_configs(state_dir: Path) -> list[dict[str, Any]]:
    """The sinks used when none are configured: the SQLite store and the HTML report in ``state_dir``."""
    return [
        {"kind": "sqlite", "path": str(Path(state_dir) / "findings.sqlite")},
        {"kind": "html", "path": str(Path(state_dir) / "report.html")},
    ]


def make_sinks(
    manager: pluggy.PluginManager, sink_configs: Iterable[Mapping[str, Any]], base_dir: Path | None = None
) -> list[FindingsSink]:
    """One sink per configuration, from whichever plugin makes its kind (the built-in ones included).

    With ``base_dir`` (the configuration file's folder), relative values of :data:`PATH_OPTIONS`
    are taken relative to it.

    :raises ConfigError: naming ``sinks[N]`` for a configuration without a kind, of an unknown kind,
        or with bad options.
    """
    if not manager.is_registered(builtin):
        manager.register(builtin, name="ciem.sinks.builtin")
    sinks: list[FindingsSink] = []
    try:
        for number, config in enumerate(sink_configs):
            where = f"sinks[{number}]"
            if not isinstance(config, Mapping) or not isinstance(config.get("kind"), str):
                raise ConfigError(f"{where}: expected a mapping with a kind ({', '.join(BUILTIN_KINDS)} or a plugin's)")
            options = {key: value for key, value in config.items() if key != "kind"}
            if base_dir is not None:
                for key in PATH_OPTIONS & set(options):
                    if isinstance(options[key], str) and not Path(options[key]).expanduser().is_absolute():
                        options[key] = str(base_dir / options[key])
            try:
                sink = manager.hook.ciem_make_sink(kind=config["kind"], options=options)
            except ConfigError as error:
                raise ConfigError(f"{where}: {error}") from None
            if sink is None:
                raise ConfigError(f"{where}.kind: no installed plugin makes {config['kind']!r} sinks (built in: {', '.join(BUILTIN_KINDS)})")
            sinks.append(sink)
    except BaseException:
        for sink in sinks:
            sink.close()
        raise
    return sinks


def publish_on_build(
    manager: pluggy.PluginManager, sinks: list[FindingsSink], config: FindingsConfig | None = None
) -> Callable[[EffectiveAccessIndex], Scan]:
    """A callback for :attr:`ciem.pipeline.IndexHolder.on_built`: scan each new index and publish
    the scan to every sink. One sink failing does not keep the scan from the others."""

    def publish(index: EffectiveAccessIndex) -> Scan:
        scan = run_scan(index, manager, config=config)
        for sink in sinks:
            try:
                sink.publish(scan)
            except Exception:
                log.exception("findings sink %s failed to take scan %s", type(sink).__name__, scan.id)
        log.info("scan %s: %d findings over %d identities published to %d sink(s)",
                 scan.id, len(scan.findings), len(scan.identities), len(sinks))
        return scan

    return publish


__all__ = ["BUILTIN_KINDS", "PATH_OPTIONS", "default_sink_configs", "make_sinks", "publish_on_build"]
