"""Transport security, bearer-token authentication and the audit log of the gRPC service.

Tokens file: one token per line, ``NAME SHA256_HEX``; blank lines and ``#`` comments are ignored.
The file holds only SHA-256 hashes of the tokens, never the tokens themselves::

    # printf %s "$TOKEN" | sha256sum
    soar-playbook 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08

A client sends ``authorization: Bearer TOKEN`` metadata. A valid token grants every call; the
health service answers without one so that load balancers and orchestrators can probe it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from datetime import datetime, timezone
from pathlib import Path

import grpc
from google.protobuf import json_format

from ciem.config import TlsConfig
from ciem.errors import ConfigError

UNAUTHENTICATED_PREFIXES = ("/grpc.health.v1.Health/",)
_TOKEN_LINE = re.compile(r"^(\S+)\s+([0-9a-fA-F]{64})$")


def server_credentials(tls: TlsConfig) -> grpc.ServerCredentials:
    """TLS with the configured certificate; with ``client_ca``, clients must present a certificate it
    signed (mutual TLS)."""
    root = tls.client_ca.read_bytes() if tls.client_ca is not None else None
    return grpc.ssl_server_credentials(
        [(tls.key.read_bytes(), tls.cert.read_bytes())],
        root_certificates=root,
        require_client_auth=root is not None,
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _bearer(metadata) -> str | None:
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str) and value[:7].lower() == "bearer ":
            return value[7:].strip()
    return None


class TokenAuth(grpc.ServerInterceptor):
    """Rejects calls without a valid bearer token (UNAUTHENTICATED)."""

    def __init__(self, hashes: dict[str, str]):
        self._hashes = hashes  # sha256 hex -> token name

    @classmethod
    def from_file(cls, path: Path) -> "TokenAuth":
        hashes: dict[str, str] = {}
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the tokens file: {exc.strerror or exc}") from None
        for number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            match = _TOKEN_LINE.match(text)
            if not match:
                raise ConfigError(f"{path}: line {number}: expected 'NAME SHA256_HEX' (64 hex digits)")
            digest = match.group(2).lower()
            if digest in hashes:
                raise ConfigError(f"{path}: line {number}: the same token hash is listed twice")
            hashes[digest] = match.group(1)
        if not hashes:
            raise ConfigError(f"{path}: no tokens; add a line 'NAME SHA256_HEX'")
        return cls(hashes)

    def caller(self, metadata) -> str | None:
        """The name of the token the metadata carries, or None when it carries no valid token."""
        token = _bearer(metadata)
        if token is None:
            return None
        digest = token_hash(token)
        name = None
        for known, known_name in self._hashes.items():
            if hmac.compare_digest(known, digest):
                name = known_name
        return name

    def intercept_service(self, continuation, handler_call_details):
        if handler_call_details.method.startswith(UNAUTHENTICATED_PREFIXES):
            return continuation(handler_call_details)
        if self.caller(handler_call_details.invocation_metadata) is not None:
            return continuation(handler_call_details)
        handler = continuation(handler_call_details)
        return _refusal(handler)


def _refusal(handler: grpc.RpcMethodHandler | None) -> grpc.RpcMethodHandler:
    def deny(request, context):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "a valid bearer token is required")

    if handler is not None and handler.response_streaming and handler.request_streaming:
        return grpc.stream_stream_rpc_method_handler(deny)
    if handler is not None and handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(deny)
    if handler is not None and handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(deny)
    return grpc.unary_unary_rpc_method_handler(deny)


class AuditLog:
    """Appends one JSON line per call: when, who (token name, else peer), what, result and count."""

    def __init__(self, path: Path, auth: TokenAuth | None = None):
        self.path = path
        self.auth = auth
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, context: grpc.ServicerContext, method: str, request, result: str, count: int) -> None:
        who = self.auth.caller(context.invocation_metadata()) if self.auth is not None else None
        line = json.dumps(
            {
                "time": datetime.now(timezone.utc).isoformat(),
                "who": who or "anonymous",
                "peer": context.peer(),
                "method": method,
                "request": json_format.MessageToDict(request, preserving_proto_field_name=True),
                "result": result,
                "count": count,
            },
            sort_keys=True,
        )
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
