"""Run code as a managed identity: code running on a resource gets its identities' tokens from the
instance metadata endpoint, so whoever can run code there can act as them (BloodHound
AZManagedIdentity with AZVMContributor, AZAutomationContributor, AZLogicAppContributor,
AZWebsiteContributor, AZAKSContributor). Each row names the resource type and the alternative sets of
operations that run code on it; every operation of a set must be granted on the resource. A
role-assignment writer above the resource can assign itself a role that runs code, unless a deny
assignment blocks the operation. A web or function app runs new code after ``sites/write`` (a
package URL or startup command in its configuration) or a deployment (``sites/publish/Action``);
publishing-profile credentials are not counted, since basic authentication may be disabled. For AKS
the identity reached is the kubelet identity of the nodes, which pods reach through the metadata
endpoint (the cluster's own identity is the control plane's), through the cluster-admin credential,
which a cluster with ``disableLocalAccounts`` does not give out.
"""

from __future__ import annotations

from ciem.model import EdgeKind

from ciem_azure.escalation.base import BLOODHOUND, EscalationContext, EscalationMethod
from ciem_azure.escalation.authorization import WRITE
from ciem_azure.resolve.estate import AzureResource
from ciem_azure.resolve.evaluate import permission_allows

# (resource type, alternative operation sets, BloodHound edge)
RUN_CODE: tuple[tuple[str, tuple[tuple[str, ...], ...], str], ...] = (
    ("Microsoft.Compute/virtualMachines", (
        ("Microsoft.Compute/virtualMachines/runCommand/action",),
        ("Microsoft.Compute/virtualMachines/runCommands/write",),
        ("Microsoft.Compute/virtualMachines/extensions/write",)), "az-vm-contributor"),
    ("Microsoft.Compute/virtualMachineScaleSets", (
        ("Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action",),
        ("Microsoft.Compute/virtualMachineScaleSets/extensions/write",)), "az-vm-contributor"),
    ("Microsoft.Automation/automationAccounts", (
        ("Microsoft.Automation/automationAccounts/runbooks/write", "Microsoft.Automation/automationAccounts/jobs/write"),),
     "az-automation-contributor"),
    ("Microsoft.Logic/workflows", (("Microsoft.Logic/workflows/write",),), "az-logic-app-contributor"),
    ("Microsoft.Web/sites", (
        ("Microsoft.Web/sites/write",),
        ("Microsoft.Web/sites/publish/Action",)), "az-website-contributor"),
    ("Microsoft.ContainerService/managedClusters", (
        ("Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",),), "az-aks-contributor"),
)
AKS = "microsoft.containerservice/managedclusters"
AKS_LOCAL_ACCOUNTS = "aks:disableLocalAccounts"


def identities_of(resource: AzureResource) -> tuple[str, ...]:
    if resource.type.lower() == AKS:
        kubelet = ((resource.properties.get("identityProfile") or {}).get("kubeletidentity") or {}).get("objectId")
        return (kubelet.lower(),) if kubelet else ()
    return resource.identities


class RunCodeAsIdentity(EscalationMethod):
    family = "run-code"
    operations = tuple((action, False) for _type, alternatives, _ref in RUN_CODE for group in alternatives for action in group)

    def run(self, context: EscalationContext) -> None:
        for type_name, alternatives, reference in RUN_CODE:
            for resource in context.resources_of_type(type_name):
                targets = identities_of(resource)
                blocked, keys = self._resource_settings(resource)
                if targets and not blocked:
                    self._resource(context, resource, alternatives, targets, BLOODHOUND + reference, keys)

    @staticmethod
    def _resource_settings(resource: AzureResource) -> tuple[bool, tuple[str, ...]]:
        """(blocked, keys): an AKS cluster without local accounts gives out no admin credential; one whose
        properties were not exported may or may not."""
        if resource.type.lower() != AKS:
            return False, ()
        if not resource.properties:
            return False, (AKS_LOCAL_ACCOUNTS,)
        return bool(resource.properties.get("disableLocalAccounts")), ()

    def _resource(self, context, resource, alternatives, targets, reference, setting_keys) -> None:
        key = resource.key
        direct: dict[str, set[str]] = {}  # principals that run code here already -> under which keys
        for principal in context.candidates(key, alternatives):
            best = None
            for actions in alternatives:
                verdict = context.decide(principal.id, actions, key)
                if verdict.decision == "allowed":
                    best = (actions, verdict)
                    break
                if verdict.granted and best is None:
                    best = (actions, verdict)
            if best is not None:
                actions, verdict = best
                direct[principal.id] = set(verdict.keys)
                for target in targets:
                    context.edge(principal.id, target, EdgeKind.IMPERSONATE, "run-code:" + "+".join(actions), actions,
                                 (resource.id,), verdict.keys + setting_keys, verdict.statements, reference)
        for principal, writers in context.writers.items():
            for writer in writers:
                if not context.estate.covers(writer.scope, key) or direct.get(principal, {"-"}) <= set(writer.keys):
                    continue
                open_paths = [(a, keys) for a in alternatives if writer.permits(context.estate, a)
                              and (keys := self._deny_keys(context, principal, a, key)) is not None]
                if not open_paths:
                    continue
                actions, deny_keys = min(open_paths, key=lambda item: len(item[1]))
                for target in targets:
                    context.edge(principal, target, EdgeKind.IMPERSONATE, f"{WRITE}+run-code:" + "+".join(actions),
                                 (WRITE, *actions), (context.estate.written(writer.scope), resource.id),
                                 tuple(dict.fromkeys(writer.keys + deny_keys + setting_keys)), writer.statements, reference)
                break

    @staticmethod
    def _deny_keys(context: EscalationContext, principal: str, actions, resource: str) -> tuple[str, ...] | None:
        """None when a deny assignment blocks ``actions`` for ``principal``; else the keys of conditional ones."""
        keys: list[str] = []
        for deny in context.evaluator.denies(principal, resource):
            if any(permission_allows(p, action, False) for action in actions for p in deny.permissions):
                if not deny.condition:
                    return None
                keys.append(f"deny-condition:{deny.name or deny.id}")
        return tuple(keys)
