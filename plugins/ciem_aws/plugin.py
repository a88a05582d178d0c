"""The AWS provider plugin: which module does each part of the provider's work."""

from __future__ import annotations

from ciem.providers import ProviderInfo, ProviderPlugin

from ciem_aws import PROVIDER


class AwsProvider(ProviderPlugin):
    info = ProviderInfo(
        name=PROVIDER,
        title="Amazon Web Services",
        source_kinds=("files", "live"),
        identifier_forms=(
            "arn:aws:iam::ACCOUNT:user/NAME",
            "arn:aws:iam::ACCOUNT:role/NAME",
            "arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION",
            "arn:aws:sts::ACCOUNT:federated-user/NAME",
            "access key id (AKIA... / ASIA...)",
        ),
        activity_kinds=("cloudtrail", "access-advisor"),
    )
    implementations = {
        "looks_like_export": "ciem_aws.collect.export:looks_like_export",
        "load_export": "ciem_aws.collect.export:load_export",
        "write_export": "ciem_aws.collect.export:write_export",
        "collect": "ciem_aws.collect.live:collect",
        "resolve": "ciem_aws.resolve:resolve",
        "explain": "ciem_aws.resolve:explain",
        "normalize_identifier": "ciem_aws.identifiers:normalize_identifier",
        "parse_activity": "ciem_aws.activity:parse_activity",
        "render_policy": "ciem_aws.rightsize:render_policy",
        "finding_rules": "ciem_aws.findings:finding_rules",
        "cli_commands": "ciem_aws.simulate:add_cli",
    }


plugin = AwsProvider()
