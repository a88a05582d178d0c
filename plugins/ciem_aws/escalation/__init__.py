"""Privilege-escalation methods (PMapper-style), one module per service; the table is
:func:`ciem_aws.escalation.base.methods`, documented in docs/aws-escalation.md."""
