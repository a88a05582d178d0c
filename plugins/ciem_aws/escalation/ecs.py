"""ECS: a task runs the caller's container with the task role."""

from __future__ import annotations

from ciem_aws.escalation.base import PATHFINDING, EscalationMethod, PassRoleToNew, UseExisting

SERVICE = ("ecs-tasks.amazonaws.com",)
TASK_DEFINITION = "arn:aws:ecs:*:{account}:task-definition/*"
REFERENCE = PATHFINDING + "ecs"

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
)
