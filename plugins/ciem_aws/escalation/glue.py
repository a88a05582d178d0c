"""Glue: a development endpoint or a job running the caller's code as a role."""

from __future__ import annotations

from ciem_aws.escalation.base import PATHFINDING, RHINO, EscalationMethod, PassRoleToNew, UseExisting

SERVICE = ("glue.amazonaws.com",)
ENDPOINT = "arn:aws:glue:*:{account}:devEndpoint/*"
JOB = "arn:aws:glue:*:{account}:job/*"
TRIGGER = "arn:aws:glue:*:{account}:trigger/*"
SESSION = "arn:aws:glue:*:{account}:session/*"  # an interactive session

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+glue:CreateDevEndpoint", SERVICE, (("glue:CreateDevEndpoint", ENDPOINT),), RHINO),
    UseExisting("glue:UpdateDevEndpoint", "glue:devendpoint", (("glue:UpdateDevEndpoint", "{resource}"),), RHINO),
    PassRoleToNew("iam:PassRole+glue:CreateJob+glue:StartJobRun", SERVICE,
                  (("glue:CreateJob", JOB), ("glue:StartJobRun", JOB)), PATHFINDING + "glue"),
    PassRoleToNew("iam:PassRole+glue:CreateJob+glue:CreateTrigger", SERVICE,
                  (("glue:CreateJob", JOB), ("glue:CreateTrigger", TRIGGER)), PATHFINDING + "glue"),
    PassRoleToNew("iam:PassRole+glue:CreateSession+glue:RunStatement", SERVICE,
                  (("glue:CreateSession", SESSION), ("glue:RunStatement", SESSION)), PATHFINDING + "glue"),
    UseExisting("iam:PassRole+glue:UpdateJob+glue:StartJobRun", "glue:job",
                (("glue:UpdateJob", "{resource}"), ("glue:StartJobRun", "{resource}")), PATHFINDING + "glue",
                pass_to="glue.amazonaws.com"),
)
