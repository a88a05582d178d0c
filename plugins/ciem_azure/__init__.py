"""The Azure provider: Azure RBAC (role and deny assignments, PIM eligibility) and Microsoft Entra ID."""

PROVIDER = "azure"
