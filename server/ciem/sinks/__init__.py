"""Findings sinks: where each scan goes. Several may be active at once.

Sinks are made through the ``ciem_make_sink`` hook, so a plugin can add its own kinds; the built-in
kinds are ``sqlite`` (the embedded default), ``opensearch`` and ``html``. A sink configuration is a
mapping with ``kind`` and the kind's options (docs/findings.md lists them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

import pluggy

from ciem.errors import ConfigError
from ciem.findings.model import FindingsSink
from ciem.sinks import builtin

BUILTIN_KINDS = builtin.KINDS


def default_sink_configs(state_dir: Path) -> list[dict[str, Any]]:
    """The sinks used when none are configured: the SQLite store and the HTML report in ``state_dir``."""
    return [
        {"kind": "sqlite", "path": str(Path(state_dir) / "findings.sqlite")},
        {"kind": "html", "path": str(Path(state_dir) / "report.html")},
    ]


def make_sinks(manager: pluggy.PluginManager, sink_configs: Iterable[Mapping[str, Any]]) -> list[FindingsSink]:
    """One sink per configuration, from whichever plugin makes its kind (the built-in ones included).

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


__all__ = ["BUILTIN_KINDS", "default_sink_configs", "make_sinks"]
