"""Reading and writing the AWS export layout of docs/aws-export-layout.md.

:func:`load_export` also takes what the AWS CLI prints without ciem: one
``get-account-authorization-details`` document, or a folder of its pages. Every policy document is
validated as AWS would (:func:`ciem_aws.policy.document.parse_policy`), so that a malformed export
fails here, naming the file and the JSON path, rather than skewing answers later.
"""

from __future__ import annotations

import codecs
import json
import re
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ciem.errors import InputError, SourceError
from ciem.hookspec import Progress
from ciem.model import CoverageGap, Snapshot

from ciem_aws import PROVIDER
from ciem_aws.collect import transform

MANIFEST = "manifest.json"
GAPS = "coverage-gaps.json"
AUTH_DETAILS = "authorization-details"
CREDENTIAL_REPORT = "credential-report.csv"
SAML_PROVIDERS = ("saml-providers.json", "SAMLProviderList")
OIDC_PROVIDERS = ("oidc-providers.json", "OpenIDConnectProviderList")
# organization/ files: (file name, top-level key, key in the snapshot's data["organization"])
ORGANIZATION_LISTS = (
    ("roots.json", "Roots", "roots"),
    ("accounts.json", "Accounts", "accounts"),
    ("organizational-units.json", "OrganizationalUnits", "organizational_units"),
)
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_AUTH_DETAILS_MARK = re.compile(r'"(UserDetailList|GroupDetailList|RoleDetailList|PolicyVersionList)"\s*:')
# Windows PowerShell 5 writes `aws ... > file.json` as UTF-16 with a byte order mark.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_SNIFF_BYTES = 1 << 20


def looks_like_export(path: Path) -> bool:
    """Whether ``path`` is the layout folder, a ``get-account-authorization-details`` file or a
    folder of its pages (cheaply: a file is recognised by its first megabyte)."""
    path = Path(path)
    if path.is_file():
        return _looks_like_authorization_details(path)
    if not path.is_dir():
        return False
    if (path / "organization" / "organization.json").is_file():
        return True
    accounts = path / "accounts"
    if accounts.is_dir() and any(_is_account_folder(folder) for folder in accounts.iterdir()):
        return True
    return any(_looks_like_authorization_details(file) for file in path.glob("*.json"))


def load_export(path: Path, progress: Progress) -> Snapshot:
    """The snapshot held by ``path`` (see the module docstring for what it may be)."""
    path = Path(path)
    reader = _Reader()
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    gaps: list[CoverageGap] = []
    if path.is_file():
        data = _single_account(path, reader.authorization_details([path]))
    elif (path / "accounts").is_dir() or (path / "organization").is_dir():
        data, gaps = _load_layout(path, reader, progress)
    else:
        pages = sorted((file for file in path.glob("*.json") if file.name != MANIFEST), key=_natural_key)
        if not pages:
            raise InputError(path, "", "not an AWS export: no accounts/ or organization/ folder and no "
                             "get-account-authorization-details pages (*.json)")
        data = _single_account(path, reader.authorization_details(pages))
    for account_id, account in data["accounts"].items():
        # Exported with a --filter that left out managed policies, for example.
        gaps += [gap for gap in transform.missing_policy_gaps(account_id, account["authorization_details"])
                 if gap not in gaps]
    manifest = path / MANIFEST
    collected_at = _manifest_time(manifest, reader) if path.is_dir() and manifest.is_file() else reader.newest()
    return Snapshot(provider=PROVIDER, source=f"files:{path}", collected_at=collected_at, data=data, gaps=gaps)


def write_export(snapshot: Snapshot, out: Path) -> None:
    """Write ``snapshot`` as the layout at ``out``, replacing what an earlier ``write_export`` wrote
    there, but never a folder that holds anything else (a user's own CLI output, for one)."""
    out = Path(out)
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or _written_by_us(out))):
        raise SourceError(f"{out}: exists and is neither empty nor an export ciem wrote; not overwriting it")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _write_layout(snapshot, staging)
    except BaseException:
        shutil.rmtree(staging)
        raise
    if out.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        out.rename(retired / out.name)
        staging.rename(out)
        shutil.rmtree(retired)
    else:
        staging.rename(out)


# -- reading -----------------------------------------------------------------------------------


