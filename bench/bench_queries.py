"""Latency percentiles of enrich, reach, who-can and explain, in process (ciem.queries).

    python -m bench.bench_queries --size org20
    python -m bench.bench_queries --size account --calls 300

The index comes from the estate's saved snapshot (``bench_index`` writes it; built and saved here
if absent). Inputs are drawn reproducibly from the index: enrich gets one identifier per call, as a
playbook enriching an alert does (canonical ARNs, assumed-role session ARNs, and unknown ones);
reach starts from random identities; who-can asks about random known resources; explain evaluates
a typical action on a random resource for a random identity. Reach and who-can answers hold every
line (each reached identity with its path and its own access); turning them into the flat list of
entries that the gRPC service streams is timed apart ("listing p99 ms").
"""

from __future__ import annotations

import argparse
import sys
import time

from bench import common

TARGETS_MS = {"org20": {"enrich": 5.0, "reach": 50.0, "who-can": 100.0}}
# A typical action on each kind of resource, by the ARN's service, for explain.
EXPLAIN_ACTIONS = {
    "s3": ("s3:GetObject", "/reports/2026/11/summary.csv"),
    "kms": ("kms:Decrypt", ""),
    "secretsmanager": ("secretsmanager:GetSecretValue", ""),
    "sqs": ("sqs:SendMessage", ""),
    "sns": ("sns:Publish", ""),
    "lambda": ("lambda:InvokeFunction", ""),
    "dynamodb": ("dynamodb:GetItem", ""),
    "iam": ("sts:AssumeRole", ""),
}


def enrich_identifiers(index, count: int, seed: int) -> list[str]:
    """Identifiers as alerts carry them: mostly ARNs, some assumed-role sessions, a few unknown."""
    identities = sorted(index.identities)
    chosen = common.sample(identities, count, seed)
    out = []
    for number, identity_id in enumerate(chosen):
        parts = identity_id.split(":")
        if number % 10 == 9:
            out.append(f"arn:aws:iam::{parts[4] if len(parts) > 4 else '000000000000'}:user/nobody-{number}")
        elif number % 5 == 0 and len(parts) > 5 and parts[5].startswith("role/"):
            name = parts[5].rsplit("/", 1)[-1]
            out.append(f"arn:aws:sts::{parts[4]}:assumed-role/{name}/session-{number}")
        else:
            out.append(identity_id)
    return out


def explain_requests(index, count: int, seed: int) -> list[tuple[str, str, str]]:
    resources = [r for r in sorted(index.resources) if r.split(":")[2:3] and r.split(":")[2] in EXPLAIN_ACTIONS]
    identities = [i for i in sorted(index.identities) if index.identities[i].kind.value in ("user", "role")]
    requests = []
    for identity_id, resource_id in zip(common.sample(identities, count, seed), common.sample(resources, count, seed + 1)):
        action, suffix = EXPLAIN_ACTIONS[resource_id.split(":")[2]]
        requests.append((identity_id, action, resource_id + suffix))
    return requests


def run(index, manager, calls: int, seed: int) -> dict[str, dict]:
    from ciem import queries

    identities = sorted(i for i in index.identities if index.identities[i].kind.value != "external")
    resources = sorted(index.resources)
    figures: dict[str, dict] = {}

    durations, results = common.time_calls(lambda ident: queries.enrich(index, [ident], manager),
                                           enrich_identifiers(index, calls, seed))
    figures["enrich"] = common.percentiles(durations)
    figures["enrich"]["found"] = sum(1 for r in results if r[0].identity is not None)
    print_row("enrich", figures["enrich"])

    for name, ask, inputs in (("reach", lambda ident: queries.reach(index, ident), common.sample(identities, calls, seed)),
                              ("who-can", lambda res: queries.who_can(index, res), common.sample(resources, calls, seed))):
        durations, results = common.time_calls(ask, inputs)
        figures[name] = common.percentiles(durations)
        # The answer holds every line; listing them (as the gRPC service and the CLI do) is timed apart.
        listing, listed = common.time_calls(lambda result: len(result.entries), results, warmup=0)
        figures[name]["entries p50"] = sorted(listed)[len(listed) // 2]
        figures[name]["listing p99 ms"] = round(common.percentiles(listing)["p99"], 1)
        print_row(name, figures[name])

    durations, results = common.time_calls(lambda req: queries.explain(index, manager, *req),
                                           explain_requests(index, calls, seed))
    figures["explain"] = common.percentiles(durations)
    figures["explain"]["allowed"] = sum(1 for r in results if r.decision == "allowed")
    print_row("explain", figures["explain"])
    return figures


def print_heading() -> None:
    common.row("query", "calls", "p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms", "note", widths=(8, 6, 8, 8, 8, 8, 8))


def print_row(name: str, f: dict) -> None:
    note = ", ".join(f"{k}={v}" for k, v in f.items() if k not in ("n", "p50", "p90", "p99", "max", "mean"))
    common.row(name, f["n"], f"{f['p50']:.3f}", f"{f['p90']:.3f}", f"{f['p99']:.3f}", f"{f['max']:.1f}", f"{f['mean']:.3f}", note,
               widths=(8, 6, 8, 8, 8, 8, 8))
    sys.stdout.flush()


def print_targets(figures: dict[str, dict], size: str, where: str) -> None:
    targets = TARGETS_MS.get(size, {})
    for name, limit in targets.items():
        if where == "in process" or name == "enrich":
            limit = limit if where == "in process" else 20.0
            value = figures[name]["p99"]
            verdict = "met" if value <= limit else f"MISSED by {value - limit:.1f} ms ({value / limit:.1f}x)"
            print(f"  target {name} p99 {where} <= {limit:.0f} ms: {value:.2f} ms: {verdict}")


def main(argv: list[str] | None = None) -> int:
    from ciem import queries
    from ciem.providers import default_manager

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=list(common.SIZES), default="org20")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--calls", type=int, default=500, help="timed calls of each query")
    args = parser.parse_args(argv)
    common.header(f"ciem query latency in process, {args.size}")
    manager = default_manager()
    started = time.perf_counter()
    index = common.load_or_build(args.size, args.seed, manager)
    print(f"index ready in {time.perf_counter() - started:.1f} s: {len(index.identities)} identities, "
          f"{len(index.resources)} resources, {index.grant_count()} grants, {index.edge_count()} edges")
    started = time.perf_counter()
    queries.warm_reach(index)  # as the service does in the background once an index serves
    print(f"every identity's own access worked out for reach in {time.perf_counter() - started:.1f} s")
    print_heading()
    print_targets(run(index, manager, args.calls, args.seed), args.size, "in process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
