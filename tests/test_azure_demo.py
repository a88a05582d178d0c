"""The Fabrikam Health Azure demo tenant: it loads through the Azure provider's hooks, the generator
reproduces it, and every ``Z`` row of the tables in examples/README.md holds (the rows are parsed from
the README, so the documentation and the test cannot drift apart)."""

from __future__ import annotations

import filecmp
import importlib.util
import re
from collections import deque
from pathlib import Path

import pytest

from ciem.index import EffectiveAccessIndex
from ciem.model import EvaluationRequest
from ciem.providers import new_manager

REPO = Path(__file__).resolve().parent.parent
README = REPO / "examples" / "README.md"
DEMO = REPO / "examples" / "azure-demo"
ACTIVITY = REPO / "examples" / "azure-demo-activity"
ADMIN = "admin"


def rows(prefix: str) -> list[tuple[str, ...]]:
    found = []
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = tuple(cell.strip().strip("`").strip() for cell in line.strip().strip("|").split("|"))
        if line.startswith("|") and re.fullmatch(rf"{prefix}\d+", cells[0]):
            found.append(cells)
    return found


@pytest.fixture(scope="module")
def manager():
    return new_manager()


@pytest.fixture(scope="module")
def snapshot(manager):
    return manager.hook.ciem_load_export(provider="azure", path=DEMO, progress=lambda *args: None)


@pytest.fixture(scope="module")
def resolution(manager, snapshot):
    return manager.hook.ciem_resolve(snapshots=[snapshot])


@pytest.fixture(scope="module")
def by_name(resolution) -> dict[str, str]:
    names = {}
    for identity in resolution.identities:
        assert identity.name not in names, f"two identities named {identity.name}"
        names[identity.name] = identity.id
    return names


def resource_id(snapshot, cell: str) -> str:
    """A README resource: a resource, resource group or subscription name, then any sub-path."""
    first, _, rest = cell.partition("/")
    suffix = "/" + rest if rest else ""
    for resource in snapshot.data["resources"]:
        if resource["name"] == first:
            return resource["id"] + suffix
        if resource["id"].split("/")[4] == first:
            return "/".join(resource["id"].split("/")[:5]) + suffix
    for subscription in snapshot.data["subscriptions"]:
        if subscription["name"] == first:
            return f"/subscriptions/{subscription['id']}" + suffix
    raise AssertionError(f"no resource named {first!r} in the demo")


def test_readme_tables_are_present():
    assert len(rows("ZF")) >= 10 and len(rows("ZB")) >= 8 and rows("ZN") and len(rows("ZA")) >= 10 and rows("ZR")


def test_make_run_serves_the_azure_tenant_as_a_second_source():
    from ciem.config import load_config

    config = load_config(REPO / "examples" / "demo-config.yaml")
    assert ("azure", DEMO) in [(source.provider, source.path.resolve()) for source in config.sources]


def test_generator_reproduces_the_committed_files(tmp_path, shared_data):
    spec = importlib.util.spec_from_file_location("make_azure_demo", REPO / "examples" / "make_azure_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(tmp_path / "tenant", shared_data / "azure" / "role-definitions.json")
    generated = sorted(p.relative_to(tmp_path / "tenant") for p in (tmp_path / "tenant").rglob("*") if p.is_file())
    committed = sorted(p.relative_to(DEMO) for p in DEMO.rglob("*") if p.is_file())
    assert generated == committed
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "tenant", DEMO, [str(p) for p in committed], shallow=False)
    assert not mismatch and not errors, f"regenerate with examples/make_azure_demo.py: {mismatch or errors}"
    module.generate_activity(tmp_path / "activity")
    assert filecmp.cmp(tmp_path / "activity" / "activity-log.json", ACTIVITY / "activity-log.json", shallow=False)


def test_the_export_is_recognised_and_complete(manager, snapshot, resolution):
    assert manager.hook.ciem_detect_export(path=DEMO) == "azure"
    assert snapshot.gaps == [] and resolution.gaps == []
    assert {r.type for r in resolution.resources} >= {"Microsoft.Management/managementGroups",
                                                      "Microsoft.Resources/subscriptions", "Microsoft.Compute/virtualMachines"}


class Paths:
    def __init__(self, resolution):
        self.admin = set(resolution.admin)
        self.out: dict[str, list] = {}
        for edge in resolution.edges:
            self.out.setdefault(edge.source, []).append(edge)

    def reaches(self, source: str, target: str, allowed: set[str] | None) -> bool:
        goals = self.admin if target == ADMIN else {target}
        seen, queue = {source}, deque([source])
        while queue:
            node = queue.popleft()
            if node in goals:
                return True
            for edge in self.out.get(node, ()):
                if allowed is not None and not {k.lower() for k in edge.conditions} <= allowed:
                    continue
                if edge.target not in seen:
                    seen.add(edge.target)
                    queue.append(edge.target)
        return False


def _id(by_name, name):
    return name if name == ADMIN else by_name[name]


@pytest.mark.parametrize("row", rows("ZF"), ids=lambda row: row[0])
def test_path_is_found(resolution, by_name, row):
    _, source, target, _how, hinge = row
    allowed = {k.strip().strip("`").lower() for k in hinge.split(",") if k.strip()}
    assert Paths(resolution).reaches(_id(by_name, source), _id(by_name, target), allowed)


@pytest.mark.parametrize("row", rows("ZN"), ids=lambda row: row[0])
def test_path_hinges_on_condition(resolution, by_name, row):
    _, source, target, needs, _why = row
    paths = Paths(resolution)
    assert paths.reaches(_id(by_name, source), _id(by_name, target), {needs.lower()})
    assert not paths.reaches(_id(by_name, source), _id(by_name, target), set())


@pytest.mark.parametrize("row", rows("ZB"), ids=lambda row: row[0])
def test_look_alike_is_blocked(resolution, by_name, row):
    _, source, target, _looks, _why = row
    assert not Paths(resolution).reaches(_id(by_name, source), _id(by_name, target), None)


@pytest.mark.parametrize("row", rows("ZA"), ids=lambda row: row[0])
def test_access_decision(manager, snapshot, by_name, row):
    _, identity, action, resource, decision, context = row
    pairs = dict(pair.split("=", 1) for pair in context.split(";") if pair.strip())
    request = EvaluationRequest(by_name[identity], action, resource_id(snapshot, resource), pairs)
    assert manager.hook.ciem_explain(snapshots=[snapshot], request=request).decision == decision


@pytest.mark.parametrize("row", rows("ZR"), ids=lambda row: row[0])
def test_index_serves_the_access(resolution, snapshot, by_name, row):
    _, identity, action, resource, expected = row
    index = EffectiveAccessIndex([resolution])
    access = index.access_on(by_name[identity], resource_id(snapshot, resource).lower())
    bit = index.catalogs["azure"].bit(action)
    found = "sure" if access.allowed & bit else "conditional" if access.conditional & bit else "none"
    assert found == expected
