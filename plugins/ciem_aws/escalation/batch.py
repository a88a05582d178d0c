"""AWS Batch: a new job definition runs the caller's container with a job role.

A job role is an ECS task role (it trusts ``ecs-tasks.amazonaws.com``); Batch is the service it is
passed to. Job definitions and queues are not collected, so submitting an existing job definition
that already has a role is not a method here.
"""

from __future__ import annotations

from ciem_aws.escalation.base import PATHFINDING, EscalationMethod, PassRoleToNew

JOB_DEFINITION = "arn:aws:batch:*:{account}:job-definition/*"

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+batch:RegisterJobDefinition+batch:SubmitJob", ("ecs-tasks.amazonaws.com",),
                  (("batch:RegisterJobDefinition", JOB_DEFINITION), ("batch:SubmitJob", JOB_DEFINITION),
                   ("batch:SubmitJob", "arn:aws:batch:*:{account}:job-queue/*")), PATHFINDING + "batch",
                  passed_to="batch.amazonaws.com"),
)
