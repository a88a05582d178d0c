"""The Google Cloud provider's hook implementations: thin calls into the modules that do the work."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ciem.hookspec import hookimpl
from ciem.providers import ProviderInfo

from ciem_gcp import PROVIDER


@hookimpl
def ciem_provider_info() -> ProviderInfo:
    return ProviderInfo(
        name=PROVIDER,
        title="Google Cloud",
        source_kinds=("files", "live"),
        identifier_forms=(
            "user:EMAIL / serviceAccount:EMAIL / group:EMAIL (IAM member strings)",
            "e-mail address, service account unique id",
            "projects/PROJECT/serviceAccounts/EMAIL",
            "principal://goog/subject/EMAIL, principal://iam.googleapis.com/projects/-/serviceAccounts/EMAIL",
            "principal://iam.googleapis.com/.../workloadIdentityPools/POOL/subject/SUBJECT, principalSet://...",
        ),
        activity_kinds=("audit-logs",),
    )


@hookimpl
def ciem_detect_export(path: Path) -> str | None:
    from ciem_gcp.collect.export import looks_like_export

    return PROVIDER if looks_like_export(path) else None


@hookimpl
def ciem_load_export(provider: str, path: Path, progress):
    if provider != PROVIDER:
        return None
    from ciem_gcp.collect.export import load_export

    return load_export(path, progress)


@hookimpl
def ciem_write_export(snapshot, out: Path):
    if snapshot.provider != PROVIDER:
        return None
    from ciem_gcp.collect.export import write_export

    write_export(snapshot, out)
    return True


@hookimpl
def ciem_collect(provider: str, options: Mapping[str, Any], progress):
    if provider != PROVIDER:
        return None
    from ciem_gcp.collect.live import collect

    return collect(options, progress)


@hookimpl
def ciem_resolve(snapshots):
    if not snapshots or snapshots[0].provider != PROVIDER:
        return None
    from ciem_gcp.resolve import resolve

    return resolve(snapshots)


@hookimpl
def ciem_explain(snapshots, request):
    if not snapshots or snapshots[0].provider != PROVIDER:
        return None
    from ciem_gcp.resolve import explain_request

    return explain_request(snapshots, request)


@hookimpl
def ciem_normalize_identifier(identifier: str):
    from ciem_gcp.members import normalize_identifier

    return normalize_identifier(identifier)


@hookimpl
def ciem_parse_activity(provider: str, source: Mapping[str, Any], progress):
    if provider != PROVIDER:
        return None
    from ciem_gcp.activity import parse_activity

    return parse_activity(source, progress)


@hookimpl
def ciem_render_policy(provider: str, identity: str, used, snapshots):
    if provider != PROVIDER:
        return None
    from ciem_gcp.rightsize import render_role

    return render_role(identity, used, snapshots)


@hookimpl
def ciem_finding_rules():
    from ciem_gcp.findings import finding_rules

    return finding_rules()
