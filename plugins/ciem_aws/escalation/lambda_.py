"""Lambda: run code as a role through a new function, or change the code or layers of an existing one."""

from __future__ import annotations

from ciem_aws.escalation.base import PATHFINDING, PMAPPER, RHINO, EscalationMethod, PassRoleToNew, UseExisting

SERVICE = ("lambda.amazonaws.com",)
FUNCTION = "arn:aws:lambda:*:{account}:function:*"

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+lambda:CreateFunction+lambda:InvokeFunction", SERVICE,
                  (("lambda:CreateFunction", FUNCTION), ("lambda:InvokeFunction", FUNCTION)), RHINO),
    PassRoleToNew("iam:PassRole+lambda:CreateFunction+lambda:CreateEventSourceMapping", SERVICE,
                  (("lambda:CreateFunction", FUNCTION), ("lambda:CreateEventSourceMapping", "*")), RHINO),
    PassRoleToNew("iam:PassRole+lambda:CreateFunction+lambda:AddPermission", SERVICE,
                  (("lambda:CreateFunction", FUNCTION), ("lambda:AddPermission", FUNCTION)), PATHFINDING + "lambda"),
    UseExisting("lambda:UpdateFunctionCode", "lambda:function",
                (("lambda:UpdateFunctionCode", "{resource}"),), RHINO),
    UseExisting("lambda:UpdateFunctionConfiguration", "lambda:function",
                (("lambda:UpdateFunctionConfiguration", "{resource}"),), RHINO),
    # Switch an existing function (its triggers keep invoking it) to another role.
    PassRoleToNew("iam:PassRole+lambda:UpdateFunctionConfiguration", SERVICE,
                  (("lambda:UpdateFunctionConfiguration", "{resource}"),), PMAPPER, existing="lambda:function"),
)
