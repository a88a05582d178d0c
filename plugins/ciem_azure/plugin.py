"""The Azure provider's hook implementations: thin calls into the modules that do the work."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ciem.hookspec import hookimpl
from ciem.providers import ProviderInfo

from ciem_azure import PROVIDER


@hookimpl
def ciem_provider_info() -> ProviderInfo:
    return ProviderInfo(
        name=PROVIDER,
        title="Microsoft Azure and Entra ID",
        source_kinds=("files", "live"),
        identifier_forms=(
            "object id (GUID)",
            "user principal name (user@domain)",
            "application (client) id",
            "managed identity resource id (/subscriptions/.../userAssignedIdentities/NAME)",
        ),
        activity_kinds=("activity-log",),
    )


@hookimpl
def ciem_detect_export(path: Path) -> str | None:
    from ciem_azure.collect.export import looks_like_export

    return PROVIDER if looks_like_export(path) else None


@hookimpl
def ciem_load_export(provider: str, path: Path, progress):
    if provider != PROVIDER:
        return None
    from ciem_azure.collect.export import load_export

    return load_export(path, progress)


@hookimpl
def ciem_write_export(snapshot, out: Path):
    if snapshot.provider != PROVIDER:
        return None
    from ciem_azure.collect.export import write_export

    write_export(snapshot, out)
    return True


@hookimpl
def ciem_resolve(snapshots):
    if not snapshots or snapshots[0].provider != PROVIDER:
        return None
    from ciem_azure.resolve import resolve

    return resolve(snapshots)


@hookimpl
def ciem_explain(snapshots, request):
    if not snapshots or snapshots[0].provider != PROVIDER:
        return None
    from ciem_azure.resolve import explain

    return explain(snapshots, request)


@hookimpl
def ciem_collect(provider: str, options: Mapping[str, Any], progress):
    if provider != PROVIDER:
        return None
    from ciem_azure.collect.live import collect

    return collect(options, progress)


@hookimpl
def ciem_parse_activity(provider: str, source: Mapping[str, Any], progress):
    if provider != PROVIDER:
        return None
    from ciem_azure.activity import parse_activity

    return parse_activity(source, progress)


@hookimpl
def ciem_render_policy(provider: str, identity: str, used, snapshots):
    if provider != PROVIDER:
        return None
    from ciem_azure.rightsize import render_policy

    return render_policy(identity, used, snapshots)
