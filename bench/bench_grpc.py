"""Latency percentiles of every query through gRPC, and sustained enrich throughput with concurrent
clients.

    python -m bench.bench_grpc --size org20
    python -m bench.bench_grpc --size org20 --clients 4 --seconds 20

A server process (ciem.service.CiemServer on 127.0.0.1, an ephemeral port, plaintext, no auth, the
default 8 workers) serves the estate's saved snapshot, as ``ciem serve`` does after a restart. Calls
go through ciem.client.Client. Throughput runs ``--clients`` client processes, each with its own
channel, sending one-identifier Enrich calls back to back for ``--seconds``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import common
from ciem.client import ServerError

ENRICH_TARGET_MS = 20.0
THROUGHPUT_TARGET = 1000.0


def serve(size: str, seed: int, inputs_file: Path, calls: int, with_sources: bool) -> None:
    """The server child: serve the snapshot, write the sampled inputs, print the port, run until
    standard input closes."""
    from bench import bench_queries
    from ciem.config import Config
    from ciem.pipeline import IndexHolder, SourceSpec
    from ciem.providers import default_manager
    from ciem.service import CiemServer

    manager = default_manager()
    sources = (SourceSpec(path=common.estate(size, seed, log=lambda text: None)),) if with_sources else ()
    config = Config(listen="127.0.0.1:0", state_dir=common.state_dir(size, seed), sources=sources)
    holder = IndexHolder(specs=config.sources, manager=manager, state_dir=config.state_dir)
    if not holder.load_persisted():  # no snapshot yet, or one of an older format: build and save it first
        common.load_or_build(size, seed, manager, log=lambda text: print(text, file=sys.stderr))
        holder.load_persisted()
    holder.warming.join()  # as a server that has been up a while: reach's per-identity answers worked out
    index = holder.current
    identities = sorted(i for i in index.identities if index.identities[i].kind.value != "external")
    inputs = {
        "enrich": bench_queries.enrich_identifiers(index, calls, seed),
        "reach": common.sample(identities, calls, seed),
        "who-can": common.sample(sorted(index.resources), calls, seed),
        "explain": bench_queries.explain_requests(index, calls, seed),
    }
    inputs_file.write_text(json.dumps(inputs))
    server = CiemServer(config, holder, manager)
    port = server.start()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()
    server.stop(grace=1.0)


class Server:
    """A server child process for the duration of a ``with`` block."""

    def __init__(self, size: str, seed: int, calls: int, with_sources: bool = False):
        self.inputs_file = Path(tempfile.mkstemp(prefix="ciem-bench-inputs-", suffix=".json")[1])
        command = [sys.executable, "-m", "bench.bench_grpc", "--serve", size, "--seed", str(seed),
                   "--calls", str(calls), "--inputs-file", str(self.inputs_file)]
        if with_sources:
            command.append("--with-sources")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise SystemExit(f"the server did not start (exit status {self.process.wait()})")
        self.target = f"127.0.0.1:{int(line.split()[1])}"
        self.inputs = json.loads(self.inputs_file.read_text())

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.inputs_file.unlink(missing_ok=True)


def ensure_snapshot(size: str, seed: int, time_limit: float) -> None:
    if (common.state_dir(size, seed) / "index.pickle").is_file():
        return
    print(f"building and saving the {size} index first (python -m bench.bench_index --sizes {size}) ...")
    subprocess.run([sys.executable, "-m", "bench.bench_index", "--child-build", size, "--seed", str(seed)],
                   check=True, timeout=time_limit, stdout=subprocess.DEVNULL)


def latencies(client, inputs: dict, names: tuple[str, ...]) -> dict[str, dict]:
    from bench.bench_queries import print_row
    from ciem.v1 import ciem_pb2 as pb

    calls = {
        "enrich": lambda ident: client.enrich(pb.EnrichRequest(identifiers=[ident])),
        "reach": lambda ident: list(client.reach(pb.ReachRequest(identity=ident))),
        "who-can": lambda resource: list(client.who_can(pb.WhoCanRequest(resource=resource))),
        "explain": lambda req: client.explain(pb.ExplainRequest(identity=req[0], action=req[1], resource=req[2])),
    }
    figures = {}
    for name in names:
        call = calls[name]
        durations, results = common.time_calls(_answer_or_refusal(call), inputs[name])
        figures[name] = common.percentiles(durations)
        refused = [r for r in results if isinstance(r, ServerError)]
        if refused:  # an answer over the server's limits is refused, quickly: counted, not dropped
            figures[name]["refused"] = f"{len(refused)} ({refused[0].code.name})"
        answers = sorted(len(r) for r in results if isinstance(r, list))
        if answers:
            figures[name]["messages p50"] = answers[len(answers) // 2]
        print_row(name, figures[name])
    return figures


def _answer_or_refusal(call):
    def run(item):
        try:
            return call(item)
        except ServerError as error:
            return error
    return run


def _enrich_worker(target: str, identifiers: list[str], seconds: float, start_at: float, results) -> None:
    from ciem.client import Client
    from ciem.v1 import ciem_pb2 as pb

    durations = []
    with Client(target) as client:
        client.enrich(pb.EnrichRequest(identifiers=identifiers[:1]))  # connect before the clock starts
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        number = 0
        while True:
            started = time.perf_counter()
            if time.time() >= end:
                break
            client.enrich(pb.EnrichRequest(identifiers=[identifiers[number % len(identifiers)]]))
            durations.append(time.perf_counter() - started)
            number += 1
    results.put(durations)


def throughput(target: str, identifiers: list[str], clients: int, seconds: float) -> dict:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 3.0
    workers = [context.Process(target=_enrich_worker, args=(target, identifiers[n::clients] or identifiers, seconds,
                                                             start_at, results)) for n in range(clients)]
    for worker in workers:
        worker.start()
    durations = []
    for _ in workers:
        durations.extend(results.get(timeout=seconds + 120))
    for worker in workers:
        worker.join()
    figures = common.percentiles(durations)
    figures["calls/s"] = len(durations) / seconds
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=list(common.SIZES), default="org20")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--calls", type=int, default=500, help="timed calls of each query")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes for throughput")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the throughput run")
    parser.add_argument("--build-time-limit", type=float, default=3600.0)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--inputs-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--with-sources", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.seed, args.inputs_file, args.calls, args.with_sources)
        return 0

    from bench.bench_queries import print_heading, print_targets
    from ciem.client import Client

    common.header(f"ciem query latency and enrich throughput through gRPC, {args.size}")
    common.estate(args.size, args.seed)
    ensure_snapshot(args.size, args.seed, args.build_time_limit)
    with Server(args.size, args.seed, args.calls) as server:
        print(f"server at {server.target} (snapshot of {args.size})")
        with Client(server.target) as client:
            print_heading()
            figures = latencies(client, server.inputs, ("enrich",))
            result = throughput(server.target, server.inputs["enrich"], args.clients, args.seconds)
            verdict = "met" if result["calls/s"] >= THROUGHPUT_TARGET else \
                f"MISSED by {THROUGHPUT_TARGET - result['calls/s']:.0f} calls/s"
            print(f"enrich throughput, {args.clients} client processes, {args.seconds:.0f} s: {result['calls/s']:.0f} calls/s "
                  f"(p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms under load); target >= {THROUGHPUT_TARGET:.0f}: {verdict}",
                  flush=True)
            figures.update(latencies(client, server.inputs, ("explain", "reach", "who-can")))
            print_targets(figures, args.size, "through gRPC")
    return 0


if __name__ == "__main__":
    sys.exit(main())
