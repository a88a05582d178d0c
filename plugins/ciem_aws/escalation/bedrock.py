"""Bedrock AgentCore: a code interpreter runs the caller's code with its execution role."""

from __future__ import annotations

from ciem_aws.escalation.base import PATHFINDING, EscalationMethod, PassRoleToNew

# Any AgentCore resource of the account: the interpreter and its sessions are named by the caller.
AGENTCORE = "arn:aws:bedrock-agentcore:*:{account}:*"

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+bedrock-agentcore:CreateCodeInterpreter+bedrock-agentcore:StartCodeInterpreterSession"
                  "+bedrock-agentcore:InvokeCodeInterpreter", ("bedrock-agentcore.amazonaws.com",),
                  (("bedrock-agentcore:CreateCodeInterpreter", AGENTCORE),
                   ("bedrock-agentcore:StartCodeInterpreterSession", AGENTCORE),
                   ("bedrock-agentcore:InvokeCodeInterpreter", AGENTCORE)), PATHFINDING + "bedrock"),
)
