"""The Google Cloud provider plugin: thin calls into the modules that do the work, imported when first used."""

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

    def looks_like_export(self, path):
        from ciem_gcp.collect.export import looks_like_export

        return looks_like_export(path)

    def load_export(self, path, progress):
        from ciem_gcp.collect.export import load_export

        return load_export(path, progress)

    def write_export(self, snapshot, out):
        from ciem_gcp.collect.export import write_export

        write_export(snapshot, out)

    def collect(self, options, progress):
        from ciem_gcp.collect.live import collect

        return collect(options, progress)

    def resolve(self, snapshots):
        from ciem_gcp.resolve import resolve

        return resolve(snapshots)

    def explain(self, snapshots, request):
        from ciem_gcp.resolve import explain_request

        return explain_request(snapshots, request)

    def normalize_identifier(self, identifier):
        from ciem_gcp.members import normalize_identifier

        return normalize_identifier(identifier)

    def parse_activity(self, source, progress):
        from ciem_gcp.activity import parse_activity

        return parse_activity(source, progress)

    def render_policy(self, identity, used, snapshots):
        from ciem_gcp.rightsize import render_role

        return render_role(identity, used, snapshots)

    def finding_rules(self):
        from ciem_gcp.findings import finding_rules

        return finding_rules()


plugin = GcpProvider()
