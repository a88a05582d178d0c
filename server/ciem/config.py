"""The service's YAML configuration, validated into frozen dataclasses.

config/example.yaml documents every key. Every error is a ConfigError naming the file and the key
(``sources[1].files``). Relative paths are taken relative to the configuration file's folder.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from ciem.errors import ConfigError
from ciem.findings.config import FindingsConfig, parse_findings_config
from ciem.pipeline import ActivitySpec, SourceSpec
from ciem.queries import MAX_HOPS_LIMIT

DEFAULT_LISTEN = "127.0.0.1:50051"
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
DEFAULT_WORKERS = 8
DEFAULT_GRACE_SECONDS = 10.0

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class TlsConfig:
    cert: Path
    key: Path
    client_ca: Path | None = None  # set: clients must present a certificate it signed (mTLS)


@dataclass(frozen=True)
class AuthConfig:
    tokens_file: Path


@dataclass(frozen=True)
class Limits:
    """What one call, and one client, may ask of the server (``limits`` in the configuration)."""

    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES  # largest message sent or received
    max_results: int = 10_000  # messages per streamed answer (then RESOURCE_EXHAUSTED); findings per page
    max_hops: int = MAX_HOPS_LIMIT  # the largest max_hops a request may ask for
    max_identifiers_per_enrich: int = 1000
    max_concurrent_per_client: int = 4  # calls in flight per token (per peer host without auth)
    default_deadline_seconds: float = 60.0  # when the client sets no deadline; not applied to Refresh


LIMIT_KEYS = {
    "max_message_bytes", "max_results", "max_hops", "max_identifiers_per_enrich", "max_concurrent_per_client",
    "default_deadline_seconds",
}


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    listen: str = DEFAULT_LISTEN
    state_dir: Path | None = None
    refresh_interval: float | None = None  # seconds; None: refresh only on request
    sources: tuple[SourceSpec, ...] = ()
    activity: tuple[ActivitySpec, ...] = ()
    findings: FindingsConfig = FindingsConfig()
    # None: the default sinks (ciem.sinks.default_sink_configs) in state_dir, if there is one.
    sinks: tuple[Mapping[str, Any], ...] | None = None
    tls: TlsConfig | None = None
    auth: AuthConfig | None = None
    audit_log: Path | None = None
    insecure_allow_remote_without_tls_and_auth: bool = False
    limits: Limits = Limits()
    workers: int = DEFAULT_WORKERS
    shutdown_grace: float = DEFAULT_GRACE_SECONDS


TOP_LEVEL_KEYS = {
    "listen", "state_dir", "refresh_interval", "sources", "activity", "findings", "sinks", "tls", "auth",
    "audit_log", "insecure_allow_remote_without_tls_and_auth", "limits", "workers", "shutdown_grace",
}
# Options of activity sources and sinks that name files: relative ones are taken from the
# configuration file's folder (the built-in sinks' and providers' path options).
PATH_OPTIONS = ("path", "history", "spool_dir", "ca_certs", "client_cert", "client_key")
PATH_LIST_OPTIONS = ("paths",)


def load_config(path: str | Path) -> Config:
    """Read and validate a configuration file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror or exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_config(raw if raw is not None else {}, path)


def parse_config(raw: Any, path: Path | None = None) -> Config:
    """Validate an already-parsed configuration mapping (``path`` is used in messages and to resolve
    relative paths)."""
    reader = _Reader(path)
    top = reader.mapping(raw, "")
    reader.no_unknown_keys(top, TOP_LEVEL_KEYS, "")
    listen = reader.string(top.get("listen", DEFAULT_LISTEN), "listen")
    parse_listen(listen, reader.where("listen"))
    tls = _tls(reader, top.get("tls"))
    auth = _auth(reader, top.get("auth"))
    workers = reader.positive_int(top.get("workers", DEFAULT_WORKERS), "workers")
    return Config(
        path=path,
        listen=listen,
        state_dir=reader.optional_path(top.get("state_dir"), "state_dir"),
        refresh_interval=_interval(reader, top.get("refresh_interval")),
        sources=tuple(_source(reader, item, f"sources[{i}]") for i, item in enumerate(reader.sequence(top.get("sources", []), "sources"))),
        activity=tuple(
            _activity(reader, item, f"activity[{i}]") for i, item in enumerate(reader.sequence(top.get("activity", []), "activity"))
        ),
        findings=_findings(reader, top.get("findings")),
        sinks=None if top.get("sinks") is None else tuple(
            _sink(reader, item, f"sinks[{i}]") for i, item in enumerate(reader.sequence(top["sinks"], "sinks"))
        ),
        tls=tls,
        auth=auth,
        audit_log=reader.optional_path(top.get("audit_log"), "audit_log"),
        insecure_allow_remote_without_tls_and_auth=reader.boolean(
            top.get("insecure_allow_remote_without_tls_and_auth", False), "insecure_allow_remote_without_tls_and_auth"
        ),
        limits=_limits(reader, top.get("limits"), workers),
        workers=workers,
        shutdown_grace=reader.non_negative_number(top.get("shutdown_grace", DEFAULT_GRACE_SECONDS), "shutdown_grace"),
    )


