"""Cloud Storage: an HMAC key for a service account authenticates as it (to Cloud Storage's XML API)."""

from __future__ import annotations

from ciem_gcp.escalation.base import RHINO_2, EscalationMethod, OnAccountProject

METHODS: tuple[EscalationMethod, ...] = (
    OnAccountProject("storage.hmacKeys.create", ("storage.hmacKeys.create",), RHINO_2),
)
