"""The OpenSearch sink through opensearch-py over HTTP: against osmem-server's in-memory
OpenSearch always, and against a real cluster too when OPENSEARCH_URL is set.

Contract: composable templates with explicit mappings, ECS documents, idempotent upserts by
finding id, resolution across scans, rejected documents kept. Outage: the server is stopped in the
middle of a push and started again; every accepted document arrives, in order.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
import uuid
from pathlib import Path

import pytest
import yaml
from opensearchpy import OpenSearch

from ciem.errors import ConfigError
from ciem.findings.history import apply_history
from ciem.providers import new_manager
from ciem.sinks import make_sinks
from ciem.sinks.opensearch import OpenSearchSink, load_templates

from findings_estates import estate_scan

SPEC = Path(__file__).resolve().parents[2] / "shared" / "data" / "opensearch-api-spec" / "spec"
REAL_URL = os.environ.get("OPENSEARCH_URL")


@pytest.fixture(params=["osmem", "real"])
def cluster(request):
    """(url, index prefix) of a fresh cluster: an osmem clone, or the real one at OPENSEARCH_URL."""
    if request.param == "osmem":
        clone = request.getfixturevalue("osmem_clone")
        yield clone.url, "ciem"
        return
    if not REAL_URL:
        pytest.skip("OPENSEARCH_URL is not set: no real OpenSearch to run the contract against")
    prefix = f"ciem-test-{uuid.uuid4().hex[:8]}"
    yield REAL_URL, prefix
    client = OpenSearch(hosts=[REAL_URL])
    client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
    for name in ("findings", "identities", "scans"):
        client.indices.delete_index_template(name=f"{prefix}-{name}", ignore=[404])
    client.cluster.delete_component_template(name=f"{prefix}-ecs", ignore=[404])


def sink_for(url: str, prefix: str, spool: Path, **options) -> OpenSearchSink:
    return OpenSearchSink(OpenSearch(hosts=[url], max_retries=0, timeout=5), spool, index_prefix=prefix,
                          **{"max_retries": 1, "retry_backoff": 0.01, **options})


def documents(client: OpenSearch, index: str) -> dict[str, dict]:
    client.indices.refresh(index=index)
    hits = client.search(index=index, body={"size": 1000, "query": {"match_all": {}}})["hits"]["hits"]
    return {hit["_id"]: hit["_source"] for hit in hits}


def test_templates_are_composable_with_explicit_mappings(cluster, tmp_path):
    url, prefix = cluster
    sink = sink_for(url, prefix, tmp_path)
    sink.install_templates()
    client = OpenSearch(hosts=[url])
    template = client.indices.get_index_template(name=f"{prefix}-findings")["index_templates"][0]["index_template"]
    assert template["composed_of"] == [f"{prefix}-ecs"] and template["index_patterns"] == [f"{prefix}-findings*"]
    component = client.cluster.get_component_template(name=f"{prefix}-ecs")["component_templates"][0]
    assert component["component_template"]["template"]["mappings"]["dynamic"] == "strict"
    sink.publish(estate_scan(0))
    mapping = client.indices.get_mapping(index=f"{prefix}-findings")[f"{prefix}-findings"]["mappings"]
    properties = mapping["properties"]
    assert properties["@timestamp"]["type"] == "date"
    assert properties["risk"]["properties"]["calculated_score_norm"]["type"] == "float"
    assert properties["ciem"]["properties"]["finding"]["properties"]["status"]["type"] == "keyword"
    assert mapping["dynamic"] == "strict"  # from the component template
    sink.close()


def test_documents_use_ecs_names_and_aggregate(cluster, tmp_path):
    url, prefix = cluster
    scan = estate_scan(0)
    sink = sink_for(url, prefix, tmp_path)
    sink.publish(scan)
    client = OpenSearch(hosts=[url])
    found = documents(client, f"{prefix}-findings")
    assert set(found) == {f.id for f in scan.findings}
    top = scan.findings[0]
    document = found[top.id]
    assert document["@timestamp"] == scan.at.isoformat()
    assert document["rule"]["id"] == top.rule and document["rule"]["description"]
    assert document["risk"]["calculated_score_norm"] == top.score.value
    assert document["event"]["kind"] == "state" and document["event"]["start"] == scan.at.isoformat()
    assert document["cloud"] == {"provider": "testcloud", "account": {"id": "acct-1"}}
    assert document["user"]["id"] == top.subject
    assert document["ciem"]["finding"]["status"] == "new"
    assert document["ciem"]["score"]["explanation"] == top.score.explanation
    aggregations = client.search(index=f"{prefix}-findings", body={
        "size": 0,
        "aggs": {"rules": {"terms": {"field": "rule.id", "size": 50}},
                 "worst": {"max": {"field": "risk.calculated_score_norm"}}},
    })["aggregations"]
    counts = {bucket["key"]: bucket["doc_count"] for bucket in aggregations["rules"]["buckets"]}
    assert counts["admin-equivalent"] == 3 and aggregations["worst"]["value"] == top.score.value
    identities = documents(client, f"{prefix}-identities")
    assert identities["tc:alice"]["user"]["risk"]["calculated_score_norm"] == scan.identities[0].score
    assert list(documents(client, f"{prefix}-scans")) == [scan.id]
    sink.close()


def test_second_scan_resolves_and_upserts_by_id(cluster, tmp_path):
    url, prefix = cluster
    sink = sink_for(url, prefix, tmp_path)
    first, second = estate_scan(0), estate_scan(1, dev_trusted=False)
    sink.publish(first)
    sink.publish(second)
    client = OpenSearch(hosts=[url])
    found = documents(client, f"{prefix}-findings")
    assert len(found) == len(first.findings)  # the same risks kept their ids: no duplicates
    dev = next(f for f in first.findings if f.subject == "tc:dev")
    assert found[dev.id]["ciem"]["finding"]["status"] == "resolved"
    assert found[dev.id]["event"]["end"] == second.at.isoformat()
    still = next(f for f in first.findings if f.subject == "tc:boss")
    assert found[still.id]["ciem"]["finding"]["status"] == "open"
    assert found[still.id]["ciem"]["finding"]["first_seen"] == first.at.isoformat()
    assert documents(client, f"{prefix}-identities")["tc:dev"]["user"]["risk"]["calculated_score_norm"] == 0
    assert len(documents(client, f"{prefix}-scans")) == 2
    sink.close()


def test_replaying_a_batch_is_idempotent(cluster, tmp_path):
    url, prefix = cluster
    sink = sink_for(url, prefix, tmp_path)
    sink.publish(estate_scan(0))
    client = OpenSearch(hosts=[url])
    before = documents(client, f"{prefix}-findings")
    # Deliver the same batch a second time, as a replay after a crash would.
    from ciem.sinks.opensearch import scan_operations

    sink.spool.append(scan_operations(sink.history.apply(estate_scan(0)), prefix, []))
    assert sink.flush()
    assert documents(client, f"{prefix}-findings").keys() == before.keys()
    sink.close()


def test_a_rejected_document_is_kept_and_the_rest_delivered(cluster, tmp_path):
    url, prefix = cluster
    sink = sink_for(url, prefix, tmp_path)
    sink.install_templates()
    good = {"index": f"{prefix}-scans", "id": "good", "document": {"@timestamp": "2026-01-01T00:00:00Z"}}
    bad = {"index": f"{prefix}-scans", "id": "bad", "document": {"not_mapped": 1}}  # strict mapping
    sink.spool.append([good, bad])
    assert sink.flush()
    assert list(documents(OpenSearch(hosts=[url]), f"{prefix}-scans")) == ["good"]
    buried = list((tmp_path / "dead").glob("*.json"))
    assert len(buried) == 1 and "not_mapped" in buried[0].read_text() and "strict" in buried[0].read_text()
    assert sink.spool.pending() == []
    sink.close()


# -- within the official API ------------------------------------------------------------------------


def _mapping_property_kinds() -> dict[str, set[str]]:
    """Mapping type -> the parameters the specification allows for it."""
    schemas = yaml.safe_load((SPEC / "schemas" / "_common.mapping.yaml").read_text())["components"]["schemas"]

    def keys(schema: dict) -> set[str]:
        if "$ref" in schema:
            ref = schema["$ref"]
            return keys(schemas[ref.rsplit("/", 1)[-1]]) if ref.startswith("#/") else set()
        found = set(schema.get("properties", {}))
        for part in schema.get("allOf", ()):
            found |= keys(part)
        return found

    def kind(schema: dict) -> str | None:
        if "$ref" in schema:
            return kind(schemas[schema["$ref"].rsplit("/", 1)[-1]])
        enum = schema.get("properties", {}).get("type", {}).get("enum")
        if enum:
            return enum[0]
        return next((k for part in schema.get("allOf", ()) if (k := kind(part))), None)

    kinds = {}
    for option in schemas["Property"]["oneOf"]:
        name = kind(option)
        if name:
            kinds[name] = keys(option)
    return kinds


@pytest.mark.skipif(not SPEC.is_dir(), reason=f"the OpenSearch API specification is not at {SPEC}")
def test_template_bodies_use_only_the_specified_fields_and_mapping_parameters():
    request_bodies = yaml.safe_load((SPEC / "namespaces" / "indices.yaml").read_text())["components"]["requestBodies"]
    index_keys = set(request_bodies["indices.put_index_template"]["content"]["application/json"]["schema"]["properties"])
    cluster_bodies = yaml.safe_load((SPEC / "namespaces" / "cluster.yaml").read_text())["components"]["requestBodies"]
    component_keys = set(cluster_bodies["cluster.put_component_template"]["content"]["application/json"]["schema"]["properties"])
    kinds = _mapping_property_kinds()
    templates = load_templates("ciem")
    assert set(templates["component-ecs"]) <= component_keys
    for name in ("index-findings", "index-identities", "index-scans"):
        assert set(templates[name]) <= index_keys, name

    def check(properties: dict, where: str) -> None:
        for field, spec in properties.items():
            kind = spec.get("type", "object")
            assert kind in kinds, f"{where}.{field}: {kind} is not a specified mapping type"
            assert set(spec) <= kinds[kind], f"{where}.{field}: {set(spec) - kinds[kind]} not specified for {kind}"
            check(spec.get("properties", {}), f"{where}.{field}")
            check(spec.get("fields", {}), f"{where}.{field}")

    for name, body in templates.items():
        check(body["template"]["mappings"]["properties"], name)


# -- options ----------------------------------------------------------------------------------------


def test_options_are_validated_with_the_key_named(tmp_path):
    manager = new_manager(load_entry_points=False)
    with pytest.raises(ConfigError, match=r"sinks\[0\]: spool_dir: required"):
        make_sinks(manager, [{"kind": "opensearch", "hosts": "http://127.0.0.1:9"}])
    with pytest.raises(ConfigError, match=r"sinks\[0\]: usernme: unknown opensearch sink option"):
        make_sinks(manager, [{"kind": "opensearch", "hosts": "http://x:9", "spool_dir": str(tmp_path), "usernme": "a"}])
    with pytest.raises(ConfigError, match="password_env: environment variable CIEM_TEST_NO_SUCH_VAR is not set"):
        make_sinks(manager, [{"kind": "opensearch", "hosts": "http://x:9", "spool_dir": str(tmp_path),
                              "username": "a", "password_env": "CIEM_TEST_NO_SUCH_VAR"}])
    with pytest.raises(ConfigError, match=r"sinks\[1\].kind: no installed plugin makes 'kafka' sinks"):
        make_sinks(manager, [{"kind": "sqlite", "path": str(tmp_path / "f.sqlite")}, {"kind": "kafka"}])


# -- outage -----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _StopAfterFirstChunk(logging.Handler):
    """Stops the server as soon as the first chunk of the watched batch has been delivered."""

    def __init__(self, server, batch: int):
        super().__init__(logging.DEBUG)
        self.server, self.batch = server, batch
        self.fired = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.fired and record.msg.startswith("delivered chunk") and record.args[0] == 1 and record.args[2] == self.batch:
            self.fired = True
            self.server.close()


def test_outage_mid_push_loses_nothing_and_replays_in_order(tmp_path):
    from osmem_server import OsmemServer

    address = f"127.0.0.1:{_free_port()}"
    server = OsmemServer.start(addr=address, japanese=False)
    url = server.url
    sink = sink_for(url, "ciem", tmp_path, chunk_size=4, replay_interval=0.2)
    logger = logging.getLogger("ciem.sinks.opensearch")
    level = logger.level
    try:
        first = estate_scan(0, extra_users=6)
        sink.publish(first)
        assert sink.spool.pending() == []
        stopper = _StopAfterFirstChunk(server, batch=2)
        logger.addHandler(stopper)
        logger.setLevel(logging.DEBUG)
        second = estate_scan(1, dev_trusted=False, extra_users=6)
        sink.publish(second)  # accepted; the server dies after the first chunk
        assert stopper.fired and sink.spool.pending() == [2]
        third = estate_scan(2, dev_trusted=True, alice_mfa=True, extra_users=6)
        sink.publish(third)  # accepted while the server is down
        assert sink.spool.pending() == [2, 3]
        server = OsmemServer.start(addr=address, japanese=False)  # back, and empty: it kept nothing in memory
        deadline = time.monotonic() + 20
        while sink.spool.pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sink.spool.pending() == [], "the spool was not replayed after the outage"
        found = documents(OpenSearch(hosts=[url]), "ciem-findings")
        # Every finding of both scans accepted during the outage arrived, the later state winning.
        second = apply_history(second, {f.id: f for f in apply_history(first, {}).findings})
        third = apply_history(third, {f.id: f for f in second.findings})
        expected = {f.id: f.status.value for f in second.findings + second.resolved}
        expected.update({f.id: f.status.value for f in third.findings + third.resolved})
        assert {i: d["ciem"]["finding"]["status"] for i, d in found.items()} == expected
        dev = next(f for f in third.findings if f.subject == "tc:dev")
        assert found[dev.id]["ciem"]["finding"]["status"] == "new"  # resolved in scan 2, back in scan 3
        assert found[dev.id]["event"]["start"] == third.at.isoformat()
        mfa = next(f for f in third.resolved if f.rule == "console-without-mfa")
        assert found[mfa.id]["event"]["end"] == third.at.isoformat()
        client = OpenSearch(hosts=[url])
        assert sorted(documents(client, "ciem-scans")) == sorted([second.id, third.id])
        assert not list((tmp_path / "dead").glob("*.json"))
    finally:
        for handler in [h for h in logger.handlers if isinstance(h, _StopAfterFirstChunk)]:
            logger.removeHandler(handler)
        logger.setLevel(level)
        sink.close()
        server.close()


# -- dashboards saved objects -----------------------------------------------------------------------

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def _mapped_fields(prefix: str, index: str) -> set[str]:
    templates = load_templates(prefix)

    def walk(properties: dict, parent: str = ""):
        for name, spec in properties.items():
            path = f"{parent}{name}"
            yield path
            yield from walk(spec.get("properties", {}), f"{path}.")

    fields = set(walk(templates["component-ecs"]["template"]["mappings"]["properties"]))
    return fields | set(walk(templates[f"index-{index}"]["template"]["mappings"]["properties"]))


def test_saved_objects_are_generated_and_name_only_mapped_fields():
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("make_saved_objects", DEPLOY / "dashboards" / "make_saved_objects.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    committed = (DEPLOY / "dashboards" / "ciem-saved-objects.ndjson").read_text()
    assert committed == generator.render(), "run deploy/dashboards/make_saved_objects.py"
    objects = [json.loads(line) for line in committed.splitlines()]
    ids = {(item["type"], item["id"]) for item in objects}
    for item in objects:
        for reference in item["references"]:
            assert (reference["type"], reference["id"]) in ids, reference
        if item["type"] != "visualization":
            continue
        pattern = item["references"][0]["id"]
        fields = _mapped_fields("ciem", pattern.removeprefix("ciem-"))
        state = json.loads(item["attributes"]["visState"])
        for agg in state["aggs"]:
            if "field" in agg["params"]:
                assert agg["params"]["field"] in fields, (item["id"], agg["params"]["field"])
        query = json.loads(item["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
        for field in re.findall(r"([a-z_.@]+)\s*[:>]", query):
            assert field in fields, (item["id"], field)
    dashboard = next(item for item in objects if item["type"] == "dashboard")
    assert dashboard["attributes"]["title"] == "ciem: standing risk" and len(dashboard["references"]) == 4
