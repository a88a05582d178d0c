"""Escalation and lateral movement in Azure: one module per family, the table in base.py."""
