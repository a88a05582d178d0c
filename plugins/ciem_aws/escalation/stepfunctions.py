"""Step Functions: a state machine calls any AWS API as its role."""

from __future__ import annotations

from ciem_aws.escalation.base import PATHFINDING, EscalationMethod, PassRoleToNew

STATE_MACHINE = "arn:aws:states:*:{account}:stateMachine:*"

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+states:CreateStateMachine+states:StartExecution", ("states.amazonaws.com",),
                  (("states:CreateStateMachine", STATE_MACHINE), ("states:StartExecution", STATE_MACHINE)),
                  PATHFINDING),
)
