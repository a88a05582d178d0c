"""One request evaluated for an identity of the snapshots, with every layer that applies to it.

Gathers the caller's identity policies, boundary and SCP levels, the resource's policy (a role's
trust policy, a KMS key policy with the key's grants, a bucket policy less what Block Public Access
voids), the RCPs of the resource's account, and what is known of the caller's context, and hands
them to :func:`ciem_aws.policy.evaluate.evaluate_request` with ``context_complete=False``.

Callers outside the collected accounts (an ARN of another account, its root, or ``aws:public``,
anyone, as an anonymous caller) are evaluated without
identity policies (they are unknown; an account root has every permission of its account), without
SCPs, and, for an account outside the collected organization, with aws:PrincipalOrgID decided when
the policies compare it with the organization's id alone (:func:`grants.decide_outside_org`).
"""

from __future__ import annotations

from typing import Any

from ciem.catalog import PermissionCatalog
from ciem.errors import NotFoundError, QueryError
from ciem.model import Decision, EvaluationRequest, Snapshot
from ciem.providers import PerSnapshots

from ciem_aws.identifiers import normalize_identifier, role_alias, split_arn
from ciem_aws.policy.document import Policy
from ciem_aws.policy.evaluate import CONDITIONAL, RequestContext, evaluate_request
from ciem_aws.policy.matching import PrincipalRef
from ciem_aws.resolve.grants import OTHER_ORGANIZATION, compares_org_only_to, principal_values
from ciem_aws.resolve.principals import Estate, Principal, build_estate
from ciem_aws.resolve.resource_policies import is_public_statement
from ciem_aws.resolve.resources import AwsResource, read_resources
from ciem_aws.resolve.trust import PUBLIC, PrincipalIndex


def _caller(model: "_Model", identifier: str) -> tuple[PrincipalRef, Principal | None]:
    if identifier.strip() == PUBLIC:
        return PrincipalRef.anonymous(), None
    normalized = normalize_identifier(identifier)
    if normalized is None:
        raise NotFoundError(f"{identifier!r} is not an AWS identity")
    estate = model.estate
    found = estate.principals.get(normalized) or model.principals.by_arn(normalized)
    if found is None:
        found = next((p for p in estate.principals.values()
                      if normalized in (p.unique_id, role_alias(p.name, p.account))), None)
    if found is not None:
        return PrincipalRef.from_arn(found.arn, service_linked=found.service_linked), found
    account = normalized.split(":")[4] if normalized.startswith("arn:") else ""
    info = estate.accounts.get(account)
    if account and not (info and info.collected) and ":iam::" in normalized:
        try:
            return PrincipalRef.from_arn(normalized), None
        except ValueError:
            pass
    raise NotFoundError(f"{identifier!r}: no such user, role or root user in the collected accounts")


class _Model:
    """What explain looks up in the snapshots: the estate, its resources by ARN, its principals."""

    def __init__(self, snapshots: list[Snapshot]):
        self.estate = build_estate(snapshots)
        self.principals = PrincipalIndex(self.estate)
        self.resources = {resource.arn: resource for resource in read_resources(self.estate)}

    def resource(self, arn: str) -> AwsResource | None:
        """The resource ``arn`` names: itself, or the bucket of an object ARN."""
        found = self.resources.get(arn)
        if found is None and "/" in arn:
            bucket = self.resources.get(arn.split("/", 1)[0])
            found = bucket if bucket is not None and bucket.type == "s3:bucket" else None
        return found


# Explain is asked about the serving index's snapshots again and again.
_model_of = PerSnapshots(_Model)


def _caller_values(estate: Estate, caller: PrincipalRef, principal: Principal | None) -> tuple[dict[str, Any], list[str]]:
    if principal is not None:
        return principal_values(estate, principal)
    if not caller.account:  # anyone: as the resolver reads it, a stranger that is not an AWS service
        return {"aws:PrincipalIsAWSService": "false"}, []
    values: dict[str, Any] = {"aws:PrincipalAccount": caller.account, "aws:PrincipalArn": caller.arn,
                              "aws:PrincipalIsAWSService": "false"}
    if estate.in_organization(caller.account):
        values["aws:PrincipalOrgID"] = estate.org_id
    return values, []


def explain(snapshots: list[Snapshot], request: EvaluationRequest, *,
            catalog: PermissionCatalog | None = None) -> Decision:
    """The decision AWS would make on ``request``, with each layer's verdict.

    :raises ciem.errors.NotFoundError: for an identity the snapshots do not hold.
    :raises ciem.errors.QueryError: for a malformed identity ARN, action or resource.
    """
    from ciem_aws.resolve import _catalog

    service, sep, name = request.action.partition(":")
    if not sep or not service or not name:
        raise QueryError(f"{request.action!r}: an AWS action is service:Action")
    if request.resource != "*":
        split_arn(request.resource)
    if request.action not in _catalog(catalog):
        raise QueryError(f"{request.action!r}: no such AWS action")
    model = _model_of(snapshots)
    estate = model.estate
    caller, principal = _caller(model, request.identity)
    resource = model.resource(request.resource)
    policy = resource.policy if resource else None
    target = estate.principals.get(request.resource) or model.principals.by_arn(request.resource)
    if target is not None and target.kind == "role":
        policy = target.trust
    if policy is not None and resource is not None and resource.extra.get("restrict_public") \
            and resource.account != caller.account:
        # S3 Block Public Access (RestrictPublicBuckets) voids public statements for other accounts.
        policy = Policy(policy.label, policy.version,
                        tuple(s for s in policy.statements if s.effect == "Deny" or not is_public_statement(s)))
    resource_account = resource.account if resource else (target.account if target else None)
    owner = estate.accounts.get(resource_account or caller.account)
    rcp_levels = (owner.rcp_levels or None) if owner else None
    values, absent = _caller_values(estate, caller, principal)
    if resource is not None:
        values["aws:ResourceAccount"] = resource.account
        values.update({f"aws:ResourceTag/{k}": v for k, v in resource.tags.items()})
    values.update(request.context)
    account = estate.accounts.get(caller.account)

    def evaluate(extra: dict[str, Any], more_absent: tuple[str, ...] = ()) -> Decision:
        return evaluate_request(RequestContext(
            caller=caller,
            action=request.action,
            resource=request.resource,
            identity_policies=list(principal.policies) if principal else [],
            permission_boundary=[principal.boundary] if principal and principal.boundary else None,
            scp_levels=(account.scp_levels or None) if principal and account else None,
            rcp_levels=rcp_levels,
            resource_policy=policy,
            resource_account=resource_account,
            management_account=next((a.id for a in estate.accounts.values() if a.management), None),
            context={**values, **extra},
            context_complete=False,
            absent_keys=frozenset(k.lower() for k in (*absent, *more_absent)),
        ))

    decision = evaluate({})
    if (decision.decision == CONDITIONAL and estate.in_organization(caller.account) is False
            and "aws:principalorgid" in {k.lower() for k in decision.missing_context}):
        conditions = [s.conditions for p in ([policy] if policy else []) for s in p.statements]
        conditions += [s.conditions for level in rcp_levels or [] for p in level for s in p.statements]
        if compares_org_only_to(conditions, estate.org_id):
            other = evaluate({"aws:PrincipalOrgID": OTHER_ORGANIZATION})
            outside = evaluate({}, ("aws:PrincipalOrgID",))
            if other.decision == outside.decision:
                return outside
    return decision
