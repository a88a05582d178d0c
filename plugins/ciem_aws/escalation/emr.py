"""EMR: a new cluster runs the caller's step on EC2 nodes with the job flow role's instance profile."""

from __future__ import annotations

from ciem_aws.escalation.base import PASS_ROLE, PATHFINDING, EscalationContext, EscalationMethod, Need, PassRoleToNew
from ciem_aws.resolve.grants import Effective
from ciem_aws.resolve.principals import Principal

EMR = "elasticmapreduce.amazonaws.com"


class RunJobFlow(PassRoleToNew):
    """The target is the job flow role (it trusts EC2); RunJobFlow also passes a service role that
    trusts EMR, so the caller must be allowed to pass one of those too."""

    def extra_needs(self, context: EscalationContext, source: Effective, role: Principal) -> list[Need] | None:
        needs = super().extra_needs(context, source, role)
        if needs is None:
            return None
        for service_role, _ in context.roles_trusting(EMR, role.account):
            pass_service_role: Need = (PASS_ROLE, service_role.arn, {"iam:PassedToService": EMR})
            if context.check(source, [pass_service_role]) is not None:
                return [*needs, pass_service_role]
        return None


METHODS: tuple[EscalationMethod, ...] = (
    RunJobFlow("iam:PassRole+elasticmapreduce:RunJobFlow", ("ec2.amazonaws.com",),
               (("elasticmapreduce:RunJobFlow", "*"),), PATHFINDING + "emr", needs_instance_profile=True, passed_to=EMR),
)
