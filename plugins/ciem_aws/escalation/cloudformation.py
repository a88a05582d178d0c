"""CloudFormation: a stack whose template creates what the caller wants, run as a service role."""

from __future__ import annotations

from ciem_aws.escalation.base import BISHOPFOX, PATHFINDING, PMAPPER, RHINO, EscalationMethod, PassRoleToNew, UseExisting

SERVICE = ("cloudformation.amazonaws.com",)
STACK = "arn:aws:cloudformation:*:{account}:stack/*"

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+cloudformation:CreateStack", SERVICE, (("cloudformation:CreateStack", STACK),), RHINO),
    PassRoleToNew("iam:PassRole+cloudformation:CreateChangeSet+cloudformation:ExecuteChangeSet", SERVICE,
                  (("cloudformation:CreateChangeSet", STACK), ("cloudformation:ExecuteChangeSet", STACK)),
                  PATHFINDING + "cloudformation"),
    PassRoleToNew("iam:PassRole+cloudformation:UpdateStack", SERVICE, (("cloudformation:UpdateStack", "{resource}"),),
                  PMAPPER, existing="cloudformation:stack"),
    UseExisting("cloudformation:UpdateStack", "cloudformation:stack",
                (("cloudformation:UpdateStack", "{resource}"),), BISHOPFOX),
    UseExisting("cloudformation:CreateChangeSet+cloudformation:ExecuteChangeSet@existing-stack", "cloudformation:stack",
                (("cloudformation:CreateChangeSet", "{resource}"), ("cloudformation:ExecuteChangeSet", "{resource}")),
                PATHFINDING + "cloudformation"),
)
