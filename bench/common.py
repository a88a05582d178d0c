"""What the benchmark scripts share: estates by size name, snapshots, memory, percentiles, output."""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from bench.generate import Shape, generate

# Generated estates and saved indexes live here, never in the repository.
ROOT = Path(os.environ.get("CIEM_BENCH_DIR", "/tmp/ciem-bench"))
SIZES: dict[str, Shape] = {
    # A minute or so: checks that the scripts run.
    "smoke": Shape(accounts=2, roles=40, users=8, policies=60, groups=6, buckets=8, tables=4, queues=4, topics=2,
                   secrets=6, keys=3, instances=4),
    "account": Shape(accounts=1),
    "org5": Shape(accounts=5),
    "org20": Shape(accounts=20),
    "org50": Shape(accounts=50),
    "org200": Shape(accounts=200),
}
COMPLETE = ".complete"


def size_arg(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SIZES]
    if unknown:
        raise SystemExit(f"unknown size {unknown[0]!r}; sizes: {', '.join(SIZES)}")
    return names


def estate(size: str, seed: int = 1, log: Callable[[str], None] = print) -> Path:
    """The generated estate of ``size``, generating it the first time (a folder is only used once
    its generation finished)."""
    folder = ROOT / f"{size}-seed{seed}"
    if (folder / COMPLETE).is_file():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    log(f"generating {size} (seed {seed}) into {folder} ...")
    summary = generate(folder, SIZES[size], seed)
    (folder / COMPLETE).write_text(json.dumps({"counts": summary.counts, "bytes": summary.bytes, "seconds": summary.seconds}))
    log(f"  generated in {summary.seconds:.1f} s: {summary.counts}, {summary.bytes / 2**20:.0f} MiB")
    return folder


def state_dir(size: str, seed: int = 1) -> Path:
    """Where the saved index (snapshot) of an estate lives."""
    return ROOT / f"{size}-seed{seed}.state"


def load_or_build(size: str, seed: int, manager, log: Callable[[str], None] = print):
    """The index of an estate: from its saved snapshot if there is one, else built and saved."""
    from ciem import store
    from ciem.pipeline import build_from_inputs

    folder = estate(size, seed, log)
    index = store.load_index(state_dir(size, seed))
    if index is None:
        log(f"building the {size} index (no snapshot yet) ...")
        index = build_from_inputs([str(folder)], manager)
        store.save_index(index, state_dir(size, seed))
    return index


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99, max and mean in milliseconds (nearest-rank percentiles)."""
    ordered = sorted(seconds)
    if not ordered:
        return {"n": 0}

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))] * 1000

    return {"n": len(ordered), "p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ordered[-1] * 1000,
            "mean": sum(ordered) / len(ordered) * 1000}


def time_calls(call: Callable[[Any], Any], inputs: Iterable[Any], warmup: int = 5) -> tuple[list[float], list[Any]]:
    """Each call's duration (after ``warmup`` untimed calls on the first inputs) and its result."""
    inputs = list(inputs)
    for item in inputs[:warmup]:
        call(item)
    durations, results = [], []
    for item in inputs:
        started = time.perf_counter()
        results.append(call(item))
        durations.append(time.perf_counter() - started)
    return durations, results


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({model or platform.processor()}), {memory:.0f} GiB RAM, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def header(title: str) -> None:
    print(f"# {title}")
    print(f"# {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {machine()}")
    print(f"# command: python -m bench.{Path(sys.argv[0]).stem} {' '.join(sys.argv[1:])}".rstrip())


def row(*cells: Any, widths: Sequence[int] = ()) -> None:
    texts = [f"{c:.1f}" if isinstance(c, float) else str(c) for c in cells]
    print("  ".join(t.rjust(widths[i]) if i < len(widths) else t for i, t in enumerate(texts)))


def sample(items: Sequence[Any], count: int, seed: int) -> list[Any]:
    """``count`` items drawn with replacement, reproducibly."""
    rng = random.Random(f"ciem-bench-sample:{seed}")
    return [items[rng.randrange(len(items))] for _ in range(count)]
