"""EC2 and Auto Scaling: launch an instance with a role's instance profile, or change what an
existing instance with a role runs."""

from __future__ import annotations

from ciem_aws.escalation.base import BISHOPFOX, PATHFINDING, RHINO, EscalationMethod, PassRoleToNew, UseExisting
from ciem_aws.resolve.resources import AwsResource

SERVICE = ("ec2.amazonaws.com",)
INSTANCE = "arn:aws:ec2:*:{account}:instance/*"
LAUNCH_CONFIGURATION = "arn:aws:autoscaling:*:{account}:launchConfiguration:*:launchConfigurationName/*"
GROUP = "arn:aws:autoscaling:*:{account}:autoScalingGroup:*:autoScalingGroupName/*"
TEMPLATE = "arn:aws:ec2:*:{account}:launch-template/*"


class ConnectToRunning(UseExisting):
    """Only a running instance takes an SSH key."""

    def usable(self, resource: AwsResource) -> bool:
        return resource.extra.get("state") == "running"


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
    UseExisting("ec2:ModifyInstanceAttribute+ec2:StopInstances+ec2:StartInstances", "ec2:instance",
                (("ec2:ModifyInstanceAttribute", "{resource}"), ("ec2:StopInstances", "{resource}"),
                 ("ec2:StartInstances", "{resource}")), PATHFINDING + "ec2"),
    ConnectToRunning("ec2-instance-connect:SendSSHPublicKey", "ec2:instance",
                     (("ec2-instance-connect:SendSSHPublicKey", "{resource}"),), BISHOPFOX),
)
