"""The gRPC service: answers from the serving index, servicers, and the server around them.

:class:`Answers` turns API requests into API messages; the servicers add status codes, deadlines and
the audit log around it, and the CLI calls it in-process when it runs without a server, so that
both ways give the same answer.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent import futures
from typing import Callable, Iterator

import grpc
import pluggy
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ciem import convert, findings_feed, queries, usage
from ciem.config import Config, Limits, check_bind_safety
from ciem.errors import CiemError, ConfigError, InputError, NoIndexError, NotFoundError, QueryError, SourceError
from ciem.findings_feed import FindingsFeed, make_feed
from ciem.index import EffectiveAccessIndex
from ciem.pipeline import IndexHolder
from ciem.security import (AuditLog, Caller, ConcurrencyLimiter, LimitExceededError, OutOfScopeError, TokenAuth,
                           restrict, server_credentials)
from ciem.v1 import ciem_pb2 as pb
from ciem.v1 import ciem_pb2_grpc as pb_grpc

log = logging.getLogger(__name__)

# gRPC reports "no deadline" as a remaining time of about 292 years; anything longer counts as none.
_NO_CLIENT_DEADLINE_SECONDS = 1e9
ADMIN_METHODS = frozenset(pb.DESCRIPTOR.services_by_name["AdminService"].methods_by_name)
SERVICE_NAMES = tuple(service.full_name for service in pb.DESCRIPTOR.services_by_name.values())


class Answers:
    """The API's answers from ``holder``'s current index, as ciem.v1 messages.

    Raises ciem errors; the servicers turn them into status codes. ``limits`` caps max_hops, the
    identifiers of one Enrich and the findings of one page.
    """

    def __init__(self, holder: IndexHolder, manager: pluggy.PluginManager, feed: FindingsFeed | None = None,
                 limits: Limits = Limits()):
        self.holder = holder
        self.manager = manager
        self.feed = feed
        self.limits = limits

    def index(self) -> EffectiveAccessIndex:
        index = self.holder.current
        if index is None:
            raise NoIndexError("no index has been built yet; wait for the first refresh to finish")
        return index

    def resolve_identity(self, request: pb.ResolveIdentityRequest) -> pb.Identity:
        return convert.identity(queries.resolve_identity(self.index(), request.identifier, self.manager))

    def reach(self, request: pb.ReachRequest) -> Iterator[pb.ReachResponse]:
        index = self.index()
        start = queries.resolve_identity(index, request.identity, self.manager)
        result = queries.reach(
            index,
            start.id,
            max_hops=self._hops(request),
            action_filter=queries.ActionFilter(
                tuple(request.services), tuple(request.actions), tuple(request.access_levels)
            ),
            resource_prefix=request.resource_prefix,
            min_sensitivity=request.min_sensitivity,
        )
        return convert.reach_responses(result)

    def who_can(self, request: pb.WhoCanRequest) -> Iterator[pb.WhoCanResponse]:
        index = self.index()
        result = queries.who_can(
            index,
            request.resource,
            action_filter=queries.ActionFilter(
                tuple(request.services), tuple(request.actions), tuple(request.access_levels)
            ),
            max_hops=self._hops(request),
        )
        return convert.who_can_responses(result, index.resources.get(request.resource))

    def explain(self, request: pb.ExplainRequest) -> pb.Decision:
        index = self.index()
        subject = queries.resolve_identity(index, request.identity, self.manager)
        context = convert.struct_dict(request.context)
        decision = queries.explain(index, self.manager, subject.id, request.action, request.resource, context)
        return convert.decision(decision, subject)

    def enrich(self, request: pb.EnrichRequest) -> pb.EnrichResponse:
        if not request.identifiers:
            raise QueryError("give at least one identifier")
        most = self.limits.max_identifiers_per_enrich
        if len(request.identifiers) > most:
            raise QueryError(f"at most {most} identifiers per call (limits.max_identifiers_per_enrich), "
                             f"not {len(request.identifiers)}")
        summaries = queries.enrich(self.index(), list(request.identifiers), self.manager)
        return pb.EnrichResponse(summaries=[convert.summary(s) for s in summaries])

    def get_unused_access(self, request: pb.GetUnusedAccessRequest) -> pb.UnusedAccess:
        index = self.index()
        subject = queries.resolve_identity(index, request.identity, self.manager)
        report = usage.unused(index, subject.id, request.window_days or usage.DEFAULT_WINDOW_DAYS)
        return convert.unused_access(report, subject)

    def right_size(self, request: pb.RightSizeRequest) -> pb.RightSizeResponse:
        index = self.index()
        subject = queries.resolve_identity(index, request.identity, self.manager)
        result = usage.rightsize(index, self.manager, subject.id, request.window_days or usage.DEFAULT_WINDOW_DAYS)
        return convert.rightsized(result, subject)

    def list_findings(self, request: pb.ListFindingsRequest, caller: Caller | None = None) -> pb.ListFindingsResponse:
        """A page of the latest scan's findings; a scoped ``caller`` sees only findings in its scope."""
        scan = self.feed.latest if self.feed is not None else None
        if scan is None:
            raise NoIndexError("no findings yet: the first scan runs once the first index is built")
        if (request.page_size or findings_feed.DEFAULT_PAGE_SIZE) > self.limits.max_results:
            capped = pb.ListFindingsRequest()
            capped.CopyFrom(request)
            capped.page_size = self.limits.max_results  # fewer per page; page tokens do not depend on it
            request = capped
        selected = findings_feed.select(scan, request, caller.allows if caller is not None else None)
        start, end, following = findings_feed.page_bounds(
            scan, request, len(selected), caller.describe() if caller is not None else "")
        return pb.ListFindingsResponse(
            findings=[convert.finding(f) for f in selected[start:end]],
            next_page_token=following,
            total_size=len(selected),
            scan_id=scan.id,
            scanned_at=convert.timestamp(scan.at),
        )

    def _hops(self, request: pb.ReachRequest | pb.WhoCanRequest) -> int:
        cap = self.limits.max_hops
        if not request.HasField("max_hops"):
            return min(queries.DEFAULT_MAX_HOPS, cap)
        if request.max_hops > cap:
            raise QueryError(f"max_hops must be between 0 and {cap}, not {request.max_hops} (limits.max_hops)")
        return request.max_hops

    def get_index_status(self, request: pb.GetIndexStatusRequest) -> pb.IndexStatus:
        return convert.index_status(queries.status(self.index()))

    def refresh(self, request: pb.RefreshRequest) -> pb.RefreshResponse:
        return pb.RefreshResponse(status=convert.index_status(queries.status(self.holder.refresh())))



