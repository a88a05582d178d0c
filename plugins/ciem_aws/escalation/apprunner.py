"""App Runner: a service runs the caller's image or source with its instance role."""

from __future__ import annotations

from ciem_aws.escalation.base import PATHFINDING, EscalationMethod, PassRoleToNew, UseExisting

REFERENCE = PATHFINDING + "apprunner"
# The instance role trusts tasks.apprunner.amazonaws.com; it is passed to apprunner.amazonaws.com
# (the iam:PassedToService value AWSAppRunnerFullAccess allows).
TRUSTED, PASSED_TO = ("tasks.apprunner.amazonaws.com",), "apprunner.amazonaws.com"

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+apprunner:CreateService", TRUSTED,
                  (("apprunner:CreateService", "arn:aws:apprunner:*:{account}:service/*"),), REFERENCE, passed_to=PASSED_TO),
    PassRoleToNew("iam:PassRole+apprunner:UpdateService", TRUSTED,
                  (("apprunner:UpdateService", "{resource}"),), REFERENCE, existing="apprunner:service", passed_to=PASSED_TO),
    UseExisting("apprunner:UpdateService", "apprunner:service", (("apprunner:UpdateService", "{resource}"),), REFERENCE),
)
