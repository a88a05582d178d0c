"""PMapper and Cloudsplaining on the same generated estates, for docs/benchmarks.md.

Neither tool belongs in ciem's environment, so they run from their own virtualenv, with this file
run by that virtualenv's Python (it imports nothing from ciem)::

    python3 -m venv /tmp/othertools
    /tmp/othertools/bin/pip install principalmapper==1.1.5 cloudsplaining psutil
    /tmp/othertools/bin/python bench/othertools.py --patch-pmapper   # see below
    /tmp/othertools/bin/python bench/othertools.py /tmp/ciem-bench/account-seed1 /tmp/ciem-bench/org20-seed1

PMapper 1.1.5, its last release, does not import on Python 3.10 or later (``from collections import
Mapping``; PMapper issues #106/#130/#131, fix PR #139 unmerged); ``--patch-pmapper`` applies that
one-line fix to the virtualenv's copy.

PMapper collects live through boto3; here its own graph code (``get_nodes_groups_and_policies``,
``update_admin_status``, ``obtain_edges`` with every edge checker, offline: session ``None``) runs on
the generated ``get-account-authorization-details`` documents through a stand-in IAM client that
returns them, with access keys, passwords and MFA taken from the same export's credential report.
Offline, PMapper skips what needs other services' APIs (Lambda functions, stacks, build projects,
resource policies) and SCPs. Cloudsplaining runs its own CLI, ``cloudsplaining scan``, on each
file. Each run is a child process whose peak memory is read with ``os.wait4``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


class StandInIam:
    """Answers the IAM calls PMapper's gathering makes, from one account's export files."""

    def __init__(self, folder: Path):
        self.details = json.loads((folder / "authorization-details.json").read_text())
        report = folder / "credential-report.csv"
        rows = list(csv.DictReader(report.open())) if report.is_file() else []
        self.users = {row["user"]: row for row in rows}

    def get_paginator(self, name: str):
        return self if name in ("get_account_authorization_details", "list_virtual_mfa_devices") else None

    def paginate(self, **kwargs):
        if "AssignmentStatus" in kwargs:
            yield {"VirtualMFADevices": []}
        else:
            yield self.details

    def list_access_keys(self, UserName: str) -> dict:
        row = self.users.get(UserName, {})
        active = [n for n in (1, 2) if row.get(f"access_key_{n}_active") == "true"]
        return {"AccessKeyMetadata": [{"AccessKeyId": f"key{n}"} for n in active]}

    def get_login_profile(self, UserName: str) -> dict:
        if self.users.get(UserName, {}).get("password_enabled") == "true":
            return {"LoginProfile": {"UserName": UserName}}
        raise RuntimeError("NoSuchEntity: the user has no login profile")

    def list_mfa_devices(self, UserName: str) -> dict:
        return {"MFADevices": [{"SerialNumber": "mfa"}] if self.users.get(UserName, {}).get("mfa_active") == "true" else []}


def _percentiles(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"n": len(ordered), "p50": ordered[len(ordered) // 2] * 1000,
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000}


def child_pmapper(folder: Path, queries: int) -> None:
    import principalmapper
    from principalmapper.common import Graph
    from principalmapper.graphing import edge_identification, gathering
    from principalmapper.querying import query_interface, query_utils

    started = time.perf_counter()
    iam = StandInIam(folder)
    gathered = gathering.get_nodes_groups_and_policies(iam)
    gathering.update_admin_status(gathered["nodes"])
    edges = edge_identification.obtain_edges(None, list(edge_identification.checker_map), gathered["nodes"])
    graph = Graph(gathered["nodes"], edges, gathered["policies"], gathered["groups"],
                  {"account_id": folder.name, "pmapper_version": principalmapper.__version__})
    built = time.perf_counter() - started
    rng = random.Random("othertools")
    nodes = graph.nodes
    buckets = [b["Name"] for b in json.loads((folder / "resources" / "s3.json").read_text())["Buckets"]]

    def timed(call, items):
        durations = []
        for item in items:
            t = time.perf_counter()
            call(item)
            durations.append(time.perf_counter() - t)
        return _percentiles(durations)

    can = timed(lambda pair: query_interface.search_authorization_for(
        graph, pair[0], "s3:GetObject", f"arn:aws:s3:::{pair[1]}/reports/summary.csv", {}),
        [(rng.choice(nodes), rng.choice(buckets)) for _ in range(queries)])
    reachable = timed(lambda node: query_utils.get_search_list(graph, node), [rng.choice(nodes) for _ in range(queries)])
    who_can = timed(lambda bucket: [n for n in nodes if query_interface.search_authorization_for(
        graph, n, "s3:GetObject", f"arn:aws:s3:::{bucket}/reports/summary.csv", {}).allowed],
        [rng.choice(buckets) for _ in range(max(3, queries // 40))])
    _emit(tool="pmapper", account=folder.name, seconds=built, peak=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
          nodes=len(nodes), edges=len(edges), admins=sum(1 for n in nodes if n.is_admin),
          can=can, reachable=reachable, who_can=who_can)


def run_measured(command: list[str], timeout: float) -> tuple[float, float, str, int]:
    """Wall seconds, peak RSS in MiB, standard output and exit status of one child process."""
    with tempfile.TemporaryFile(mode="w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                status = -9
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        out.seek(0)
        return seconds, usage.ru_maxrss / 1024, out.read(), os.waitstatus_to_exitcode(status) if status != -9 else -9


def patch_pmapper() -> None:
    import importlib.util

    spec = importlib.util.find_spec("principalmapper")
    target = Path(spec.origin).parent / "util" / "case_insensitive_dict.py"
    text = target.read_text()
    old = "from collections import Mapping, MutableMapping, OrderedDict"
    if old in text:
        target.write_text(text.replace(old, "from collections import OrderedDict\nfrom collections.abc import Mapping, MutableMapping"))
        print(f"patched {target}")
    else:
        print(f"{target}: already patched")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("estates", nargs="*", type=Path, help="generated estate folders (bench.generate --out)")
    parser.add_argument("--queries", type=int, default=200, help="timed PMapper queries of each kind per account")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds one tool may take on one account")
    parser.add_argument("--patch-pmapper", action="store_true")
    parser.add_argument("--child-pmapper", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.patch_pmapper:
        patch_pmapper()
        return 0
    if args.child_pmapper:
        child_pmapper(args.child_pmapper, args.queries)
        return 0
    print(f"# PMapper and Cloudsplaining, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, Python {sys.version.split()[0]}")
    cloudsplaining = Path(sys.executable).parent / "cloudsplaining"
    for estate in args.estates:
        folders = sorted(p for p in (estate / "accounts").iterdir() if p.is_dir())
        print(f"\n## {estate.name}: {len(folders)} account(s)")
        totals = {"pmapper": [0.0, 0.0, 0], "cloudsplaining": [0.0, 0.0, 0]}
        for folder in folders:
            seconds, peak, out, status = run_measured(
                [sys.executable, __file__, "--child-pmapper", str(folder), "--queries", str(args.queries)], args.timeout)
            result = next((json.loads(line) for line in out.splitlines() if line.startswith("{")), None)
            if result:
                print(f"  pmapper {folder.name}: graph {result['seconds']:.1f} s ({seconds:.1f} s with start-up), peak "
                      f"{peak:.0f} MiB, {result['nodes']} nodes, {result['edges']} edges, {result['admins']} admins; "
                      f"can p50/p99 {result['can']['p50']:.1f}/{result['can']['p99']:.1f} ms, reachable p50/p99 "
                      f"{result['reachable']['p50']:.1f}/{result['reachable']['p99']:.1f} ms, who-can p50/p99 "
                      f"{result['who_can']['p50']:.0f}/{result['who_can']['p99']:.0f} ms")
                totals["pmapper"] = [totals["pmapper"][0] + seconds, max(totals["pmapper"][1], peak), totals["pmapper"][2] + 1]
            else:
                print(f"  pmapper {folder.name}: did not finish (exit status {status}, {seconds:.0f} s, peak {peak:.0f} MiB)")
            with tempfile.TemporaryDirectory() as output:
                seconds, peak, _, status = run_measured(
                    [str(cloudsplaining), "scan", "--input-file", str(folder / "authorization-details.json"),
                     "--output", output, "--skip-open-report"], args.timeout)
                reports = sorted(Path(output).glob("*"))
                size = sum(p.stat().st_size for p in reports) / 2**20
            if status == 0:
                print(f"  cloudsplaining {folder.name}: scan {seconds:.1f} s, peak {peak:.0f} MiB, report {size:.1f} MiB")
                totals["cloudsplaining"] = [totals["cloudsplaining"][0] + seconds, max(totals["cloudsplaining"][1], peak),
                                            totals["cloudsplaining"][2] + 1]
            else:
                print(f"  cloudsplaining {folder.name}: failed (exit status {status}, {seconds:.0f} s)")
        for tool, (seconds, peak, done) in totals.items():
            print(f"  {tool} total: {done}/{len(folders)} accounts, {seconds:.1f} s one after another, highest peak {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
