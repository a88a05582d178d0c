"""Key Vault's access-policy permission model.

A vault with ``enableRbacAuthorization: false`` authorizes its data plane by its access policies,
not by RBAC data actions: each policy grants its object id the listed secret, key and certificate
operations, and whoever may write the vault's access policies (``accessPolicies/write``, ``vaults/write``:
Key Vault Contributor, Contributor) can add a policy for itself (BloodHound AZKeyVaultKVContributor).
A vault whose ``properties`` were not exported is treated as unknown: its access-policy grants are
conditional on ``keyvault:enableRbacAuthorization``.
"""

from __future__ import annotations

from ciem_azure.escalation.base import BLOODHOUND, EscalationContext, EscalationMethod
from ciem_azure.resolve.estate import AzureResource

VAULT = "Microsoft.KeyVault/vaults"
UNKNOWN_MODEL = "keyvault:enableRbacAuthorization"
WRITERS = (("Microsoft.KeyVault/vaults/accessPolicies/write",), ("Microsoft.KeyVault/vaults/write",))
_P = "Microsoft.KeyVault/vaults/"
# access-policy permission -> data actions, per object kind
POLICY_ACTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "secrets": {"get": (_P + "secrets/getSecret/action",), "list": (_P + "secrets/readMetadata/action",),
                "set": (_P + "secrets/setSecret/action",), "delete": (_P + "secrets/delete",),
                "backup": (_P + "secrets/backup/action",), "restore": (_P + "secrets/restore/action",),
                "recover": (_P + "secrets/recover/action",), "purge": (_P + "secrets/purge/action",)},
    "keys": {"get": (_P + "keys/read",), "list": (_P + "keys/read",), "decrypt": (_P + "keys/decrypt/action",),
             "encrypt": (_P + "keys/encrypt/action",), "sign": (_P + "keys/sign/action",),
             "verify": (_P + "keys/verify/action",), "wrapkey": (_P + "keys/wrap/action",),
             "unwrapkey": (_P + "keys/unwrap/action",), "create": (_P + "keys/create/action",),
             "delete": (_P + "keys/delete",), "update": (_P + "keys/update/action",),
             "import": (_P + "keys/import/action",), "backup": (_P + "keys/backup/action",),
             "release": (_P + "keys/release/action",)},
    "certificates": {"get": (_P + "certificates/read",), "list": (_P + "certificates/read",),
                     "create": (_P + "certificates/create/action",), "delete": (_P + "certificates/delete",),
                     "import": (_P + "certificates/import/action",), "update": (_P + "certificates/update/action",)},
}


def access_policy_model(vault: AzureResource) -> bool | None:
    """True for the access-policy model, False for RBAC, None when the export does not say."""
    flag = vault.properties.get("enableRbacAuthorization")
    if flag is None:
        return None if not vault.properties else True
    return not flag


def vault_patterns(vault: AzureResource) -> tuple[str, str]:
    return (vault.key, vault.key + "/*")


class AccessPolicyWriters(EscalationMethod):
    family = "key-vault-access-policy"
    operations = tuple((a, False) for group in WRITERS for a in group) + tuple(
        (action, True) for kind in POLICY_ACTIONS.values() for actions in kind.values() for action in actions)

    def run(self, context: EscalationContext) -> None:
        catalog = context.catalog
        all_vault_data = catalog.expand((_P + "secrets/*", _P + "keys/*", _P + "certificates/*"), True)
        for vault in context.resources_of_type(VAULT):
            model = access_policy_model(vault)
            if model is False:
                continue
            unknown = (UNKNOWN_MODEL,) if model is None else ()
            for number, policy in enumerate(vault.properties.get("accessPolicies") or ()):
                bits = 0
                for kind, names in (policy.get("permissions") or {}).items():
                    table = POLICY_ACTIONS.get(kind.lower(), {})
                    for name in names or ():
                        if name.lower() == "all":
                            bits |= catalog.expand((f"{_P}{kind.lower()}/*",), True)
                        else:
                            bits |= catalog.expand(table.get(name.lower(), ()), True)
                object_id = (policy.get("objectId") or "").lower()
                if object_id in context.principals:
                    context.grant(object_id, bits, vault_patterns(vault),
                                  f"access policy {number} of key vault {vault.id}", unknown)
            for principal in context.candidates(vault.key, WRITERS):
                verdict = next((v for v in (context.decide(principal.id, actions, vault.key) for actions in WRITERS)
                                if v.granted), None)
                if verdict is None:
                    continue
                context.grant(principal.id, all_vault_data, vault_patterns(vault),
                              f"can add itself an access policy on key vault {vault.id} ({'; '.join(verdict.statements)}; "
                              f"{BLOODHOUND}az-key-vault-kv-contributor)", verdict.keys + unknown, potential=True)
