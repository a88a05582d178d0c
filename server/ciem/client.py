"""A Python client for the ciem gRPC service.

:class:`Client` has the methods of :class:`ciem.service.Answers` with the same requests and answers,
and raises the same ciem errors for the same problems, so code (the CLI among it) can ask a server or
answer in-process without telling the two apart::

    with Client("127.0.0.1:50051") as client:
        identity = client.resolve_identity(pb.ResolveIdentityRequest(identifier="AKIA..."))
        for message in client.reach(pb.ReachRequest(identity=identity.id, max_hops=3)):
            ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import grpc

from ciem.config import DEFAULT_MAX_MESSAGE_BYTES
from ciem.errors import CiemError, InputError, NotFoundError, QueryError, SourceError
from ciem.v1 import ciem_pb2 as pb
from ciem.v1 import ciem_pb2_grpc as pb_grpc


class ServerError(CiemError):
    """The server failed a call for a reason that has no more specific ciem error."""

    def __init__(self, code: grpc.StatusCode, details: str):
        self.code = code
        super().__init__(f"{code.name}: {details}")


_ERRORS = {
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.INVALID_ARGUMENT: QueryError,
    grpc.StatusCode.FAILED_PRECONDITION: SourceError,
}


def _error(error: grpc.RpcError) -> CiemError:
    code, details = error.code(), error.details() or ""
    kind = _ERRORS.get(code)
    return kind(details) if kind is not None else ServerError(code, details)


class Client:
    """A connection to one ciem server.

    :param target: ``HOST:PORT``.
    :param token: a bearer token, when the server requires one.
    :param ca: PEM file of the CA that signed the server's certificate; set, the channel uses TLS.
    :param cert, key: PEM files of a client certificate, for servers that require mutual TLS.
    :param timeout: seconds each call may take (its deadline); None waits as long as it takes.
    """

    def __init__(
        self,
        target: str,
        *,
        token: str | None = None,
        ca: Path | None = None,
        cert: Path | None = None,
        key: Path | None = None,
        timeout: float | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ):
        options = [
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.max_receive_message_length", max_message_bytes),
        ]
        if (cert is None) != (key is None):
            raise InputError(cert or key, "", "a client certificate needs both cert and key")
        if ca is not None or cert is not None:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(ca),
                private_key=_read(key),
                certificate_chain=_read(cert),
            )
            self._channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._timeout = timeout
        self._access = pb_grpc.AccessServiceStub(self._channel)
        self._findings = pb_grpc.FindingsServiceStub(self._channel)
        self._admin = pb_grpc.AdminServiceStub(self._channel)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def _unary(self, method, request):
        try:
            return method(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise _error(error) from None

    def _stream(self, method, request) -> Iterator:
        try:
            yield from method(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise _error(error) from None

    def resolve_identity(self, request: pb.ResolveIdentityRequest) -> pb.Identity:
        return self._unary(self._access.ResolveIdentity, request)

    def reach(self, request: pb.ReachRequest) -> Iterator[pb.ReachResponse]:
        return self._stream(self._access.Reach, request)

    def who_can(self, request: pb.WhoCanRequest) -> Iterator[pb.WhoCanResponse]:
        return self._stream(self._access.WhoCan, request)

    def explain(self, request: pb.ExplainRequest) -> pb.Decision:
        return self._unary(self._access.Explain, request)

    def enrich(self, request: pb.EnrichRequest) -> pb.EnrichResponse:
        return self._unary(self._access.Enrich, request)

    def get_unused_access(self, request: pb.GetUnusedAccessRequest) -> pb.UnusedAccess:
        return self._unary(self._access.GetUnusedAccess, request)

    def right_size(self, request: pb.RightSizeRequest) -> pb.RightSizeResponse:
        return self._unary(self._access.RightSize, request)

    def list_findings(self, request: pb.ListFindingsRequest) -> pb.ListFindingsResponse:
        return self._unary(self._findings.ListFindings, request)

    def get_index_status(self, request: pb.GetIndexStatusRequest) -> pb.IndexStatus:
        return self._unary(self._admin.GetIndexStatus, request)

    def refresh(self, request: pb.RefreshRequest) -> pb.RefreshResponse:
        return self._unary(self._admin.Refresh, request)


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc.strerror or exc}") from None