def parse_listen(listen: str, where: str = "listen") -> tuple[str, int]:
    """Split ``HOST:PORT`` (``[V6]:PORT`` for IPv6) and check both parts."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d+)|([^:\[\]]+):(\d+)", listen.strip())
    if not match:
        raise ConfigError(f"{where}: {listen!r} is not HOST:PORT (use [ADDRESS]:PORT for IPv6)")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if not 0 <= port <= 65535:
        raise ConfigError(f"{where}: port {port} is out of range 0-65535")
    return host, port


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses; wildcard and every other address are remote."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind_safety(config: Config) -> str | None:
    """Refuse (ConfigError) to listen beyond loopback without TLS and auth unless explicitly allowed.

    Returns a warning to log loudly when the unsafe override is what permits the bind, else None.
    """
    host, _ = parse_listen(config.listen, _where(config.path, "listen"))
    if is_loopback(host) or (config.tls is not None and config.auth is not None):
        return None
    missing = " and ".join(name for name, value in (("tls", config.tls), ("auth", config.auth)) if value is None)
    if config.insecure_allow_remote_without_tls_and_auth:
        return (
            f"INSECURE: listening on {config.listen} without {missing}; anyone who can reach this address "
            "can read who can access what in your cloud (insecure_allow_remote_without_tls_and_auth is true)"
        )
    raise ConfigError(
        f"{_where(config.path, 'listen')}: refusing to listen on non-loopback address {config.listen} "
        f"without {missing}; configure tls (cert, key) and auth (tokens_file), or listen on 127.0.0.1"
    )


def _where(path: Path | None, key: str) -> str:
    return f"{path}: {key}" if path is not None else key


class _Reader:
    """Type checks that name the file and key on failure."""

    def __init__(self, path: Path | None):
        self.path = path
        self.base = path.parent if path is not None else Path.cwd()

    def where(self, key: str) -> str:
        return _where(self.path, key or "(top level)")

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {problem}")

    def mapping(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a mapping, got {_kind(value)}")
        for name in value:
            if not isinstance(name, str):
                raise self.fail(key, f"keys must be strings, got {name!r}")
        return value

    def sequence(self, value: Any, key: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {_kind(value)}")
        return value

    def no_unknown_keys(self, value: Mapping[str, Any], allowed: set[str], key: str) -> None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            prefix = f"{key}." if key else ""
            raise self.fail(
                f"{prefix}{unknown[0]}", f"unknown key (allowed here: {', '.join(sorted(allowed))})"
            )

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {_kind(value)}")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {_kind(value)}")
        return value

    def positive_int(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(key, f"expected a positive integer, got {value!r}")
        return value

    def non_negative_number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.fail(key, f"expected a number of seconds >= 0, got {value!r}")
        return float(value)

    def path_value(self, value: Any, key: str) -> Path:
        path = Path(self.string(value, key)).expanduser()
        return path if path.is_absolute() else self.base / path

    def optional_path(self, value: Any, key: str) -> Path | None:
        return None if value is None else self.path_value(value, key)

    def existing_file(self, value: Any, key: str) -> Path:
        path = self.path_value(value, key)
        if not path.is_file():
            raise self.fail(key, f"{path}: no such file")
        return path


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def _interval(reader: _Reader, value: Any) -> float | None:
    """``refresh_interval``: seconds as a number, or a string like ``90s``, ``15m``, ``6h``, ``1d``;
    absent, null or 0 disables scheduled refreshes."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise reader.fail("refresh_interval", f"expected a duration like 15m or 6h, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise reader.fail("refresh_interval", f"expected a duration like 90s, 15m, 6h or 1d, got {value!r}")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 0:
        raise reader.fail("refresh_interval", f"must not be negative, got {value!r}")
    if 0 < seconds < 60:
        raise reader.fail("refresh_interval", f"{value!r} is shorter than the minimum of 60 seconds")
    return seconds or None