class _Reader:
    """Reads files of one export and remembers the newest modification time among them."""

    def __init__(self) -> None:
        self._newest = 0.0

    def newest(self) -> datetime:
        return datetime.fromtimestamp(self._newest, timezone.utc)

    def text(self, file: Path) -> str:
        self._newest = max(self._newest, file.stat().st_mtime)
        raw = file.read_bytes()
        encoding = _encoding(raw)
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as error:
            raise InputError(file, f"byte {error.start}", f"not {encoding.upper()} text") from None

    def json(self, file: Path) -> Any:
        try:
            return json.loads(self.text(file))
        except json.JSONDecodeError as error:
            raise InputError(file, f"line {error.lineno}, column {error.colno}", f"malformed JSON: {error.msg}") from None

    def object(self, file: Path, key: str | None = None, kind: type = dict) -> Any:
        """The JSON object in ``file``, or its ``key`` member (which must be a ``kind``)."""
        document = self.json(file)
        if not isinstance(document, dict):
            raise InputError(file, "$", "expected a JSON object")
        if key is None:
            return document
        if not isinstance(document.get(key), kind):
            raise InputError(file, f"$.{key}", f"expected {'a list' if kind is list else 'an object'}")
        return document[key]

    def authorization_details(self, files: list[Path]) -> dict[str, list]:
        pages = []
        for file in files:
            page = self.json(file)
            transform.decode_documents(page, transform.AUTH_DETAIL_DOCUMENTS, str(file), validate=True)
            pages.append((str(file), page))
        return transform.merge_authorization_details(pages)


