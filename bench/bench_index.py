"""Index build time and peak memory, snapshot size and restart time, at several estate sizes.

    python -m bench.bench_index --sizes account,org5,org20
    python -m bench.bench_index --sizes org200 --time-limit 1800 --memory-limit-gib 20

Each build and each restart runs in a fresh child process, so that its peak memory is its own. The
child reports every stage the pipeline's progress callback names as it reaches it; when a child
passes ``--time-limit`` or ``--memory-limit-gib`` it is stopped and the script prints the stages it
reached, the time and the memory at that point. The build is ``ciem.pipeline.build_from_inputs``
on the generated export folder (load, resolve, index, precomputed facts); the snapshot is
``ciem.store.save_index``; the restart is ``ciem.store.load_index`` in a new process.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import common

TARGETS = {  # size -> (build seconds, peak MiB, restart seconds), from the issue
    "account": (10.0, None, None),
    "org20": (120.0, 4096.0, 10.0),
}


def _emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def child_build(size: str, seed: int) -> None:
    from ciem import store
    from ciem.pipeline import build_from_inputs
    from ciem.providers import default_manager
    from ciem.queries import PrecomputedFacts, status

    folder = common.estate(size, seed, log=lambda text: None)
    manager = default_manager()
    started = time.perf_counter()
    last = [""]

    def progress(what: str, done: int, total: int | None) -> None:
        stage = re.sub(r"\d{12}", "ACCOUNT", what)  # one line per stage, not per account
        if stage != last[0]:
            last[0] = stage
            _emit(event="stage", what=stage, t=time.perf_counter() - started, cpu=time.process_time(), rss=common.rss_mib())

    index = build_from_inputs([str(folder)], manager, progress)
    built = time.perf_counter() - started
    _emit(event="built", seconds=built, cpu=time.process_time(), peak=common.peak_rss_mib(), rss=common.rss_mib(), counts=dict(status(index).counts))
    started = time.perf_counter()
    PrecomputedFacts(index)
    _emit(event="facts", seconds=time.perf_counter() - started)
    target = common.state_dir(size, seed)
    started = time.perf_counter()
    path = store.save_index(index, target)
    _emit(event="saved", seconds=time.perf_counter() - started, bytes=path.stat().st_size)


def child_restart(size: str, seed: int) -> None:
    from ciem import store

    started = time.perf_counter()
    index = store.load_index(common.state_dir(size, seed))
    if index is None:
        raise SystemExit("no snapshot to restart from")
    _emit(event="restarted", seconds=time.perf_counter() - started, peak=common.peak_rss_mib(), rss=common.rss_mib())


def run_child(args: list[str], time_limit: float, memory_limit_mib: float) -> tuple[list[dict], str]:
    """Run one child; return its events and why it stopped early ('' if it finished)."""
    process = subprocess.Popen([sys.executable, "-m", "bench.bench_index", *args], stdout=subprocess.PIPE, text=True)
    events: list[dict] = []
    reader = threading.Thread(target=lambda: events.extend(json.loads(line) for line in process.stdout if line.startswith("{")))
    reader.start()
    started, highest, stopped = time.perf_counter(), 0.0, ""
    while process.poll() is None:
        time.sleep(0.2)
        try:
            highest = max(highest, common.rss_mib(process.pid))
        except (OSError, IndexError):
            continue
        elapsed = time.perf_counter() - started
        if elapsed > time_limit:
            stopped = f"time limit {time_limit:.0f} s reached"
        elif highest > memory_limit_mib:
            stopped = f"memory limit {memory_limit_mib / 1024:.1f} GiB reached"
        if stopped:
            process.kill()
            break
    process.wait()
    reader.join()
    if not stopped and process.returncode != 0:
        stopped = f"child failed with exit status {process.returncode}"
    if stopped:
        events.append({"event": "stopped", "why": stopped, "t": time.perf_counter() - started, "rss": highest})
    return events, stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=common.size_arg, default=common.size_arg("account,org5,org20"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=1800.0, help="seconds a build may take before it is stopped")
    parser.add_argument("--memory-limit-gib", type=float, default=20.0, help="resident memory at which a build is stopped")
    parser.add_argument("--child-build", help=argparse.SUPPRESS)
    parser.add_argument("--child-restart", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_build:
        child_build(args.child_build, args.seed)
        return 0
    if args.child_restart:
        child_restart(args.child_restart, args.seed)
        return 0

    common.header("ciem index build, snapshot and restart")
    limit_mib = args.memory_limit_gib * 1024
    results = {}
    for size in args.sizes:
        folder = common.estate(size, args.seed)
        print(f"\n## {size}: {common.SIZES[size].accounts} account(s), export {_megabytes(folder):.0f} MiB at {folder}")
        events, stopped = run_child(["--child-build", size, "--seed", str(args.seed)], args.time_limit, limit_mib)
        for event in events:
            if event["event"] == "stage":
                print(f"  reached {event['what']!r:28} at {event['t']:7.1f} s ({event['cpu']:7.1f} s CPU), RSS {event['rss']:7.0f} MiB")
        by_kind = {event["event"]: event for event in events}
        if stopped:
            print(f"  STOPPED: {stopped} at {by_kind['stopped']['t']:.1f} s, highest RSS {by_kind['stopped']['rss']:.0f} MiB")
            if "built" not in by_kind:
                results[size] = None
                continue
        built = by_kind["built"]
        print(f"  built in {built['seconds']:.1f} s ({built['cpu']:.1f} s of CPU); peak RSS {built['peak']:.0f} MiB, after build {built['rss']:.0f} MiB")
        print(f"  counts: {built['counts']}")
        if "facts" in by_kind:
            print(f"  of which precomputed facts (recomputed alone): {by_kind['facts']['seconds']:.1f} s")
        restart = None
        if "saved" in by_kind:
            saved = by_kind["saved"]
            print(f"  snapshot: {saved['bytes'] / 2**20:.0f} MiB, written in {saved['seconds']:.1f} s")
            restart_events, why = run_child(["--child-restart", size, "--seed", str(args.seed)], args.time_limit, limit_mib)
            restart = next((e for e in restart_events if e["event"] == "restarted"), None)
            if restart:
                print(f"  restart from snapshot: {restart['seconds']:.1f} s, peak RSS {restart['peak']:.0f} MiB")
            else:
                print(f"  restart STOPPED: {why}")
        results[size] = (built, restart)
    _summary(results)
    return 0


def _megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def _summary(results: dict) -> None:
    print("\n## summary")
    common.row("size", "identities", "grants", "edges", "build s", "peak MiB", "restart s", "s/1k id", "MiB/1k id",
               widths=(8, 10, 9, 8, 8, 9, 9, 8, 9))
    for size, result in results.items():
        if result is None:
            common.row(size, "stopped", widths=(8, 10))
            continue
        built, restart = result
        counts = built["counts"]
        thousands = counts["identities"] / 1000
        common.row(size, counts["identities"], counts["grants"], counts["edges"], built["seconds"], built["peak"],
                   restart["seconds"] if restart else "-", built["seconds"] / thousands, built["peak"] / thousands,
                   widths=(8, 10, 9, 8, 8, 9, 9, 8, 9))
    print("\n## targets")
    for size, (build_limit, peak_limit, restart_limit) in TARGETS.items():
        result = results.get(size)
        if result is None:
            print(f"  {size}: not measured in this run" if size not in results else f"  {size}: MISSED (stopped)")
            continue
        built, restart = result
        _check(f"{size} build", built["seconds"], build_limit, "s")
        if peak_limit:
            _check(f"{size} peak memory", built["peak"], peak_limit, "MiB")
        if restart_limit:
            _check(f"{size} restart", restart["seconds"] if restart else float("inf"), restart_limit, "s")


def _check(what: str, value: float, limit: float, unit: str) -> None:
    verdict = "met" if value <= limit else f"MISSED by {value - limit:.1f} {unit} ({value / limit:.1f}x)"
    print(f"  {what}: {value:.1f} {unit} (target <= {limit:.0f} {unit}): {verdict}")


if __name__ == "__main__":
    sys.exit(main())
