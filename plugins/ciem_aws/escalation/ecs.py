"""ECS: a task runs the caller's container with the task role, or the caller opens a shell in a
running task of a service."""

from __future__ import annotations

from ciem_aws.escalation.base import PATHFINDING, EscalationMethod, Need, PassRoleToNew, UseExisting
from ciem_aws.resolve.resources import AwsResource

SERVICE = ("ecs-tasks.amazonaws.com",)
TASK_DEFINITION = "arn:aws:ecs:*:{account}:task-definition/*"
REFERENCE = PATHFINDING + "ecs"
HACKTRICKS = ("https://cloud.hacktricks.wiki/en/pentesting-cloud/aws-security/aws-privilege-escalation/"
              "aws-ecs-privesc/index.html")


class ExecIntoService(UseExisting):
    """ECS Exec into a running task of a service whose tasks were started with it enabled; the
    shell reads the task role's credentials. ExecuteCommand is authorized on the cluster and on the task."""

    def usable(self, resource: AwsResource) -> bool:
        return (bool(resource.extra.get("execute_command")) and resource.extra.get("running", 0) > 0
                and ":cluster/" in resource.extra.get("cluster", ""))

    def needs(self, resource: AwsResource) -> list[Need]:
        cluster = resource.extra["cluster"]
        tasks = cluster.replace(":cluster/", ":task/", 1) + "/*"
        return [(action, arn, {}) for action, _ in self.actions for arn in (cluster, tasks)]


METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+ecs:RegisterTaskDefinition+ecs:RunTask", SERVICE,
                  (("ecs:RegisterTaskDefinition", "*"), ("ecs:RunTask", TASK_DEFINITION)), REFERENCE),
    PassRoleToNew("iam:PassRole+ecs:RegisterTaskDefinition+ecs:StartTask", SERVICE,
                  (("ecs:RegisterTaskDefinition", "*"), ("ecs:StartTask", TASK_DEFINITION)), REFERENCE),
    PassRoleToNew("iam:PassRole+ecs:RegisterTaskDefinition+ecs:CreateService", SERVICE,
                  (("ecs:RegisterTaskDefinition", "*"), ("ecs:CreateService", "arn:aws:ecs:*:{account}:service/*")),
                  REFERENCE),
    PassRoleToNew("iam:PassRole+ecs:RegisterTaskDefinition+ecs:UpdateService", SERVICE,
                  (("ecs:RegisterTaskDefinition", "*"), ("ecs:UpdateService", "{resource}")), REFERENCE, existing="ecs:service"),
    UseExisting("iam:PassRole+ecs:RunTask@existing-task-definition", "ecs:task-definition",
                (("ecs:RunTask", "{resource}"),), REFERENCE, pass_to="ecs-tasks.amazonaws.com"),
    ExecIntoService("ecs:ExecuteCommand", "ecs:service", (("ecs:ExecuteCommand", "{resource}"),), HACKTRICKS),
)
