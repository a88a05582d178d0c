"""The Google Cloud provider plugin: which module does each part of the provider's work."""

from __future__ import annotations

from ciem.providers import ProviderInfo, ProviderPlugin

from ciem_gcp import PROVIDER


class GcpProvider(ProviderPlugin):
    info = ProviderInfo(
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
    implementations = {
        "looks_like_export": "ciem_gcp.collect.export:looks_like_export",
        "load_export": "ciem_gcp.collect.export:load_export",
        "write_export": "ciem_gcp.collect.export:write_export",
        "collect": "ciem_gcp.collect.live:collect",
        "resolve": "ciem_gcp.resolve:resolve",
        "explain": "ciem_gcp.resolve:explain_request",
        "normalize_identifier": "ciem_gcp.members:normalize_identifier",
        "parse_activity": "ciem_gcp.activity:parse_activity",
        "render_policy": "ciem_gcp.rightsize:render_role",
        "finding_rules": "ciem_gcp.findings:finding_rules",
    }


plugin = GcpProvider()