def _source(reader: _Reader, value: Any, key: str) -> SourceSpec:
    item = reader.mapping(value, key)
    reader.no_unknown_keys(item, {"provider", "files", "live"}, key)
    has_files, has_live = "files" in item, "live" in item
    if has_files == has_live:
        raise reader.fail(key, "give exactly one of files (an export folder) or live (collection options)")
    if has_files:
        # The provider may be left out for files: it is then detected from the export.
        provider = reader.string(item["provider"], f"{key}.provider") if "provider" in item else ""
        files = reader.path_value(item["files"], f"{key}.files")
        if not files.exists():
            raise reader.fail(f"{key}.files", f"{files}: no such file or folder")
        return SourceSpec(provider=provider, path=files)
    provider = reader.string(item.get("provider"), f"{key}.provider")
    live = item["live"]
    live = {} if live is None else dict(reader.mapping(live, f"{key}.live"))
    return SourceSpec(provider=provider, live=live)


def _with_paths(reader: _Reader, item: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``item`` with its file options (PATH_OPTIONS, PATH_LIST_OPTIONS) taken relative to the
    configuration file."""
    options = dict(item)
    for name in PATH_OPTIONS:
        if name in options:
            options[name] = str(reader.path_value(options[name], f"{key}.{name}"))
    for name in PATH_LIST_OPTIONS:
        if name in options:
            paths = reader.sequence(options[name], f"{key}.{name}")
            options[name] = [str(reader.path_value(p, f"{key}.{name}[{n}]")) for n, p in enumerate(paths)]
    return options


def _activity(reader: _Reader, value: Any, key: str) -> ActivitySpec:
    """``{provider: P, ...}``: the other keys are the provider's activity settings (kind, path, bucket ...)."""
    item = reader.mapping(value, key)
    provider = reader.string(item.get("provider"), f"{key}.provider")
    settings = _with_paths(reader, {k: v for k, v in item.items() if k != "provider"}, key)
    return ActivitySpec(provider=provider, source=settings)


def _sink(reader: _Reader, value: Any, key: str) -> Mapping[str, Any]:
    """``{kind: K, ...}``: the other keys are the kind's options, checked when the sink is made."""
    item = reader.mapping(value, key)
    reader.string(item.get("kind"), f"{key}.kind")
    return _with_paths(reader, item, key)


def _findings(reader: _Reader, value: Any) -> FindingsConfig:
    try:
        return parse_findings_config(value, "findings")
    except ConfigError as error:
        raise ConfigError(f"{reader.path}: {error}" if reader.path is not None else str(error)) from None


def _limits(reader: _Reader, value: Any, workers: int) -> Limits:
    """``limits``: every key optional; max_concurrent_per_client must stay below ``workers`` so that
    one client can never hold every thread that serves calls."""
    if value is None:
        return Limits()
    item = reader.mapping(value, "limits")
    reader.no_unknown_keys(item, LIMIT_KEYS, "limits")
    defaults = Limits()
    numbers = {
        key: reader.positive_int(item.get(key, getattr(defaults, key)), f"limits.{key}")
        for key in LIMIT_KEYS - {"default_deadline_seconds"}
    }
    if numbers["max_hops"] > MAX_HOPS_LIMIT:
        raise reader.fail("limits.max_hops", f"at most {MAX_HOPS_LIMIT}, got {numbers['max_hops']}")
    if numbers["max_concurrent_per_client"] >= workers:
        raise reader.fail("limits.max_concurrent_per_client",
                          f"must be below workers ({workers}) so that one client cannot hold every worker, "
                          f"got {numbers['max_concurrent_per_client']}")
    deadline = item.get("default_deadline_seconds", defaults.default_deadline_seconds)
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or deadline <= 0:
        raise reader.fail("limits.default_deadline_seconds", f"expected a number of seconds > 0, got {deadline!r}")
    return Limits(**numbers, default_deadline_seconds=float(deadline))


def _tls(reader: _Reader, value: Any) -> TlsConfig | None:
    if value is None:
        return None
    item = reader.mapping(value, "tls")
    reader.no_unknown_keys(item, {"cert", "key", "client_ca"}, "tls")
    for required in ("cert", "key"):
        if required not in item:
            raise reader.fail(f"tls.{required}", "required when tls is set")
    client_ca = item.get("client_ca")
    return TlsConfig(
        cert=reader.existing_file(item["cert"], "tls.cert"),
        key=reader.existing_file(item["key"], "tls.key"),
        client_ca=None if client_ca is None else reader.existing_file(client_ca, "tls.client_ca"),
    )


def _auth(reader: _Reader, value: Any) -> AuthConfig | None:
    if value is None:
        return None
    item = reader.mapping(value, "auth")
    reader.no_unknown_keys(item, {"tokens_file"}, "auth")
    if "tokens_file" not in item:
        raise reader.fail("auth.tokens_file", "required when auth is set")
    return AuthConfig(tokens_file=reader.existing_file(item["tokens_file"], "auth.tokens_file"))
