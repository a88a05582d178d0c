"""Queries keep answering during a refresh: their latency while one runs, against an idle index.

    python -m bench.bench_refresh --size account
    python -m bench.bench_refresh --size org20 --skip-in-process

In process: an ``IndexHolder`` serving the estate's saved snapshot refreshes from the export files
in a background thread (``holder.refresh()``, as the schedule does) while the main thread sends
enrich and reach calls to ``holder.current`` back to back. Through gRPC: a server child serving the
snapshot gets a Refresh call on one channel while another channel sends Enrich and Reach calls.
Each part prints the refresh's duration, the calls answered meanwhile, failures (there should be
none) and latency percentiles idle and during the refresh.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from bench import common


def _alternate(calls: dict, inputs: dict, stop: threading.Event | None, count: int | None) -> dict[str, list[float]]:
    """Enrich and reach calls in turn until ``stop`` is set or ``count`` pairs are done."""
    durations: dict[str, list[float]] = {name: [] for name in calls}
    failures = 0
    number = 0
    while (stop is None or not stop.is_set()) and (count is None or number < count):
        for name, call in calls.items():
            item = inputs[name][number % len(inputs[name])]
            started = time.perf_counter()
            try:
                call(item)
            except Exception:  # counted: a refresh must never make a query fail
                failures += 1
            durations[name].append(time.perf_counter() - started)
        number += 1
    durations["failures"] = [failures]
    return durations


def _report(idle: dict, during: dict, refresh_seconds: float, swapped: bool, error: str) -> None:
    print(f"  refresh took {refresh_seconds:.1f} s; index swapped: {swapped}" + (f"; refresh FAILED: {error}" if error else ""))
    print(f"  calls answered during the refresh: {sum(len(v) for k, v in during.items() if k != 'failures')}, "
          f"failed: {during['failures'][0]}")
    common.row("query", "state", "calls", "p50 ms", "p99 ms", "max ms", widths=(8, 7, 6, 8, 8, 9))
    for name in idle:
        if name == "failures":
            continue
        for state, figures in (("idle", common.percentiles(idle[name])), ("refresh", common.percentiles(during[name]))):
            if figures["n"]:
                common.row(name, state, figures["n"], f"{figures['p50']:.3f}", f"{figures['p99']:.3f}", f"{figures['max']:.1f}",
                           widths=(8, 7, 6, 8, 8, 9))


def in_process(size: str, seed: int, calls: int) -> None:
    from bench.bench_queries import enrich_identifiers
    from ciem import queries
    from ciem.pipeline import IndexHolder, SourceSpec
    from ciem.providers import default_manager

    manager = default_manager()
    holder = IndexHolder(specs=(SourceSpec(path=common.estate(size, seed)),), manager=manager)
    holder.current = common.load_or_build(size, seed, manager)
    first = holder.current
    identities = sorted(i for i in first.identities if first.identities[i].kind.value != "external")
    inputs = {"enrich": enrich_identifiers(first, calls, seed), "reach": common.sample(identities, calls, seed)}
    operations = {
        "enrich": lambda ident: queries.enrich(holder.current, [ident], manager),
        "reach": lambda ident: queries.reach(holder.current, ident) if ident in holder.current.identities else None,
    }
    idle = _alternate(operations, inputs, None, calls)
    stop, outcome = threading.Event(), {"error": ""}

    def refresh() -> None:
        try:
            holder.refresh()
        except Exception as error:
            outcome["error"] = f"{type(error).__name__}: {error}"
        stop.set()

    worker = threading.Thread(target=refresh)
    started = time.perf_counter()
    worker.start()
    during = _alternate(operations, inputs, stop, None)
    worker.join()
    print(f"\n## in process ({size})")
    _report(idle, during, time.perf_counter() - started, holder.current is not first, outcome["error"])


def through_grpc(size: str, seed: int, calls: int) -> None:
    from bench.bench_grpc import Server, ensure_snapshot
    from ciem.client import Client
    from ciem.v1 import ciem_pb2 as pb

    ensure_snapshot(size, seed, 3600)
    with Server(size, seed, calls, with_sources=True) as server:
        with Client(server.target) as client, Client(server.target) as admin:
            operations = {
                "enrich": lambda ident: client.enrich(pb.EnrichRequest(identifiers=[ident])),
                "reach": lambda ident: list(client.reach(pb.ReachRequest(identity=ident))),
            }
            before = admin.get_index_status(pb.GetIndexStatusRequest()).built_at
            idle = _alternate(operations, server.inputs, None, calls)
            stop, outcome = threading.Event(), {"error": ""}

            def refresh() -> None:
                try:
                    admin.refresh(pb.RefreshRequest())
                except Exception as error:
                    outcome["error"] = f"{type(error).__name__}: {error}"
                stop.set()

            worker = threading.Thread(target=refresh)
            started = time.perf_counter()
            worker.start()
            during = _alternate(operations, server.inputs, stop, None)
            worker.join()
            seconds = time.perf_counter() - started
            after = admin.get_index_status(pb.GetIndexStatusRequest()).built_at
    print(f"\n## through gRPC ({size})")
    _report(idle, during, seconds, before != after, outcome["error"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=list(common.SIZES), default="account")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--calls", type=int, default=300, help="idle calls of each query")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument("--skip-grpc", action="store_true")
    args = parser.parse_args(argv)
    common.header(f"ciem queries during a refresh, {args.size}")
    if not args.skip_in_process:
        in_process(args.size, args.seed, args.calls)
    if not args.skip_grpc:
        through_grpc(args.size, args.seed, args.calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
