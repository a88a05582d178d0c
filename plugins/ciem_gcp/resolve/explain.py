"""One request evaluated as IAM does, layer by layer: deny policies, then allow policies (with
their conditions), and the organization policy that may block key creation."""

from __future__ import annotations

from ciem.errors import QueryError
from ciem.model import Decision, EvaluationRequest, LayerVerdict

from ciem_gcp.escalation.iam import CREATE_KEY, KEY_CREATION


def resource_id(model, resource: str) -> str:
    """The node id of a resource named by its hierarchical id, full name (``//...``) or short name
    (``projects/P``, ``folders/N``); an unknown hierarchical id is taken as it is."""
    estate = model.estate
    if resource in estate.nodes:
        return resource
    if resource.startswith("//"):
        for node in estate.nodes.values():
            if node.name == resource:
                return node.id
        raise QueryError(f"no GCP resource named {resource!r} in the snapshots")
    return estate.by_short.get(resource, resource)


def explain(model, request: EvaluationRequest) -> Decision:
    if request.action not in model.catalog:
        raise QueryError(f"gcp: no role of the snapshots includes the permission {request.action!r}")
    target = resource_id(model, request.resource)
    if not model.estate.chain(target):
        raise QueryError(f"gcp: {request.resource!r} is in no collected organization, folder or project")
    bit = model.catalog.bit(request.action)
    verdict = model.access.evaluate(request.identity, target, request.context)
    names = {node_id: node.name for node_id, node in model.estate.nodes.items()}
    layers = []
    denies = [(rule, result, keys) for rule, result, bits, keys in verdict.denies if bits & bit]
    deny_state = "deny" if any(r == "deny" for _, r, _ in denies) else (
        "conditional" if denies else "no-match")
    layers.append(LayerVerdict("deny policies", deny_state, tuple(rule.label for rule, _, _ in denies),
                               "evaluated before allow policies"))
    allows = [(b, r, k) for b, r, k in verdict.allows if model.access.role_bits.get(b.role, 0) & bit]
    allow_state = "allow" if any(r == "allow" for _, r, _ in allows) else (
        "conditional" if any(r == "conditional" for _, r, _ in allows) else "no-match")
    layers.append(LayerVerdict("allow policies", allow_state,
                               tuple(b.label(names.get(b.node, b.node)) + f" [{r}]" for b, r, _ in allows),
                               "bindings on the resource and its ancestors"))
    blocked = request.action == CREATE_KEY and model.estate.enforced(target, KEY_CREATION)
    if request.action == CREATE_KEY:
        layers.append(LayerVerdict("organization policy", "deny" if blocked else "no-match",
                                   (f"constraints/{KEY_CREATION} at {blocked}",) if blocked else ()))
    missing = tuple(dict.fromkeys(k for _, r, keys in [*denies, *allows] if r == "conditional" for k in keys))
    if deny_state == "deny" or blocked:
        return Decision("explicitDeny", tuple(layers))
    if verdict.sure & bit:
        return Decision("allowed", tuple(layers))
    if verdict.conditional & bit:
        return Decision("conditional", tuple(layers), missing)
    return Decision("implicitDeny", tuple(layers))
