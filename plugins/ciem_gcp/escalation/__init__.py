"""Escalation methods, one module per family; ``base`` holds the base class, the shapes and the table."""
