"""Data access through keys: ``Microsoft.Storage/storageAccounts/listKeys/action`` returns the account
keys, and Shared Key authorization then reads and writes every blob, file, queue and table, whatever
RBAC data actions say (Owner, Contributor and Storage Account Contributor hold it). Not when the
account disallows Shared Key (``allowSharedKeyAccess: false``; absent means allowed); when the export
holds no ``properties`` for the account, the
grant is conditional on ``storage:allowSharedKeyAccess``.
"""

from __future__ import annotations

from ciem_azure.escalation.base import EscalationContext, EscalationMethod

ACCOUNT = "Microsoft.Storage/storageAccounts"
LIST_KEYS = "Microsoft.Storage/storageAccounts/listKeys/action"
UNKNOWN = "storage:allowSharedKeyAccess"
DATA = tuple(f"Microsoft.Storage/storageAccounts/{service}/*" for service in
             ("blobServices", "fileServices", "queueServices", "tableServices"))


class AccessThroughKeys(EscalationMethod):
    family = "storage-keys"
    operations = ((LIST_KEYS, False),)

    def run(self, context: EscalationContext) -> None:
        data_bits = context.catalog.expand(DATA, True)
        for account in context.resources_of_type(ACCOUNT):
            shared_key = account.properties.get("allowSharedKeyAccess")  # absent means allowed
            if shared_key is False:
                continue
            unknown = () if account.properties else (UNKNOWN,)
            for principal in context.candidates(account.key, ((LIST_KEYS,),)):
                verdict = context.decide(principal.id, (LIST_KEYS,), account.key)
                if verdict.granted:
                    context.grant(principal.id, data_bits, (account.key, account.key + "/*"),
                                  f"access through keys: {LIST_KEYS} on {account.id}, then Shared Key "
                                  f"({'; '.join(verdict.statements)})", verdict.keys + unknown, rbac=False)
