"""The Azure provider plugin: thin calls into the modules that do the work, imported when first used."""

from __future__ import annotations

from ciem.providers import ProviderInfo, ProviderPlugin

from ciem_azure import PROVIDER


class AzureProvider(ProviderPlugin):
    info = ProviderInfo(
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

    def looks_like_export(self, path):
        from ciem_azure.collect.export import looks_like_export

        return looks_like_export(path)

    def load_export(self, path, progress):
        from ciem_azure.collect.export import load_export

        return load_export(path, progress)

    def write_export(self, snapshot, out):
        from ciem_azure.collect.export import write_export

        write_export(snapshot, out)

    def collect(self, options, progress):
        from ciem_azure.collect.live import collect

        return collect(options, progress)

    def resolve(self, snapshots):
        from ciem_azure.resolve import resolve

        return resolve(snapshots)

    def explain(self, snapshots, request):
        from ciem_azure.resolve import explain

        return explain(snapshots, request)

    def parse_activity(self, source, progress):
        from ciem_azure.activity import parse_activity

        return parse_activity(source, progress)

    def render_policy(self, identity, used, snapshots):
        from ciem_azure.rightsize import render_policy

        return render_policy(identity, used, snapshots)


plugin = AzureProvider()
