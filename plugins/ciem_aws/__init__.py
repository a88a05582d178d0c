"""The AWS provider for ciem: collection, AWS's policy evaluation logic, role chains and escalation paths."""

PROVIDER = "aws"