def status_code(error: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and the message a caller may see for an error."""
    if isinstance(error, NotFoundError):
        return grpc.StatusCode.NOT_FOUND, str(error)
    if isinstance(error, QueryError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(error)
    if isinstance(error, NoIndexError):
        return grpc.StatusCode.UNAVAILABLE, str(error)
    if isinstance(error, OutOfScopeError):
        return grpc.StatusCode.PERMISSION_DENIED, str(error)
    if isinstance(error, LimitExceededError):
        return grpc.StatusCode.RESOURCE_EXHAUSTED, str(error)
    if isinstance(error, (InputError, SourceError, ConfigError)):
        return grpc.StatusCode.FAILED_PRECONDITION, str(error)
    return grpc.StatusCode.INTERNAL, "internal error; the server log has the details"


def _result_count(message) -> int:
    if isinstance(message, pb.EnrichResponse):
        return len(message.summaries)
    if isinstance(message, pb.ListFindingsResponse):
        return len(message.findings)
    return 1


class _Calls:
    """Runs one RPC: token scope, audit, deadline checks between streamed messages and once an answer
    is ready, the cap on streamed messages, errors as status codes."""

    def __init__(self, answers: Answers, audit: AuditLog | None, auth: TokenAuth | None = None):
        self.answers = answers
        self.audit = audit
        self.auth = auth
        self.limits = answers.limits

    def _deadline(self, method: str, context: grpc.ServicerContext) -> float | None:
        """The call's deadline on the time.monotonic() clock: the client's, else
        limits.default_deadline_seconds from now; None for an admin call without one (a Refresh
        takes as long as its sources take)."""
        remaining = context.time_remaining()
        if remaining is None or remaining > _NO_CLIENT_DEADLINE_SECONDS:
            if method in ADMIN_METHODS:
                return None
            remaining = self.limits.default_deadline_seconds
        return time.monotonic() + remaining

    def _scoped_caller(self, method: str, context: grpc.ServicerContext) -> Caller | None:
        """The caller when its token is scoped (admin calls refused), else None."""
        caller = self.auth.caller(context.invocation_metadata()) if self.auth is not None else None
        if caller is None or not caller.scoped:
            return None
        if method in ADMIN_METHODS:
            raise OutOfScopeError(f"{method} needs an unscoped token, not {caller.describe()}")
        return caller

    def unary(self, method: str, request, context: grpc.ServicerContext, answer: Callable, *,
              filters_by_caller: bool = False):
        """``filters_by_caller``: ``answer(request, caller)`` applies a scoped caller's scope itself."""
        deadline = self._deadline(method, context)
        try:
            caller = self._scoped_caller(method, context)
            if filters_by_caller:
                response = answer(request, caller)
            else:
                response = answer(request)
                if caller is not None:
                    response = restrict(caller, response)
            _check_deadline(deadline)
        except Exception as error:  # every error becomes a status; internals stay in the log
            self._fail(method, request, context, error, 0)
        self._record(method, request, context, "OK", _result_count(response))
        return response

    def stream(self, method: str, request, context: grpc.ServicerContext, answer: Callable) -> Iterator:
        sent = 0
        deadline = self._deadline(method, context)
        try:
            caller = self._scoped_caller(method, context)
            for message in answer(request):
                if sent == self.limits.max_results:
                    raise LimitExceededError(
                        f"the answer has more than {sent} messages (limits.max_results); narrow it with filters "
                        "or a smaller max_hops")
                if caller is not None and sent == 0:
                    message = restrict(caller, message)  # the first message names the subject
                _check_deadline(deadline)
                if not context.is_active():
                    self._record(method, request, context, "CANCELLED", sent)
                    return
                yield message
                sent += 1
        except GeneratorExit:  # the caller cancelled or went away
            self._record(method, request, context, "CANCELLED", sent)
            raise
        except Exception as error:
            self._fail(method, request, context, error, sent)
        self._record(method, request, context, "OK", sent)

    def _fail(self, method, request, context, error: Exception, sent: int):
        if isinstance(error, _DeadlineExceeded):
            code, message = grpc.StatusCode.DEADLINE_EXCEEDED, f"the deadline passed after {sent} messages"
        else:
            code, message = status_code(error)
        if code == grpc.StatusCode.INTERNAL:
            log.exception("%s failed", method)
        self._record(method, request, context, code.name, sent)
        context.abort(code, message)

    def _record(self, method, request, context, result: str, count: int) -> None:
        if self.audit is not None:
            self.audit.record(context, method, request, result, count)


class _DeadlineExceeded(Exception):
    pass


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise _DeadlineExceeded()


class AccessServicer(pb_grpc.AccessServiceServicer):
    def __init__(self, calls: _Calls):
        self._calls = calls
        self._answers = calls.answers

    def ResolveIdentity(self, request, context):
        return self._calls.unary("ResolveIdentity", request, context, self._answers.resolve_identity)

    def Reach(self, request, context):
        return self._calls.stream("Reach", request, context, self._answers.reach)

    def WhoCan(self, request, context):
        return self._calls.stream("WhoCan", request, context, self._answers.who_can)

    def Explain(self, request, context):
        return self._calls.unary("Explain", request, context, self._answers.explain)

    def Enrich(self, request, context):
        return self._calls.unary("Enrich", request, context, self._answers.enrich)

    def GetUnusedAccess(self, request, context):
        return self._calls.unary("GetUnusedAccess", request, context, self._answers.get_unused_access)

    def RightSize(self, request, context):
        return self._calls.unary("RightSize", request, context, self._answers.right_size)


class FindingsServicer(pb_grpc.FindingsServiceServicer):
    def __init__(self, calls: _Calls):
        self._calls = calls
        self._answers = calls.answers

    def ListFindings(self, request, context):
        return self._calls.unary("ListFindings", request, context, self._answers.list_findings,
                                 filters_by_caller=True)


class AdminServicer(pb_grpc.AdminServiceServicer):
    def __init__(self, calls: _Calls):
        self._calls = calls
        self._answers = calls.answers

    def GetIndexStatus(self, request, context):
        return self._calls.unary("GetIndexStatus", request, context, self._answers.get_index_status)

    def Refresh(self, request, context):
        return self._calls.unary("Refresh", request, context, self._answers.refresh)


class CiemServer:
    """The gRPC server for one configuration: servicers, health, reflection, TLS and auth.

    Health reports NOT_SERVING (overall and per service) until the holder has an index, SERVING
    from then on. Every index the holder puts in service is scanned for findings (``self.feed``).
    """

    def __init__(self, config: Config, holder: IndexHolder, manager: pluggy.PluginManager):
        warning = check_bind_safety(config)
        if warning:
            log.warning("%s\n%s\n%s", "!" * 78, warning, "!" * 78)
        self.config = config
        self.holder = holder
        self.health = health.HealthServicer()
        auth = TokenAuth.from_file(config.auth.tokens_file) if config.auth is not None else None
        audit = AuditLog(config.audit_log, auth) if config.audit_log is not None else None
        self.feed = make_feed(config, manager)
        calls = _Calls(Answers(holder, manager, self.feed, config.limits), audit, auth)
        limiter = ConcurrencyLimiter(config.limits.max_concurrent_per_client, auth)
        interceptors = [auth, limiter] if auth is not None else [limiter]
        options = [
            ("grpc.max_send_message_length", config.limits.max_message_bytes),
            ("grpc.max_receive_message_length", config.limits.max_message_bytes),
        ]
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="ciem-rpc"),
            interceptors=interceptors,
            options=options,
        )
        pb_grpc.add_AccessServiceServicer_to_server(AccessServicer(calls), self.server)
        pb_grpc.add_FindingsServiceServicer_to_server(FindingsServicer(calls), self.server)
        pb_grpc.add_AdminServiceServicer_to_server(AdminServicer(calls), self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
            self.server,
        )
        if config.tls is not None:
            self.port = self.server.add_secure_port(config.listen, server_credentials(config.tls))
        else:
            self.port = self.server.add_insecure_port(config.listen)
        if self.port == 0:
            raise ConfigError(f"{config.path or 'configuration'}: listen: cannot bind {config.listen}")
        holder.on_built.append(self._serve_index)
        holder.on_built.append(self.feed)
        self._set_serving(False)

    def _serve_index(self, index: EffectiveAccessIndex) -> None:
        log.info("serving the index built at %s: %d identities, %d grants, %d edges, %d coverage gaps",
                 index.built_at.isoformat(), len(index.identities), index.grant_count(), index.edge_count(),
                 len(index.gaps))
        self._set_serving(True)

    def _set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", *SERVICE_NAMES):
            self.health.set(name, status)

    def start(self) -> int:
        """Start serving (health SERVING at once if the holder already has an index); returns the
        bound port (useful with port 0)."""
        self._set_serving(self.holder.current is not None)
        self.server.start()
        log.info("ciem listening on %s (port %d)", self.config.listen, self.port)
        return self.port

    def stop(self, grace: float | None = None) -> None:
        """Refuse new calls, let running ones finish within ``grace`` seconds, then stop."""
        self.health.enter_graceful_shutdown()
        self.holder.stop()
        self.server.stop(self.config.shutdown_grace if grace is None else grace).wait()
        self.feed.close()


def serve(config: Config, manager: pluggy.PluginManager) -> None:
    """Run the service until SIGTERM or SIGINT: serve the persisted index at once if there is one,
    build the first index in the background if not, then refresh on the configured interval."""
    holder = IndexHolder(specs=config.sources, manager=manager, state_dir=config.state_dir, activity=config.activity)
    server = CiemServer(config, holder, manager)  # refuses an unsafe listen before any work
    holder.load_persisted()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    server.start()
    threading.Thread(target=_start_up, args=(holder, server.feed), name="ciem-start-up", daemon=True).start()
    if config.refresh_interval:
        holder.start_schedule(config.refresh_interval)
    stopping.wait()
    log.info("stopping: letting running calls finish for up to %.0f seconds", config.shutdown_grace)
    server.stop()


def _start_up(holder: IndexHolder, feed: FindingsFeed) -> None:
    """Build the first index, or scan the persisted one that is already serving."""
    try:
        if holder.current is None:
            holder.refresh()  # the feed scans it as the holder puts it in service
        else:
            feed(holder.current)
    except CiemError:
        pass  # IndexHolder.refresh logged it; health stays NOT_SERVING until a refresh succeeds
    except Exception:
        log.exception("start-up failed; the next scheduled refresh tries again")

