"""Transport security, bearer-token authentication and the audit log of the gRPC service.

Tokens file: one token per line, ``NAME SHA256_HEX [providers=P,...] [accounts=A,...]``; blank lines
and ``#`` comments are ignored. The file holds only SHA-256 hashes of the tokens, never the tokens
themselves::

    # printf %s "$TOKEN" | sha256sum
    soar-playbook 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    payments-team 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752 accounts=111122223333

A client sends ``authorization: Bearer TOKEN`` metadata; the health service answers without one so
that load balancers and orchestrators can probe it. A token without scopes may make every call. A
scoped token may ask only about identities and known resources of its providers and accounts; the
answers about them stay complete (they name whoever outside the scope can reach them: hiding those
would give a wrong answer to a security question). The admin calls need an unscoped token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import grpc
from google.protobuf import json_format

from ciem.config import TlsConfig
from ciem.errors import CiemError, ConfigError
from ciem.v1 import ciem_pb2 as pb

UNAUTHENTICATED_PREFIXES = ("/grpc.health.v1.Health/",)
LIMITED_PREFIX = "/ciem.v1."  # the calls ConcurrencyLimiter counts (not health or reflection)
_HASH = re.compile(r"^[0-9a-fA-F]{64}$")
_SCOPE_KEYS = ("providers", "accounts")


class OutOfScopeError(CiemError):
    """A scoped token asked about something outside its scope (PERMISSION_DENIED)."""


class LimitExceededError(CiemError):
    """A call went over one of the configured limits that retrying later may clear (RESOURCE_EXHAUSTED)."""


@dataclass(frozen=True)
class Caller:
    """Who a valid token belongs to and what it may ask about (empty scopes: no limit)."""

    name: str
    providers: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()

    @property
    def scoped(self) -> bool:
        return bool(self.providers or self.accounts)

    def allows(self, provider: str, account: str) -> bool:
        return (not self.providers or provider in self.providers) and (not self.accounts or account in self.accounts)

    def describe(self) -> str:
        parts = [f"{key}={','.join(sorted(getattr(self, key)))}" for key in _SCOPE_KEYS if getattr(self, key)]
        return f"token {self.name!r} ({' '.join(parts) or 'unscoped'})"


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

    def __init__(self, hashes: dict[str, Caller]):
        self._hashes = hashes  # sha256 hex -> who holds the token

    @classmethod
    def from_file(cls, path: Path) -> "TokenAuth":
        hashes: dict[str, Caller] = {}
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the tokens file: {exc.strerror or exc}") from None
        for number, line in enumerate(lines, start=1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            if len(fields) < 2 or not _HASH.match(fields[1]):
                raise ConfigError(f"{path}: line {number}: expected 'NAME SHA256_HEX [providers=...] [accounts=...]' "
                                  "with 64 hex digits")
            digest = fields[1].lower()
            if digest in hashes:
                raise ConfigError(f"{path}: line {number}: the same token hash is listed twice")
            scopes: dict[str, frozenset[str]] = {}
            for item in fields[2:]:
                key, sep, values = item.partition("=")
                names = frozenset(v for v in values.split(",") if v)
                if not sep or key not in _SCOPE_KEYS or key in scopes or not names:
                    raise ConfigError(f"{path}: line {number}: {item!r}: expected providers=P,... or accounts=A,..., "
                                      "each at most once")
                scopes[key] = names
            hashes[digest] = Caller(fields[0], **scopes)
        if not hashes:
            raise ConfigError(f"{path}: no tokens; add a line 'NAME SHA256_HEX'")
        return cls(hashes)

    def caller(self, metadata) -> Caller | None:
        """Who holds the token the metadata carries, or None when it carries no valid token."""
        token = _bearer(metadata)
        if token is None:
            return None
        digest = token_hash(token)
        found = None
        for known, caller in self._hashes.items():  # compare with every hash, in constant time each
            if hmac.compare_digest(known, digest):
                found = caller
        return found

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


class ConcurrencyLimiter(grpc.ServerInterceptor):
    """Refuses a ciem call at once (RESOURCE_EXHAUSTED, never queued) when its client already has
    ``limit`` calls in flight, so that one client cannot hold the threads that serve the others.

    A client is the name of its token when auth is configured, else the peer's host (all its
    connections together).
    """

    def __init__(self, limit: int, auth: TokenAuth | None = None):
        self.limit = limit
        self.auth = auth
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}

    def client(self, context: grpc.ServicerContext) -> str:
        caller = self.auth.caller(context.invocation_metadata()) if self.auth is not None else None
        return f"token {caller.name!r}" if caller is not None else f"peer {peer_host(context.peer())}"

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or not handler_call_details.method.startswith(LIMITED_PREFIX):
            return handler
        if handler.unary_unary is not None:
            return handler._replace(unary_unary=self._limited_unary(handler.unary_unary))
        if handler.unary_stream is not None:
            return handler._replace(unary_stream=self._limited_stream(handler.unary_stream))
        return handler

    def _limited_unary(self, behavior):
        def limited(request, context):
            client = self._acquire(context)
            try:
                return behavior(request, context)
            finally:
                self._release(client)
        return limited

    def _limited_stream(self, behavior):
        def limited(request, context):
            client = self._acquire(context)
            try:
                yield from behavior(request, context)
            finally:  # also when the caller cancels and the generator is closed
                self._release(client)
        return limited

    def _acquire(self, context: grpc.ServicerContext) -> str:
        client = self.client(context)
        with self._lock:
            held = self._in_flight.get(client, 0)
            if held < self.limit:
                self._in_flight[client] = held + 1
                return client
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                      f"{client} already has {self.limit} calls in flight (limits.max_concurrent_per_client); "
                      "retry when one has finished")

    def _release(self, client: str) -> None:
        with self._lock:
            held = self._in_flight.pop(client) - 1
            if held:
                self._in_flight[client] = held


def peer_host(peer: str) -> str:
    """``ipv4:10.0.0.5:41234`` -> ``ipv4:10.0.0.5``, ``ipv6:[::1]:41234`` -> ``ipv6:[::1]``; other
    peers (unix sockets) as given."""
    if peer.startswith(("ipv4:", "ipv6:")):
        return peer.rsplit(":", 1)[0]
    return peer


class AuditLog:
    """Appends one JSON line per call: when, who (token name, else peer), what, result and count."""

    def __init__(self, path: Path, auth: TokenAuth | None = None):
        self.path = path
        self.auth = auth
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, context: grpc.ServicerContext, method: str, request, result: str, count: int) -> None:
        caller = self.auth.caller(context.invocation_metadata()) if self.auth is not None else None
        line = json.dumps(
            {
                "time": datetime.now(timezone.utc).isoformat(),
                "who": caller.name if caller is not None else "anonymous",
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


def restrict(caller: Caller, message):
    """``message`` as a scoped ``caller`` may see it: raises OutOfScopeError when it is about a
    subject outside the scope; an Enrich summary about one becomes an error summary."""
    if isinstance(message, pb.EnrichResponse):
        restricted = pb.EnrichResponse()
        for summary in message.summaries:
            if summary.HasField("identity") and not caller.allows(summary.identity.provider, summary.identity.account):
                summary = pb.IdentitySummary(identifier=summary.identifier,
                                             error=f"outside the scope of {caller.describe()}")
            restricted.summaries.append(summary)
        return restricted
    if isinstance(message, pb.WhoCanResponse):
        header = message.header
        if not header.resource_known:
            raise OutOfScopeError(f"{header.resource!r} is not a resource the index holds; {caller.describe()} "
                                  "may ask only about known resources in its scope")
        _check(caller, header.provider, header.account, f"resource {header.resource!r}")
        return message
    subject = {
        pb.Identity: lambda m: m,
        pb.ReachResponse: lambda m: m.identity,
        pb.Decision: lambda m: m.identity,
        pb.UnusedAccess: lambda m: m.identity,
        pb.RightSizeResponse: lambda m: m.identity,
    }[type(message)](message)
    _check(caller, subject.provider, subject.account, f"identity {subject.id!r}")
    return message


def _check(caller: Caller, provider: str, account: str, what: str) -> None:
    if not caller.allows(provider, account):
        raise OutOfScopeError(f"{what} ({provider} account {account}) is outside the scope of {caller.describe()}")