def _written_by_us(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("Provider") == PROVIDER


def _encoding(raw: bytes) -> str:
    return next((encoding for bom, encoding in _BOMS if raw.startswith(bom)), "utf-8")


def _natural_key(file: Path) -> list:
    """``page-2.json`` before ``page-10.json``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", file.name)]


def _looks_like_authorization_details(file: Path) -> bool:
    if file.suffix.lower() != ".json":
        return False
    try:
        with file.open("rb") as stream:
            raw = stream.read(_SNIFF_BYTES)
    except OSError:
        return False
    head = raw.decode(_encoding(raw), errors="ignore")
    return head.lstrip().startswith("{") and _AUTH_DETAILS_MARK.search(head) is not None


def _is_account_folder(folder: Path) -> bool:
    return folder.is_dir() and ((folder / f"{AUTH_DETAILS}.json").is_file() or (folder / AUTH_DETAILS).is_dir())


def _empty_account(details: dict[str, list]) -> dict[str, Any]:
    return {"authorization_details": details, "credential_report": None, "saml_providers": [],
            "oidc_providers": [], "resources": {}}


def _single_account(path: Path, details: dict[str, list]) -> dict[str, Any]:
    """The data of a lone authorization-details document, its account told by the ARNs inside."""
    accounts = transform.accounts_in_authorization_details(details)
    if len(accounts) != 1:
        problem = f"holds ARNs of several accounts ({', '.join(sorted(accounts))})" if accounts else \
            "names no account: no user, group, role or customer managed policy ARN"
        raise InputError(path, "", f"cannot tell which account this is: it {problem}; use the layout "
                         "(accounts/ACCOUNT_ID/) of docs/aws-export-layout.md")
    return {"organization": None, "accounts": {accounts.pop(): _empty_account(details)}}


def _load_layout(root: Path, reader: _Reader, progress: Progress) -> tuple[dict[str, Any], list[CoverageGap]]:
    organization_folder = root / "organization"
    organization = _load_organization(organization_folder, reader) if organization_folder.is_dir() else None
    accounts_folder = root / "accounts"
    folders = sorted(accounts_folder.iterdir()) if accounts_folder.is_dir() else []
    folders = [folder for folder in folders if folder.is_dir()]
    accounts = {}
    for index, folder in enumerate(folders):
        progress(f"aws export account {folder.name}", index, len(folders))
        if not _ACCOUNT_ID.match(folder.name):
            raise InputError(folder, "", "an account folder must be named by its 12-digit account id")
        accounts[folder.name] = _load_account(folder, reader)
    progress("aws export accounts", len(folders), len(folders))
    if not accounts and organization is None:
        raise InputError(root, "", "holds neither accounts/ACCOUNT_ID folders nor an organization/ folder")
    gaps_file = root / GAPS
    gaps = _load_gaps(gaps_file, reader) if gaps_file.is_file() else []
    return {"organization": organization, "accounts": accounts}, gaps


def _load_account(folder: Path, reader: _Reader) -> dict[str, Any]:
    whole, pages = folder / f"{AUTH_DETAILS}.json", folder / AUTH_DETAILS
    if whole.is_file() == pages.is_dir():
        raise InputError(folder, "", f"needs exactly one of {AUTH_DETAILS}.json and {AUTH_DETAILS}/")
    files = [whole] if whole.is_file() else sorted(pages.glob("*.json"), key=_natural_key)
    if not files:
        raise InputError(pages, "", "holds no *.json pages")
    details = reader.authorization_details(files)
    strangers = transform.accounts_in_authorization_details(details) - {folder.name}
    if strangers:
        raise InputError(files[0] if whole.is_file() else pages, "",
                         f"holds ARNs of account {', '.join(sorted(strangers))}, not of {folder.name}")
    account = _empty_account(details)
    report = folder / CREDENTIAL_REPORT
    if report.is_file():
        account["credential_report"] = _load_credential_report(report, reader)
    for key, (name, member) in (("saml_providers", SAML_PROVIDERS), ("oidc_providers", OIDC_PROVIDERS)):
        if (folder / name).is_file():
            account[key] = reader.object(folder / name, member, list)
    resources = folder / "resources"
    for file in sorted(resources.iterdir()) if resources.is_dir() else []:
        service = file.name.removesuffix(".json")
        if not file.name.endswith(".json") or service not in transform.RESOURCE_DOCUMENTS:
            raise InputError(file, "", "not a resource file of the layout (expected one of "
                             f"{', '.join(f'{name}.json' for name in transform.RESOURCE_DOCUMENTS)})")
        content = reader.object(file)
        transform.decode_documents(content, transform.RESOURCE_DOCUMENTS[service], str(file), validate=True)
        account["resources"][service] = content
    return account


def _load_credential_report(file: Path, reader: _Reader) -> list[dict[str, str]]:
    rows = transform.parse_credential_report(reader.text(file))
    if rows and not {"user", "arn"} <= set(rows[0]):
        raise InputError(file, "line 1", "not a credential report: the header has no user and arn columns")
    return rows


def _load_organization(folder: Path, reader: _Reader) -> dict[str, Any]:
    described = folder / "organization.json"
    if not described.is_file():
        raise InputError(folder, "", "needs organization.json (aws organizations describe-organization)")
    data: dict[str, Any] = {"organization": reader.object(described, "Organization")}
    for name, member, key in ORGANIZATION_LISTS:
        data[key] = reader.object(folder / name, member, list) if (folder / name).is_file() else []
    parents_file = folder / "account-parents.json"
    parents = reader.object(parents_file) if parents_file.is_file() else {}
    for account, parent in parents.items():
        if not isinstance(parent, str):
            raise InputError(parents_file, f"$.{account}", "expected the id of the account's parent (ou-... or r-...)")
    data["account_parents"] = parents
    data["policies"] = []
    policies_file = folder / "policies.json"
    if policies_file.is_file():
        content = reader.object(policies_file)
        transform.decode_documents(content, transform.ORGANIZATION_POLICY_DOCUMENTS, str(policies_file), validate=True)
        for index, entry in enumerate(content.get("Policies", [])):
            where = f"$.Policies[{index}]"
            if not isinstance(entry.get("PolicySummary"), dict) or entry.get("Content") is None:
                raise InputError(policies_file, where, "expected PolicySummary and Content")
            if not isinstance(entry.get("Targets", []), list):
                raise InputError(policies_file, f"{where}.Targets", "expected a list")
            data["policies"].append(transform.organization_policy(
                entry["PolicySummary"], entry["Content"], entry.get("Targets", []), str(policies_file)))
    return data


def _load_gaps(file: Path, reader: _Reader) -> list[CoverageGap]:
    entries = reader.json(file)
    if not isinstance(entries, list):
        raise InputError(file, "$", "expected a list of {scope, operation, reason}")
    gaps = []
    for index, entry in enumerate(entries):
        fields = ("scope", "operation", "reason")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(name), str) for name in fields):
            raise InputError(file, f"$[{index}]", "expected an object with string scope, operation and reason")
        gaps.append(CoverageGap(PROVIDER, entry["scope"], entry["operation"], entry["reason"]))
    return gaps


def _manifest_time(file: Path, reader: _Reader) -> datetime:
    value = reader.object(file).get("CollectedAt")
    try:
        collected = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        collected = None
    if collected is None or collected.tzinfo is None:
        raise InputError(file, "$.CollectedAt", "expected an ISO 8601 time with a UTC offset")
    return collected


# -- writing -----------------------------------------------------------------------------------


def _dump(file: Path, value: Any) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_layout(snapshot: Snapshot, root: Path) -> None:
    data = snapshot.data
    _dump(root / MANIFEST, {"Provider": PROVIDER, "CollectedAt": snapshot.collected_at.isoformat(),
                            "Source": snapshot.source})
    organization = data.get("organization")
    if organization is not None:
        folder = root / "organization"
        _dump(folder / "organization.json", {"Organization": organization["organization"]})
        for name, member, key in ORGANIZATION_LISTS:
            _dump(folder / name, {member: organization[key]})
        _dump(folder / "account-parents.json", organization["account_parents"])
        _dump(folder / "policies.json", {"Policies": [
            {"PolicySummary": policy["summary"], "Content": policy["document"], "Targets": policy["targets"]}
            for policy in organization["policies"]
        ]})
    for account_id, account in data["accounts"].items():
        folder = root / "accounts" / account_id
        _dump(folder / f"{AUTH_DETAILS}.json", account["authorization_details"])
        if account["credential_report"] is not None:
            (folder / CREDENTIAL_REPORT).write_text(
                transform.format_credential_report(account["credential_report"]), encoding="utf-8")
        for key, (name, member) in (("saml_providers", SAML_PROVIDERS), ("oidc_providers", OIDC_PROVIDERS)):
            _dump(folder / name, {member: account[key]})
        for service, content in account["resources"].items():
            _dump(folder / "resources" / f"{service}.json", content)
    _dump(root / GAPS, [{"scope": gap.scope, "operation": gap.operation, "reason": gap.reason}
                        for gap in snapshot.gaps])
