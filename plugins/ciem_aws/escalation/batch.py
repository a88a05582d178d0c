"""AWS Batch: a job runs the caller's command with a job role, from a new job definition or from an
existing one (SubmitJob overrides its command).

A job role is an ECS task role (it trusts ``ecs-tasks.amazonaws.com``); Batch is the service it is
passed to. SubmitJob is authorized on the job definition and on a job queue; queues are not
collected, so the account is assumed to have one.
"""

from __future__ import annotations

from ciem_aws.escalation.base import PATHFINDING, EscalationMethod, PassRoleToNew, UseExisting

JOB_DEFINITION = "arn:aws:batch:*:{account}:job-definition/*"
JOB_QUEUE = "arn:aws:batch:*:{account}:job-queue/*"
REFERENCE = PATHFINDING + "batch"

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+batch:RegisterJobDefinition+batch:SubmitJob", ("ecs-tasks.amazonaws.com",),
                  (("batch:RegisterJobDefinition", JOB_DEFINITION), ("batch:SubmitJob", JOB_DEFINITION),
                   ("batch:SubmitJob", JOB_QUEUE)), REFERENCE, passed_to="batch.amazonaws.com"),
    UseExisting("batch:SubmitJob@existing-job-definition", "batch:job-definition",
                (("batch:SubmitJob", "{resource}"), ("batch:SubmitJob", JOB_QUEUE)), REFERENCE),
)
