"""App Runner: a service runs the caller's image or source with its instance role."""

from __future__ import annotations

from ciem_aws.escalation.base import PATHFINDING, EscalationMethod, PassRoleToNew, UseExisting

REFERENCE = PATHFINDING + "apprunner"

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+apprunner:CreateService", ("tasks.apprunner.amazonaws.com",),
                  (("apprunner:CreateService", "arn:aws:apprunner:*:{account}:service/*"),), REFERENCE),
    PassRoleToNew("iam:PassRole+apprunner:UpdateService", ("tasks.apprunner.amazonaws.com",),
                  (("apprunner:UpdateService", "{resource}"),), REFERENCE, existing="apprunner:service"),
    UseExisting("apprunner:UpdateService", "apprunner:service", (("apprunner:UpdateService", "{resource}"),), REFERENCE),
)
