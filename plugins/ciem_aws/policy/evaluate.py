"""One request evaluated with AWS's policy evaluation logic, every layer's verdict recorded.

Follows https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
reference_policies_evaluation-logic-cross-account.html and access_policies_boundaries.html:

1. An explicit Deny in any layer (SCP, RCP, resource, identity, boundary, session) decides.
2. SCPs (principals of member accounts; not the management account, not service-linked roles):
   every level of the path root > OUs > account must allow. RCPs likewise for the resource's
   account, for the services that support them.
3. Same account: the identity-based path (identity AND boundary AND session) or the resource
   policy allows. A resource-policy Allow that names the caller itself (IAM user, role session or
   federated-user session ARN) stands even against an implicit deny in the boundary or session
   policy; one that names the caller's role (or the user behind a federated-user session) is
   limited by them; one that names only the account delegates to identity-based policies.
4. Cross account: the resource policy (naming the caller, its role or its account) AND the
   identity-based path must allow.
5. KMS key policies and role trust policies must allow on the resource side even in the same
   account; naming the account root there delegates to identity-based policies.

Unknown context (analysis) is three-valued: a decision that hinges on it is "conditional".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ciem.model import Decision, LayerVerdict
from ciem_aws.policy.conditions import evaluate_conditions
from ciem_aws.policy.document import Policy, Statement
from ciem_aws.policy.matching import (
    ACCOUNT,
    ANONYMOUS,
    ASSUMED_ROLE,
    DIRECT,
    FEDERATED_USER,
    ISSUER,
    ROLE,
    ROOT,
    SERVICE,
    USER,
    PrincipalRef,
    principal_match_kind,
    statement_action_matches,
    statement_resource_match,
)
from ciem_aws.policy.variables import ContextView

ALLOWED, IMPLICIT_DENY, EXPLICIT_DENY, CONDITIONAL = "allowed", "implicitDeny", "explicitDeny", "conditional"
LAYERS = ("scp", "rcp", "resource", "identity", "boundary", "session")
NOT_APPLICABLE = "not-applicable"

# Services whose resources RCPs govern (AWS Organizations user guide, "Resource control policies":
# the launch set plus the services added since).
RCP_SERVICES = frozenset({
    "s3", "sts", "kms", "sqs", "secretsmanager",
    "ecr", "aoss", "cognito-idp", "logs", "dynamodb",
})
# Actions a role trust policy decides, besides the identity-based side.
TRUST_ACTIONS = frozenset({
    "sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
    "sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
})
# Always allowed: AWS evaluates no policy, not even an explicit Deny.
UNCONDITIONAL_ACTIONS = frozenset({"sts:getcalleridentity"})

_PRINCIPAL_TYPE = {
    USER: "User", ROLE: "AssumedRole", ASSUMED_ROLE: "AssumedRole",
    FEDERATED_USER: "FederatedUser", ROOT: "Account", ANONYMOUS: "Anonymous",
}


@dataclass
class RequestContext:
    """Everything one request's evaluation needs.

    ``scp_levels`` and ``rcp_levels`` run from the organization root down to the account, each level
    the policies attached there; None means the account is not in an organization (or the
    caller chose not to model it). ``resource_account`` defaults to the account in the resource
    ARN, else the caller's. ``absent_keys`` are keys known not to be in the request even when the
    context is incomplete.
    """

    caller: PrincipalRef
    action: str
    resource: str
    identity_policies: list[Policy] = field(default_factory=list)
    permission_boundary: list[Policy] | None = None
    session_policies: list[Policy] | None = None
    scp_levels: list[list[Policy]] | None = None
    rcp_levels: list[list[Policy]] | None = None
    resource_policy: Policy | None = None
    resource_account: str | None = None
    management_account: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    context_complete: bool = False
    absent_keys: frozenset[str] = frozenset()


def _and(*values: bool | None) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(*values: bool | None) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


@dataclass
class _Layer:
    """What one layer's statements say: Allow and Deny as three-valued facts, with the labels of the
    statements that apply for certain and of those that might."""

    allow: bool | None = False
    deny: bool | None = False
    allow_labels: list[str] = field(default_factory=list)
    deny_labels: list[str] = field(default_factory=list)
    maybe_labels: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # context keys a "maybe" statement hinges on
    absent: list[str] = field(default_factory=list)  # keys referenced but absent (complete context)
    allow_by_facet: dict[str, bool | None] = field(default_factory=dict)

    def add(self, stmt: Statement, applies: bool | None, facet: str) -> None:
        if applies is False:
            return
        if stmt.effect == "Deny":
            self.deny = _or(self.deny, applies)
            (self.deny_labels if applies else self.maybe_labels).append(stmt.label)
            return
        self.allow = _or(self.allow, applies)
        self.allow_by_facet[facet] = _or(self.allow_by_facet.get(facet, False), applies)
        (self.allow_labels if applies else self.maybe_labels).append(stmt.label)

    def facet(self, name: str) -> bool | None:
        return self.allow_by_facet.get(name, False)


class _Evaluator:
    def __init__(self, request: RequestContext):
        self.request = request
        caller = request.caller
        self.resource_account = request.resource_account or _arn_account(request.resource) or caller.account
        self.view = ContextView(request.context, complete=request.context_complete, absent=request.absent_keys)
        self.view = self.view.with_defaults(*_principal_context(caller, self.resource_account))
        self.has_boundary = bool(request.permission_boundary)

    def statement(self, stmt: Statement, version: str, *, resource_layer: bool = False) -> tuple[bool | None, str, list[str], list[str]]:
        """(applies, principal facet, unknown keys, absent keys) for one statement."""
        request = self.request
        if not statement_action_matches(stmt, request.action):
            return False, "", [], []
        facet = principal_match_kind(stmt, request.caller) if resource_layer or stmt.principals or stmt.not_principals else DIRECT
        if resource_layer and stmt.principals is None and stmt.not_principals is None:
            facet = None  # a resource policy statement without Principal names nobody
        if resource_layer and self.has_boundary and stmt.effect == "Deny" and stmt.not_principals is not None and request.caller.is_iam:
            # access_policies_boundaries.html: a Deny with NotPrincipal in a resource policy always
            # denies an IAM principal that has a permissions boundary.
            facet = DIRECT
        if facet is None:
            return False, "", [], []
        resource, resource_unknown = statement_resource_match(stmt, request.resource, self.view, version)
        if resource is False:
            return False, facet, [], []
        result = evaluate_conditions(stmt.conditions, self.view, context_complete=self.view.complete, version=version)
        applies = _and(resource, result.value)
        unknown = list(resource_unknown) + ([] if self.view.complete else list(result.missing))
        absent = list(result.missing) if self.view.complete else []
        return applies, facet, unknown, absent

    def layer(self, policies: Iterable[Policy], *, resource_layer: bool = False) -> _Layer:
        layer = _Layer()
        for policy in policies:
            for stmt in policy.statements:
                applies, facet, unknown, absent = self.statement(stmt, policy.version, resource_layer=resource_layer)
                layer.add(stmt, applies, facet)
                layer.absent.extend(absent)
                if applies is None:
                    layer.unknown.extend(unknown)
        return layer

    def levels(self, levels: list[list[Policy]]) -> tuple[_Layer, str]:
        """Control policies: a Deny at any level denies; every level must allow."""
        combined = _Layer(allow=True)
        failing = []
        for index, policies in enumerate(levels, start=1):
            level = self.layer(policies)
            combined.deny = _or(combined.deny, level.deny)
            combined.allow = _and(combined.allow, level.allow)
            if level.allow is False:
                failing.append(str(index))
            for name in ("allow_labels", "deny_labels", "maybe_labels", "unknown", "absent"):
                getattr(combined, name).extend(getattr(level, name))
        detail = f"no statement allows the action at level {', '.join(failing)} of {len(levels)}" if failing else ""
        return combined, detail


def _arn_account(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4].isdigit() and len(parts[4]) == 12 else ""


def _principal_context(caller: PrincipalRef, resource_account: str) -> tuple[dict[str, Any], list[str]]:
    """Global condition keys every request of this caller carries, and those it never carries."""
    values: dict[str, Any] = {}
    absent: list[str] = []
    if caller.kind == SERVICE:
        values["aws:PrincipalIsAWSService"] = "true"
        values["aws:PrincipalServiceName"] = caller.service
    elif caller.kind != ANONYMOUS:
        values["aws:PrincipalIsAWSService"] = "false"
        absent.append("aws:PrincipalServiceName")
    if caller.account:
        values["aws:PrincipalAccount"] = caller.account
    if caller.arn:
        values["aws:PrincipalArn"] = caller.issuer_arn if caller.kind in (ASSUMED_ROLE, ROLE) else caller.arn
    if caller.kind in _PRINCIPAL_TYPE:
        values["aws:PrincipalType"] = _PRINCIPAL_TYPE[caller.kind]
    if caller.kind == USER and caller.arn:
        values["aws:username"] = caller.arn.rsplit("/", 1)[-1]
    elif caller.kind != USER:
        absent.append("aws:username")
    if resource_account:
        values["aws:ResourceAccount"] = resource_account
    return values, absent


def _is_trust_request(action: str, resource: str) -> bool:
    return action.lower() in TRUST_ACTIONS and ":role/" in resource and resource.split(":", 3)[2:3] == ["iam"]


def _is_key_request(action: str, resource: str) -> bool:
    return action.lower().startswith("kms:") and resource.startswith("arn:") and ":key/" in resource


def _verdict(name: str, layer: _Layer, detail: str = "") -> LayerVerdict:
    if layer.deny is True:
        return LayerVerdict(name, "deny", tuple(layer.deny_labels), detail)
    if layer.deny is None or layer.allow is None:
        return LayerVerdict(name, "conditional", tuple(layer.deny_labels + layer.allow_labels + layer.maybe_labels), detail)
    if layer.allow:
        return LayerVerdict(name, "allow", tuple(layer.allow_labels), detail)
    return LayerVerdict(name, "no-match", (), detail)


def _not_applicable(name: str, reason: str) -> LayerVerdict:
    return LayerVerdict(name, NOT_APPLICABLE, (), reason)


def _control_exemption(request: RequestContext, name: str, resource_account: str) -> str:
    """Why the SCP or RCP layer does not govern this request, or "" when it does."""
    caller = request.caller
    if name == "scp":
        if request.scp_levels is None:
            return "no service control policies (account not in an organization)"
        if not (caller.is_iam or caller.kind == ROOT):
            return "SCPs apply only to principals of member accounts"
        if request.management_account and caller.account == request.management_account:
            return "SCPs do not apply to the management account"
    else:
        service = request.action.split(":", 1)[0].lower()
        if request.rcp_levels is None:
            return "no resource control policies (account not in an organization)"
        if service not in RCP_SERVICES:
            return f"RCPs do not apply to {service}"
        if request.management_account and resource_account == request.management_account:
            return "RCPs do not apply to resources of the management account"
    if caller.service_linked:
        return f"{name.upper()}s do not apply to service-linked roles"
    return ""


def _grant(caller: PrincipalRef, resource: _Layer, identity_path: bool | None, limits: bool | None, *, same_account: bool, strict: bool) -> bool | None:
    """Whether the resource and identity sides together allow, before SCPs, RCPs and denies."""
    direct, issuer, account = resource.facet(DIRECT), resource.facet(ISSUER), resource.facet(ACCOUNT)
    if not (caller.is_iam or caller.kind == ROOT):
        return direct  # services, web identities and anonymous callers rely on the resource policy alone
    if same_account and strict:
        return _or(direct, _and(issuer, limits), _and(account, identity_path))
    if same_account:
        return _or(identity_path, direct, _and(issuer, limits))
    return _and(_or(direct, issuer, account), identity_path)


def _resource_detail(resource: _Layer, limits: bool | None, *, same_account: bool, strict: bool) -> str:
    if resource.facet(DIRECT) is True:
        return ""
    if resource.facet(ISSUER) is not False and same_account and limits is not True:
        return "names the caller's role (or the user behind its session): the boundary and session policy limit it"
    if resource.facet(ACCOUNT) is not False and (same_account or strict):
        return "names the account: identity-based policies decide"
    return ""


def evaluate_request(request: RequestContext) -> Decision:
    """The decision AWS would make on ``request``, with each layer's verdict.

    ``Decision.missing_context`` lists, for an incomplete context, the keys a conditional decision
    hinges on; for a complete context, the keys the applicable statements referenced but the
    context lacked (AWS's MissingContextValues).
    """
    caller = request.caller
    if request.action.lower() in UNCONDITIONAL_ACTIONS:
        reason = f"{request.action} needs no permission and ignores every policy"
        return Decision(ALLOWED, tuple(_not_applicable(name, reason) for name in LAYERS))
    evaluator = _Evaluator(request)
    resource_account = evaluator.resource_account
    # An IAM caller of unspecified account (the simulator without CallerArn) counts as the resource's.
    same_account = not caller.account or caller.account == resource_account
    layers: dict[str, _Layer] = {}
    verdicts: dict[str, LayerVerdict] = {}

    for name, levels in (("scp", request.scp_levels), ("rcp", request.rcp_levels)):
        exemption = _control_exemption(request, name, resource_account)
        if exemption or levels is None:
            verdicts[name] = _not_applicable(name, exemption)
        else:
            layers[name], detail = evaluator.levels(levels)
            verdicts[name] = _verdict(name, layers[name], detail)

    if caller.kind == ROOT:
        identity = _Layer(allow=True)
        verdicts["identity"] = _verdict("identity", identity, "the account root user has every permission in its account")
    elif caller.is_iam:
        identity = layers["identity"] = evaluator.layer(request.identity_policies)
        verdicts["identity"] = _verdict("identity", identity)
    else:
        identity = _Layer()
        verdicts["identity"] = _not_applicable("identity", f"a {caller.kind} caller has no identity-based policies")
    limits: bool | None = True
    for name, policies, absent_reason in (
        ("boundary", request.permission_boundary, "no permissions boundary"),
        ("session", request.session_policies, "no session policy"),
    ):
        if policies is None or not caller.is_iam:
            verdicts[name] = _not_applicable(name, absent_reason)
        else:
            layers[name] = evaluator.layer(policies)
            verdicts[name] = _verdict(name, layers[name])
            limits = _and(limits, layers[name].allow)

    trust = _is_trust_request(request.action, request.resource)
    strict = trust or _is_key_request(request.action, request.resource)
    if request.resource_policy is not None:
        resource = layers["resource"] = evaluator.layer([request.resource_policy], resource_layer=True)
        verdicts["resource"] = _verdict("resource", resource, _resource_detail(resource, limits, same_account=same_account, strict=strict))
    elif strict:
        resource = layers["resource"] = _Layer()
        what = "role trust policy" if trust else "key policy"
        verdicts["resource"] = LayerVerdict("resource", "no-match", (), f"no {what} supplied; it must allow")
    else:
        resource = _Layer()
        verdicts["resource"] = _not_applicable("resource", "no resource-based policy")

    grant = _grant(caller, resource, _and(identity.allow, limits), limits, same_account=same_account, strict=strict)
    allowed = _and(grant, *(layers[name].allow for name in ("scp", "rcp") if name in layers))
    explicit = _or(*(layer.deny for layer in layers.values()))
    if explicit is True:
        decision = EXPLICIT_DENY
    elif allowed is False:
        decision = IMPLICIT_DENY
    elif explicit is False and allowed is True:
        decision = ALLOWED
    else:
        decision = CONDITIONAL
    if request.context_complete:
        missing = [key for layer in layers.values() for key in layer.absent]
    elif decision == CONDITIONAL:
        missing = [key for layer in layers.values() for key in layer.unknown]
    else:
        missing = []
    return Decision(decision, tuple(verdicts[name] for name in LAYERS), tuple(dict.fromkeys(missing)))
