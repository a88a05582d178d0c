"""Systems Manager: run commands or a shell on an SSM-managed instance that has a role."""

from __future__ import annotations

from ciem_aws.escalation.base import BISHOPFOX, UseExisting
from ciem_aws.resolve.resources import AwsResource

# SendCommand is also authorized on the document it runs; the caller may pick any (AWS-RunShellScript ...).
ANY_DOCUMENT = "arn:aws:ssm:*:*:document/*"


class OnManagedInstance(UseExisting):
    """Only an instance whose SSM agent reports Online (ssm describe-instance-information) runs it."""

    def usable(self, resource: AwsResource) -> bool:
        return bool(resource.extra.get("ssm_online"))


METHODS: tuple[OnManagedInstance, ...] = (
    OnManagedInstance("ssm:SendCommand", "ec2:instance", (("ssm:SendCommand", "{resource}"), ("ssm:SendCommand", ANY_DOCUMENT)), BISHOPFOX),
    OnManagedInstance("ssm:StartSession", "ec2:instance", (("ssm:StartSession", "{resource}"),), BISHOPFOX),
)
