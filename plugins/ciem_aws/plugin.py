"""The AWS provider plugin: thin calls into the modules that do the work, imported when first used."""

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

    def looks_like_export(self, path):
        from ciem_aws.collect.export import looks_like_export

        return looks_like_export(path)

    def load_export(self, path, progress):
        from ciem_aws.collect.export import load_export

        return load_export(path, progress)

    def write_export(self, snapshot, out):
        from ciem_aws.collect.export import write_export

        write_export(snapshot, out)

    def collect(self, options, progress):
        from ciem_aws.collect.live import collect

        return collect(options, progress)

    def resolve(self, snapshots):
        from ciem_aws.resolve import resolve

        return resolve(snapshots)

    def explain(self, snapshots, request):
        from ciem_aws.resolve import explain

        return explain(snapshots, request)

    def normalize_identifier(self, identifier):
        from ciem_aws.identifiers import normalize_identifier

        return normalize_identifier(identifier)

    def parse_activity(self, source, progress):
        from ciem_aws.activity import parse_activity

        return parse_activity(source, progress)

    def render_policy(self, identity, used, snapshots):
        from ciem_aws.rightsize import render_policy

        return render_policy(identity, used)

    def finding_rules(self):
        from ciem_aws.findings import finding_rules

        return finding_rules()

    def cli_commands(self, subparsers):
        from ciem_aws.simulate import add_cli

        add_cli(subparsers)


plugin = AwsProvider()
