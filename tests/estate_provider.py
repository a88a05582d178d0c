"""A test provider plugin serving the core test estate (tests/core_builders.py) from a small export file."""

from __future__ import annotations

import json
import time

from ciem.errors import InputError
from ciem.hookspec import hookimpl
from ciem.model import Decision, LayerVerdict
from ciem.patterns import glob_match
from ciem.providers import ProviderInfo

import core_builders


class EstateProvider:
    """The core test estate behind an export file ``{"testcloud": {"drop": [...], "slow": seconds}}``,
    with a simple evaluator for Explain and a session form ``session:NAME/ID`` for identifiers.

    ``drop`` removes identities, so that two refreshes can give different answers; ``slow`` makes
    resolving take that long, so that a test can interrupt a refresh."""

    @hookimpl
    def ciem_provider_info(self):
        return ProviderInfo(name=core_builders.PROVIDER, title="Test cloud")

    @hookimpl
    def ciem_detect_export(self, path):
        return core_builders.PROVIDER if path.suffix == ".json" and "testcloud" in path.read_text() else None

    @hookimpl
    def ciem_load_export(self, provider, path, progress):
        if provider != core_builders.PROVIDER:
            return None
        try:
            data = json.loads(path.read_text())["testcloud"]
        except (ValueError, KeyError) as error:
            raise InputError(path, "$.testcloud", f"not a testcloud export: {error}") from None
        snapshot = core_builders.snapshot(str(path))
        snapshot.data = data
        return snapshot

    @hookimpl
    def ciem_resolve(self, snapshots):
        """The estate without the identities the export lists under ``drop`` (and what names them)."""
        if snapshots[0].provider != core_builders.PROVIDER:
            return None
        time.sleep(snapshots[0].data.get("slow", 0))
        resolution = core_builders.estate()
        dropped = {f"tc:{name}" for name in snapshots[0].data.get("drop", [])}
        resolution.identities = [i for i in resolution.identities if i.id not in dropped]
        resolution.grants = [g for g in resolution.grants if g.identity not in dropped]
        resolution.edges = [e for e in resolution.edges if not {e.source, e.target} & dropped]
        resolution.admin = {k: v for k, v in resolution.admin.items() if k not in dropped}
        return resolution

    @hookimpl
    def ciem_normalize_identifier(self, identifier):
        if identifier.startswith("session:"):
            return "tc:" + identifier.removeprefix("session:").split("/", 1)[0]
        return None

    @hookimpl
    def ciem_explain(self, snapshots, request):
        if not snapshots or snapshots[0].provider != core_builders.PROVIDER:
            return None
        matching = [
            g for g in core_builders.estate().grants
            if g.identity == request.identity
            and any(glob_match(a, request.action, False) for a in g.actions)
            and any(glob_match(p, request.resource) for p in g.resources.include)
            and not any(glob_match(p, request.resource) for p in g.resources.exclude)
        ]
        missing = tuple(c for g in matching for c in g.conditions if c not in request.context)
        for deny in (g for g in matching if g.deny and not g.conditions):
            return Decision("explicitDeny", (LayerVerdict("identity", "deny", deny.provenance),))
        allows = [g for g in matching if not g.deny]
        if not allows:
            return Decision("implicitDeny", (LayerVerdict("identity", "no-match"),))
        verdict = "conditional" if missing else "allow"
        return Decision("conditional" if missing else "allowed",
                        (LayerVerdict("identity", verdict, allows[0].provenance),), missing)
