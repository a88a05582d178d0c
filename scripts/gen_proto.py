#!/usr/bin/env python3
"""Regenerate the Python gRPC stubs from proto/ into server/ (committed), reproducibly.

    python scripts/gen_proto.py            # rewrite server/ciem/v1/*_pb2*.py
    python scripts/gen_proto.py --out DIR  # write to DIR/ciem/v1/ instead (the drift test does this)

Include paths are fixed (the repository's proto/ folder and grpcio-tools' bundled well-known types),
so the output depends only on the .proto files and the grpcio-tools version.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
PROTO_FILES = ("ciem/v1/ciem.proto",)
DEFAULT_OUT = ROOT / "server"


def generate(out: Path) -> list[Path]:
    """Run protoc for every file of PROTO_FILES into ``out``; returns the files written."""
    from grpc_tools import protoc

    well_known = resources.files("grpc_tools") / "_proto"
    out.mkdir(parents=True, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *PROTO_FILES,
    ]
    status = protoc.main(args)
    if status != 0:
        raise RuntimeError(f"protoc failed with status {status}: {' '.join(args)}")
    written = []
    for name in PROTO_FILES:
        stem = out / name[: -len(".proto")]
        written += [stem.with_name(stem.name + suffix) for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output root (default: server/)")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(path.relative_to(args.out) if path.is_relative_to(args.out) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
