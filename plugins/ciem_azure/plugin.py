"""The Azure provider plugin: which module does each part of the provider's work."""

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
    implementations = {
        "looks_like_export": "ciem_azure.collect.export:looks_like_export",
        "load_export": "ciem_azure.collect.export:load_export",
        "write_export": "ciem_azure.collect.export:write_export",
        "collect": "ciem_azure.collect.live:collect",
        "resolve": "ciem_azure.resolve:resolve",
        "explain": "ciem_azure.resolve:explain",
        "parse_activity": "ciem_azure.activity:parse_activity",
        "render_policy": "ciem_azure.rightsize:render_policy",
    }


plugin = AzureProvider()
