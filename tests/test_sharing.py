"""Sharing: STIX 2.1 bundles (deterministic ids, TLP, phone-number extension, x_pdq files), STIX import with
per-object errors, MISP events, hash lists; privacy by default and an audit event per export; the CLI and the
HTTP routes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
import stix2
from conftest import run_cli
from pymisp import MISPEvent
from test_api import api, token  # noqa: F401  (the fixture: the API over real HTTP)
from test_networks import seeded, world

from crossingwatch.exchange.hashlists import read_hash_list
from crossingwatch.exchange.stix import PHONE_EXTENSION, read_bundle
from crossingwatch.media.signals import BUILTIN_SIGNAL_TYPES
from crossingwatch.runtime import Runtime
from crossingwatch.services import banking, networking, sharing
from crossingwatch.store.sql import SqlStore, open_store

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6339c4e9c9b22"
STIX_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # from the STIX 2.1 specification, 2.9


@pytest.fixture
def store(tmp_path: Path) -> SqlStore:
    s = open_store(str(tmp_path / "cw.db"))
    seeded(s, world())
    networking.build_campaigns(s)
    networking.build_networks(s)
    yield s
    s.close()


def objects(bundle: str) -> list[dict]:
    return json.loads(bundle)["objects"]


def test_stix_export_of_a_network(store: SqlStore) -> None:
    events = []
    nid = store.list_networks()[0].id
    first = sharing.export(store, "stix", network=nid, tlp="amber", track=events.append)
    second = sharing.export(store, "stix", network=nid, tlp="amber")
    assert first == second  # the same network exported twice is the same bundle
    objs = objects(first)
    by_type: dict[str, list[dict]] = {}
    for o in objs:
        by_type.setdefault(o["type"], []).append(o)
    phones = {o["value"] for o in by_type["phone-number"]}
    assert phones == {"+447700900001", "+447700900002"}  # the helpline is a hub: not shared as theirs
    assert all(PHONE_EXTENSION in o["extensions"] for o in by_type["phone-number"])
    accounts = {(o.get("account_type"), o["account_login"]) for o in by_type["user-account"]}
    assert ("tiktok", "acct0") in accounts and ("telegram", "newguy") in accounts
    assert len(by_type["intrusion-set"]) == 1
    group = by_type["intrusion-set"][0]["id"]
    indicates = [r for r in by_type["relationship"] if r["relationship_type"] == "indicates"]
    assert {r["target_ref"] for r in indicates} == {group} and len(indicates) == len(by_type["indicator"])
    assert all(stix2.TLP_AMBER.id in o.get("object_marking_refs", []) for o in objs if o["type"] !=
               "marking-definition")
    # SCO ids follow the spec: UUIDv5 of the id-contributing properties, so any producer gets the same id
    phone = by_type["phone-number"][0]
    assert phone["id"] == "phone-number--" + str(uuid.uuid5(STIX_NAMESPACE, json.dumps(
        {"value": phone["value"]}, separators=(",", ":"))))
    assert "note" not in by_type and "Dunkirk" not in first  # no post text unless asked for
    assert events and events[0].action == "sharing.exported" and events[0].subject == f"network:{nid}"
    with_text = objects(sharing.export(store, "stix", network=nid, include_content=True))
    assert any("Dunkirk" in o.get("content", "") for o in with_text if o["type"] == "note")
    assert stix2.parse(first, allow_custom=True).type == "bundle"


def test_stix_bank_round_trip_and_same_url_same_id(store: SqlStore) -> None:
    types = {t.name: t for t in BUILTIN_SIGNAL_TYPES}
    banking.create_bank(store, "ours")
    signals = [banking.parse_signal(s, types) for s in (f"pdq:{PDQ}", "url:https://t.me/boat_uk",
                                                        "phone:+44 7700 900123", "handle:telegram:@boat_uk")]
    banking.add_to_bank(store, "ours", signals, actor="t")
    bundle = sharing.export(store, "stix", bank="ours", tlp="red")
    url = next(o for o in objects(bundle) if o["type"] == "url")
    assert url["id"] == stix2.URL(value="https://t.me/boat_uk").id
    pdq_file = next(o for o in objects(bundle) if o["type"] == "file")
    assert pdq_file["hashes"] == {"x_pdq": PDQ}
    assert any(o["id"] == stix2.TLP_RED.id for o in objects(bundle))
    banking.create_bank(store, "partner")
    entries, problems = sharing.import_stix(store, "partner", bundle, types, actor="t")
    assert problems == []
    assert {(e.signal_type, e.value) for e in store.list_entries("partner")} == \
        {(e.signal_type, e.value) for e in store.list_entries("ours")}


def test_stix_import_reports_each_bad_object_and_imports_the_rest(store: SqlStore) -> None:
    types = {t.name: t for t in BUILTIN_SIGNAL_TYPES}
    banking.create_bank(store, "in")
    good = stix2.URL(value="https://t.me/good_one")
    bundle = {"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": [
        json.loads(good.serialize()),
        {"type": "x-weird-thing", "id": "x-weird-thing--" + str(uuid.uuid4()), "spec_version": "2.1"},
        {"type": "url", "id": "url--not-a-uuid", "value": "https://t.me/bad_id"},
        {"type": "indicator", "id": "indicator--" + str(uuid.uuid4()), "spec_version": "2.0",
         "pattern": "[url:value = 'https://t.me/old']", "pattern_type": "stix"},
        {"type": "phone-number", "id": "phone-number--" + str(uuid.uuid4()), "value": "12"},
        {"type": "file", "id": "file--" + str(uuid.uuid4()), "hashes": {"x_pdq": PDQ}},
        "not an object",
    ]}
    entries, problems = sharing.import_stix(store, "in", json.dumps(bundle), types, actor="t")
    assert {(e.signal_type, e.value) for e in entries} == {("url", "https://t.me/good_one"), ("pdq", PDQ)}
    reasons = {p.index: p.reason for p in problems}
    assert set(reasons) == {1, 2, 3, 4, 6}
    assert "unknown object type" in reasons[1] and "field id" in reasons[2]
    assert "spec_version" in reasons[3] and "phone" in reasons[4]
    assert "objects[2]" in problems[1].message("b.json")
    assert read_bundle("{not json")[1][0].reason.startswith("not JSON")
    assert "not a STIX bundle" in read_bundle('{"type": "indicator"}')[1][0].reason


def test_misp_events_and_hash_lists(store: SqlStore) -> None:
    nid = store.list_networks()[0].id
    text = sharing.export(store, "misp", network=nid, tlp="green", track=store.append)
    (raw,) = json.loads(text)["response"]
    event = MISPEvent()
    event.load(raw)
    names = {o.name for o in event.objects}
    assert {"phone-number", "telegram-account", "user-account", "microblog"} <= names
    assert names <= {"phone-number", "url", "telegram-account", "user-account", "microblog", "image", "file"}
    assert "tlp:green" in {t.name for t in event.tags}
    phones = {a.value for o in event.objects if o.name == "phone-number" for a in o.attributes}
    assert phones == {"+447700900001", "+447700900002"}
    again = sharing.export(store, "misp", network=nid, tlp="green", track=store.append)
    assert "Dunkirk" not in text and json.loads(again) == json.loads(text)  # stable UUIDs: re-exports update
    with_text = sharing.export(store, "misp", network=nid, include_content=True, track=store.append)
    assert "Dunkirk" in with_text
    hashes = sharing.export(store, "hashes", network=nid, track=store.append)
    listed, problems = read_hash_list(hashes)
    assert not problems and ("phone", "+447700900002") in {(r.signal_type, r.value) for r in listed}
    assert ("handle", "telegram:newguy") in {(r.signal_type, r.value) for r in listed}
    exported = [e for e in store.list_events() if e.action == "sharing.exported"]
    assert [e.details["format"] for e in exported] == ["misp", "misp", "misp", "hashes"]
    with pytest.raises(Exception, match="exactly one"):
        sharing.export(store, "stix")
    with pytest.raises(Exception, match="TLP"):
        sharing.export(store, "stix", network=nid, tlp="purple")


def test_cli_networks_export_and_import(tmp_path: Path, model_dir: Path) -> None:
    db = str(tmp_path / "cli.db")
    s = open_store(db)
    seeded(s, world())
    s.close()
    env = {"CROSSINGWATCH_DB": db}
    built = run_cli("networks", "build", model_dir=model_dir, env=env)
    assert built.returncode == 0, built.stderr
    assert b"hubs left out" in built.stderr and b"+33800123456" in built.stderr
    listed = run_cli("networks", "--min-size", "2", model_dir=model_dir, env=env)
    assert b"2 networks" in listed.stderr
    gexf = run_cli("networks", "--format", "gexf", model_dir=model_dir, env=env)
    assert gexf.returncode == 0 and b'version="1.3"' in gexf.stdout
    bundle = tmp_path / "n.json"
    out = run_cli("export", "--format", "stix", "--network", "1", "--tlp", "amber", "-o", str(bundle),
                  model_dir=model_dir, env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(bundle.read_text("utf-8"))
    data["objects"].append({"type": "x-unknown", "id": "x-unknown--" + str(uuid.uuid4())})
    bundle.write_text(json.dumps(data), "utf-8")
    assert run_cli("bank", "create", "partner", model_dir=model_dir, env=env).returncode == 0
    imported = run_cli("import-stix", "partner", str(bundle), model_dir=model_dir, env=env)
    assert imported.returncode == 2  # some objects rejected: said, and the rest imported
    assert b"unknown object type 'x-unknown'" in imported.stderr and b"1 objects rejected" in imported.stderr
    s = open_store(db)
    assert ("phone", "+447700900001") in {(e.signal_type, e.value) for e in s.list_entries("partner")}
    actions = [e.action for e in s.list_events()]
    assert {"campaigns.built", "networks.built", "networks.exported", "sharing.exported",
            "sharing.stix_imported"} <= set(actions)
    s.close()


def test_api_networks_and_exports(api: tuple[str, Runtime]) -> None:  # noqa: F811
    base, runtime = api
    seeded(runtime.store(), world())
    analyst = token(runtime, "ana", "analyst")
    researcher = token(runtime, "res", "researcher")
    with httpx.Client(base_url=base, timeout=30) as c:
        assert c.post("/v1/networks/build", headers=researcher).status_code == 403
        built = c.post("/v1/networks/build", headers=analyst).json()
        assert built["networks"]["networks"] == 2
        assert c.get("/v1/networks", headers=researcher).status_code == 403
        summary = c.get("/v1/networks/summary", headers=researcher).json()
        assert summary["networks"] == 2 and "+447700900001" not in json.dumps(summary)
        page = c.get("/v1/networks", headers=analyst, params={"limit": 1}).json()
        assert page["total"] == 2 and len(page["items"]) == 1
        nid = page["items"][0]["id"]
        one = c.get(f"/v1/networks/{nid}", headers=analyst, params={"limit": 3}).json()
        assert one["page"]["truncated"] and len([n for n in one["nodes"] if n["kind"] == "post"]) == 3
        assert c.get("/v1/networks/999", headers=analyst).status_code == 404
        graphml = c.get("/v1/networks/graph", headers=analyst, params={"format": "graphml"})
        assert graphml.status_code == 200 and "<graphml" in graphml.text
        stix_out = c.get("/v1/exports", headers=analyst, params={"format": "stix", "network": nid})
        assert stix_out.status_code == 200 and "phone-number" in stix_out.text
        bad = c.get("/v1/exports", headers=analyst, params={"format": "pdf", "network": nid})
        assert bad.status_code == 422 and "format" in bad.text
        runtime.store().create_bank("partner")
        res = c.post("/v1/imports/stix", headers=analyst, params={"bank": "partner"}, json=stix_out.json()).json()
        assert res["imported"] >= 2 and res["problems"] == []


IBAN, BTC = "iban:GB82WEST12345698765432", "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
ETH, TRX = "eth:0xdac17f958d2ee523a2206206994597c13d831ec7", "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
CARD = "card:1111"


def test_payments_and_near_duplicate_images_are_shared(tmp_path: Path) -> None:
    from crossingwatch.core import Assessment, Author, Post
    from crossingwatch.core.assessment import Indicators

    near = f"{int(PDQ, 16) ^ 0b1011011:064x}"  # 5 bits away from PDQ: the same picture re-encoded
    rows = [("q1", (IBAN, CARD), PDQ), ("q2", (IBAN, CARD, BTC, ETH, TRX), near), ("q3", (BTC, ETH, TRX), None)]
    s = open_store(str(tmp_path / "pay.db"))
    pairs = [(Post(k, "boat to uk, pay first", platform="telegram", url=f"https://t.me/c/{k}", author=Author(k)),
              Assessment(k, "advert", {"advert": 0.9, "seeking": 0.05, "benign": 0.05}, indicators=Indicators(
                  payments=pay), media_signals=(("image:0", "pdq", pdq, 90),) if pdq else ()))
             for k, pay, pdq in rows]
    s.commit_batch(s.start_run("r", "d", ["x"]).id, pairs, [("x", n) for n in range(3)], [], 3, {})
    networking.build_networks(s)
    (net,) = s.list_networks()
    rep = min(PDQ, near)
    assert net.posts == 3 and net.summary["pdq_groups"] == {max(PDQ, near): rep}

    by_type: dict[str, list[dict]] = {}
    for o in objects(sharing.export(s, "stix", network=net.id)):
        by_type.setdefault(o["type"], []).append(o)
    payments = {o["value"]: o for o in by_type["x-crossingwatch-payment"]}
    assert set(payments) == {IBAN, BTC, ETH, TRX}  # a card (last 4 digits only) is no identity: it links nothing
    assert {o["payment_type"] for o in payments.values()} == {"iban", "bitcoin", "ethereum", "tron"}
    assert payments[IBAN]["id"] == "x-crossingwatch-payment--" + str(uuid.uuid5(STIX_NAMESPACE, json.dumps(
        {"value": IBAN}, separators=(",", ":"))))  # spec-deterministic, like the other observables
    ext = {o["id"] for o in by_type["extension-definition"]}
    assert all(set(o["extensions"]) <= ext for o in payments.values())
    assert [o["hashes"] for o in by_type["file"]] == [{"x_pdq": rep}]  # one image, shared by both posts
    patterns = {o["pattern"] for o in by_type["indicator"]}
    assert f"[x-crossingwatch-payment:value = '{IBAN}']" in patterns

    text = sharing.export(s, "misp", network=net.id)
    assert "cc-number" not in text and "credit-card" not in text
    event = MISPEvent()
    event.load(json.loads(text)["response"][0])
    ibans = [a.value for o in event.objects if o.name == "bank-account" for a in o.attributes]
    assert ibans == [IBAN.removeprefix("iban:")]
    coins = {(o.get_attributes_by_relation("symbol")[0].value, a.value) for o in event.objects
             if o.name == "coin-address" for a in o.attributes if a.object_relation.startswith("address")}
    assert coins == {("BTC", BTC[4:]), ("ETH", ETH[4:]), ("TRX", TRX[4:])}
    assert CARD not in text and not event.attributes
    images = [o for o in event.objects if o.name == "image"]
    assert [o.get_attributes_by_relation("pdq")[0].value for o in images] == [rep]
    assert json.loads(sharing.export(s, "misp", network=net.id)) == json.loads(text)  # stable UUIDs

    listed, problems = read_hash_list(sharing.export(s, "hashes", network=net.id))
    assert not problems and {(r.signal_type, r.value) for r in listed if r.signal_type == "pdq"} == {("pdq", rep)}
    assert not any("card" in r.value or "iban" in r.value for r in listed)  # HMA has no payment signal type

    types = {t.name: t for t in BUILTIN_SIGNAL_TYPES}
    banking.create_bank(s, "partner")
    entries, problems = sharing.import_stix(s, "partner", sharing.export(s, "stix", network=net.id), types,
                                            actor="t")
    assert ("pdq", rep) in {(e.signal_type, e.value) for e in entries}
    assert problems and all("'payment' is not installed" in p.reason for p in problems)  # said, not dropped
    s.close()
