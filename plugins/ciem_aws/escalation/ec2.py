"""EC2 and Auto Scaling: launch an instance with a role's instance profile, change what an
existing instance with a role runs, or put a role's profile on an instance the caller runs code on."""

from __future__ import annotations

from dataclasses import dataclass

from ciem_aws.escalation import ssm
from ciem_aws.escalation.base import (
    BISHOPFOX, PATHFINDING, PMAPPER, RHINO, EscalationContext, EscalationMethod, PassRoleToNew, UseExisting, combine,
)
from ciem_aws.resolve.grants import Effective, Verdict
from ciem_aws.resolve.resources import AwsResource

SERVICE = ("ec2.amazonaws.com",)
INSTANCE = "arn:aws:ec2:*:{account}:instance/*"
LAUNCH_CONFIGURATION = "arn:aws:autoscaling:*:{account}:launchConfiguration:*:launchConfigurationName/*"
GROUP = "arn:aws:autoscaling:*:{account}:autoScalingGroup:*:autoScalingGroupName/*"
TEMPLATE = "arn:aws:ec2:*:{account}:launch-template/*"
HACKTRICKS = ("https://cloud.hacktricks.wiki/en/pentesting-cloud/aws-security/aws-privilege-escalation/"
              "aws-ec2-privesc/index.html")


class ConnectToRunning(UseExisting):
    """Only a running instance takes an SSH key."""

    def usable(self, resource: AwsResource) -> bool:
        return resource.extra.get("state") == "running"


# New user data runs at the next start, as root, with whatever profile the instance then has.
USER_DATA = UseExisting("ec2:ModifyInstanceAttribute+ec2:StopInstances+ec2:StartInstances", "ec2:instance",
                        (("ec2:ModifyInstanceAttribute", "{resource}"), ("ec2:StopInstances", "{resource}"),
                         ("ec2:StartInstances", "{resource}")), PATHFINDING + "ec2")


@dataclass
class OntoReachableInstance(PassRoleToNew):
    """Give an existing instance the role's instance profile, then run code on it (SSM or user data)
    to read the role's credentials from instance metadata. AWS associates a profile only with an
    instance that has none; one that has a profile needs the association replaced."""

    replaces: bool = False

    def on_resource(self, context: EscalationContext, source: Effective, resource: AwsResource) -> Verdict | None:
        if bool(resource.extra.get("profile")) != self.replaces:
            return None
        verdict = super().on_resource(context, source, resource)
        if verdict is None:
            return None
        for way in (*ssm.METHODS, USER_DATA):
            if way.usable(resource):
                reached = context.check(source, way.needs(resource))
                if reached is not None:
                    return combine(verdict, reached)
        return None


METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+ec2:RunInstances", SERVICE, (("ec2:RunInstances", INSTANCE),), RHINO,
                  needs_instance_profile=True),
    PassRoleToNew("iam:PassRole+ec2:RequestSpotInstances", SERVICE,
                  (("ec2:RequestSpotInstances", "arn:aws:ec2:*:{account}:spot-instances-request/*"),), PATHFINDING + "ec2",
                  needs_instance_profile=True),
    PassRoleToNew("iam:PassRole+autoscaling:CreateLaunchConfiguration+autoscaling:CreateAutoScalingGroup", SERVICE,
                  (("autoscaling:CreateLaunchConfiguration", LAUNCH_CONFIGURATION),
                   ("autoscaling:CreateAutoScalingGroup", GROUP)), PATHFINDING + "ec2", needs_instance_profile=True),
    PassRoleToNew("iam:PassRole+ec2:CreateLaunchTemplate+autoscaling:CreateAutoScalingGroup", SERVICE,
                  (("ec2:CreateLaunchTemplate", TEMPLATE), ("autoscaling:CreateAutoScalingGroup", GROUP)),
                  PATHFINDING + "ec2", needs_instance_profile=True),
    USER_DATA,
    ConnectToRunning("ec2-instance-connect:SendSSHPublicKey", "ec2:instance",
                     (("ec2-instance-connect:SendSSHPublicKey", "{resource}"),), BISHOPFOX),
    OntoReachableInstance("iam:PassRole+ec2:AssociateIamInstanceProfile", SERVICE,
                          (("ec2:AssociateIamInstanceProfile", "{resource}"),), PMAPPER, needs_instance_profile=True,
                          existing="ec2:instance"),
    OntoReachableInstance("iam:PassRole+ec2:ReplaceIamInstanceProfileAssociation", SERVICE,
                          (("ec2:ReplaceIamInstanceProfileAssociation", "{resource}"),), HACKTRICKS,
                          needs_instance_profile=True, existing="ec2:instance", replaces=True),
)
