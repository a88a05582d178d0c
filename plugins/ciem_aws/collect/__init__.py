"""Collecting an AWS estate: live through boto3 (:mod:`.live`) or from export files (:mod:`.export`),
both into the snapshot shape of docs/aws-export-layout.md (:mod:`.transform`)."""
