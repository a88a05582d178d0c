"""The ``ciem scan`` and ``ciem findings`` verbs.

``ciem scan`` builds the index from ``--input`` exports (or a configuration's sources and activity),
runs every rule and publishes the scan to the sinks (default: the SQLite store and the HTML report
in the state folder). ``ciem findings`` reads the SQLite store, with no server.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Column, Table

from ciem.errors import SourceError
from ciem.findings.engine import run_scan
from ciem.findings.serialize import finding_to_dict, identity_risk_to_dict
from ciem.sinks import default_sink_configs, make_sinks
from ciem.sinks.sqlite import FindingsStore

DEFAULT_STATE_DIR = Path(".ciem")


def add_cli(verbs: Any) -> None:
    """Add ``scan`` and ``findings`` to the ``ciem`` sub-parsers."""
    scan = verbs.add_parser("scan", help="compute findings and publish them to the sinks")
    source = scan.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", metavar="[PROVIDER:]PATH", action="append", default=[],
                        help="an export to scan (repeatable)")
    source.add_argument("--config", metavar="FILE", type=Path,
                        help="scan a configuration's sources and activity with its findings settings and sinks")
    scan.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                      help="with --input: where the default sinks write findings.sqlite and report.html (default: .ciem)")
    scan.add_argument("--sinks", type=Path, metavar="FILE",
                      help="a YAML or JSON list of sink configurations instead of the defaults")
    scan.set_defaults(func=cmd_scan)

    findings = verbs.add_parser("findings", help="list findings from the SQLite store")
    findings.add_argument("--db", type=Path, default=DEFAULT_STATE_DIR / "findings.sqlite",
                          help="the findings database (default: .ciem/findings.sqlite)")
    findings.add_argument("--status", choices=("open", "new", "resolved", "all"), default="open",
                          help="open includes new (default: open)")
    findings.add_argument("--min-score", type=int, default=0)
    findings.add_argument("--rule")
    findings.add_argument("--identities", action="store_true", help="list ranked identities instead")
    findings.add_argument("--format", choices=("table", "json"), default="table")
    findings.set_defaults(func=cmd_findings)


def cmd_scan(args: argparse.Namespace) -> int:
    from ciem.config import load_config
    from ciem.pipeline import build_from_inputs, build_from_sources

    config = load_config(args.config) if args.config else None
    if args.sinks:
        sink_configs = _sink_configs(args.sinks)
    elif config is not None and config.sinks is not None:
        sink_configs = list(config.sinks)
    else:
        state_dir = config.state_dir if config is not None and config.state_dir is not None else args.state_dir
        sink_configs = default_sink_configs(state_dir)
    sinks = make_sinks(args.manager, sink_configs)
    try:
        if config is not None:
            index = build_from_sources(config.sources, args.manager, activity=config.activity)
            scan = run_scan(index, args.manager, config=config.findings)
        else:
            index = build_from_inputs(args.input, args.manager)
            scan = run_scan(index, args.manager)
        for sink in sinks:
            sink.publish(scan)
    finally:
        for sink in sinks:
            sink.close()
    console = getattr(args, "console", None) or Console()
    console.print(f"{len(scan.findings)} findings over {len(scan.identities)} identities; "
                  f"published to {', '.join(c['kind'] for c in sink_configs)}", highlight=False)
    for note in scan.notes:
        console.print(f"note: {note}", highlight=False)
    return 0


def _sink_configs(path: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SourceError(f"{path}: cannot read the sink configurations: {error}") from None
    if not isinstance(raw, list):
        raise SourceError(f"{path}: expected a list of sink configurations")
    return raw


_STATUSES = {"open": ("new", "open"), "new": ("new",), "resolved": ("resolved",), "all": ("new", "open", "resolved")}


def cmd_findings(args: argparse.Namespace) -> int:
    store = FindingsStore(args.db, create=False)
    console = getattr(args, "console", None) or Console()
    try:
        if args.identities:
            risks = store.identities()
            if args.format == "json":
                console.print_json(json.dumps([identity_risk_to_dict(r) for r in risks]))
                return 0
            table = Table(Column("score", no_wrap=True), Column("severity", no_wrap=True), Column("identity", ratio=2),
                          Column("account", no_wrap=True), "human", "admin", Column("findings", no_wrap=True),
                          Column("why", ratio=3))
            for risk in risks:
                table.add_row(str(risk.score), risk.severity, risk.name, risk.account, _yes(risk.human),
                              _yes(risk.admin), str(len(risk.findings)), risk.explanation)
            console.print(table)
            return 0
        findings = store.findings(_STATUSES[args.status], args.min_score, args.rule)
        if args.format == "json":
            console.print_json(json.dumps([finding_to_dict(f) for f in findings]))
            return 0
        table = Table(Column("score", no_wrap=True), Column("severity", no_wrap=True), Column("status", no_wrap=True),
                      Column("rule", ratio=1), Column("finding", ratio=3), Column("account", no_wrap=True),
                      Column("first seen", no_wrap=True),
                      Column("id", no_wrap=True))
        for finding in findings:
            table.add_row(str(finding.score.value), finding.score.severity, finding.status.value, finding.rule,
                          finding.title, finding.account,
                          finding.first_seen.date().isoformat() if finding.first_seen else "",
                          finding.id)
        console.print(table)
        return 0
    finally:
        store.close()


def _yes(value: bool) -> str:
    return "yes" if value else ""
