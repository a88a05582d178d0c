"""The committed stubs are exactly what scripts/gen_proto.py makes from proto/ today."""

from __future__ import annotations

import importlib.util
import re
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "server"


def _gen_proto():
    spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "scripts" / "gen_proto.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_stubs_match_the_proto(tmp_path):
    pytest.importorskip("grpc_tools")
    committed_grpc = (COMMITTED / "ciem" / "v1" / "ciem_pb2_grpc.py").read_text()
    generated_with = re.search(r"GRPC_GENERATED_VERSION = '([^']+)'", committed_grpc).group(1)
    installed = metadata.version("grpcio-tools")
    if installed != generated_with:
        pytest.skip(f"stubs were generated with grpcio-tools {generated_with}, {installed} is installed")
    written = _gen_proto().generate(tmp_path)
    assert written
    for fresh in written:
        relative = fresh.relative_to(tmp_path)
        committed = COMMITTED / relative
        assert committed.exists(), f"{relative} is not committed; run scripts/gen_proto.py"
        assert fresh.read_bytes() == committed.read_bytes(), f"{relative} is stale; run scripts/gen_proto.py"


def test_every_message_field_and_rpc_is_documented():
    """Each message, field, enum value, service and method has a comment in the .proto."""
    from google.protobuf import descriptor_pb2

    from ciem.v1 import ciem_pb2

    proto = descriptor_pb2.FileDescriptorProto()
    ciem_pb2.DESCRIPTOR.CopyToProto(proto)
    text = (ROOT / "proto" / "ciem" / "v1" / "ciem.proto").read_text().splitlines()
    undocumented = []

    def documented(pattern: str) -> bool:
        for number, line in enumerate(text):
            if re.match(pattern, line.strip()):
                return number > 0 and text[number - 1].strip().startswith("//")
        raise AssertionError(f"not found in the .proto: {pattern}")

    for message in proto.message_type:
        if not documented(rf"message {message.name} \{{"):
            undocumented.append(message.name)
        for field in message.field:
            if not documented(rf"(optional |repeated )?[\w.<>, ]+ {field.name} = {field.number};"):
                undocumented.append(f"{message.name}.{field.name}")
    for enum in proto.enum_type:
        for value in enum.value:
            if not documented(rf"{value.name} = {value.number};"):
                undocumented.append(value.name)
    for service in proto.service:
        if not documented(rf"service {service.name} \{{"):
            undocumented.append(service.name)
        for method in service.method:
            if not documented(rf"rpc {method.name}\("):
                undocumented.append(f"{service.name}.{method.name}")
    assert undocumented == []
