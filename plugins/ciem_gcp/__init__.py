"""The Google Cloud provider for ciem: Cloud Asset Inventory exports, IAM allow and deny evaluation,
service-account impersonation and escalation paths, workload identity federation across clouds."""

PROVIDER = "gcp"
