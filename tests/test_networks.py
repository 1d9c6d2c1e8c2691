"""Campaigns (MinHash LSH, templates) and networks of shared indicators, on a real SQLite store: incremental
campaign building, hubs that must not merge everything, stable network ids, the console's view, graph exports."""

from __future__ import annotations

import io
import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from crossingwatch.core import Assessment, Author, Media, Post
from crossingwatch.core.assessment import Indicators
from crossingwatch.detect.campaigns import LshParams, cluster, signatures
from crossingwatch.detect.templates import build_template
from crossingwatch.services import network_graphs, networking
from crossingwatch.store.sql import SqlStore, open_store

HELPLINE = "+33800123456"
WORDS = ("cousin stuck calais need help who knows way across sea family waiting winter cold money lost phone "
         "broken asking friends advice please brother sister uncle village river forest camp tent rain police "
         "road night morning questions answer").split()
DAYS = ["Monday", "Tuesday", "Thursday", "Friday", "Sunday", "Saturday"]


def advert_a(i: int) -> str:
    return (f"Boat to UK {DAYS[i % 6]} from Dunkirk beach, {1100 + 50 * i} euro each, kids go free, "
            f"safe rubber boat with life jackets, WhatsApp +44 7700 9{i:05d} or call {HELPLINE}")


def advert_b(i: int) -> str:
    return (f"Lorry to Germany from Belgrade every week, hidden place inside, {2000 + i} dollars, "
            f"no papers needed, we wait at the border, contact @lorry_de_{i % 2} on Telegram now")


def seeded(store: SqlStore, posts: list[tuple[Post, Indicators, str]], run: str = "r") -> None:
    pairs = [(p, Assessment(p.id, label, {"advert": 0.9, "seeking": 0.05, "benign": 0.05} if label != "benign"
                            else {"advert": 0.0, "seeking": 0.0, "benign": 1.0}, indicators=ind))
             for p, ind, label in posts]
    store.commit_batch(store.start_run(run, "d", ["x"]).id, pairs, [("x", n) for n in range(len(pairs))], [],
                       len(pairs), {})


def world() -> list[tuple[Post, Indicators, str]]:
    """Campaign A (12 copies, 4 accounts, 2 platforms, two phones), a lone post sharing A's phone, campaign B
    (5 copies, one account), 14 unrelated seekers from 14 accounts all giving the public helpline, one benign post
    with A's phone."""
    out = []
    for i in range(12):
        phone = "+447700900001" if i < 6 else "+447700900002"
        platform = "facebook" if i % 2 else "tiktok"
        out.append((Post(f"a{i}", advert_a(i), platform=platform, url=f"https://{platform}.com/p/a{i}",
                         created_at=f"2026-10-{1 + i:02d}T10:00:00Z", author=Author(f"acct{i % 4}", f"@acct{i % 4}")),
                    Indicators(phones=(phone, HELPLINE)), "advert"))
    out.append((Post("lone", "Call now for the crossing, places left this week", platform="telegram",
                     created_at="2026-10-20T09:00:00Z", author=Author("newguy")),
                Indicators(phones=("+447700900002",)), "advert"))
    for i in range(5):
        out.append((Post(f"b{i}", advert_b(i), platform="facebook", created_at=f"2026-09-{1 + i:02d}T10:00:00Z",
                         author=Author("lorryman")), Indicators(handles=(f"@lorry_de_{i % 2}",), phones=(HELPLINE,)),
                    "advert"))
    for i in range(14):
        out.append((Post(f"s{i}", " ".join(random.Random(i).sample(WORDS, 9)),
                         platform="x", created_at="2026-10-05T00:00:00Z", author=Author(f"seeker{i}")),
                    Indicators(phones=(HELPLINE,)), "seeking"))
    out.append((Post("news", "Police warn: do not call numbers like +447700900001", platform="x",
                     author=Author("news")), Indicators(phones=("+447700900001",)), "benign"))
    return out


@pytest.fixture
def store(tmp_path: Path) -> SqlStore:
    s = open_store(str(tmp_path / "cw.db"))
    yield s
    s.close()


def test_minhash_groups_near_copies_and_nothing_else() -> None:
    texts = [advert_a(i) for i in range(8)] + [advert_b(i) for i in range(4)] + ["hi", "the weather is nice today"]
    sig, ok = signatures(texts)
    labels = cluster(sig, ok)
    assert len(set(labels[:8])) == 1 and len(set(labels[8:12])) == 1 and labels[0] != labels[8]
    assert labels[12] == -1  # under 5 characters: never clustered
    assert labels[13] not in set(labels[:12])
    # any script: Arabic copies with different numbers are one campaign
    ar = [f"قارب إلى إيطاليا من ليبيا السعر {900 + i} دولار الأطفال مجانا اتصل {i}0012345" for i in range(3)]
    sig, ok = signatures(ar)
    assert len(set(cluster(sig, ok).tolist())) == 1
    with pytest.raises(ValueError):
        LshParams(k=10, bands=5, rows=3)


def test_template_shows_shared_phrases_and_varying_slots() -> None:
    t = build_template([advert_a(i) for i in range(10)])
    assert any("from Dunkirk beach" in p for p in t.phrases)
    kinds = {s.kind for s in t.slots}
    assert {"date", "phone"} <= kinds
    phone_slot = next(s for s in t.slots if s.kind == "phone")
    assert len(phone_slot.values) > 1  # the phones differ between copies
    assert "[date]" in t.text() and "Dunkirk" in t.text()


def test_campaigns_build_incrementally_and_keep_their_ids(store: SqlStore) -> None:
    posts = world()
    seeded(store, posts[:8])
    first = networking.build_campaigns(store)
    assert first["signed"] == 8 and first["created"] == 1
    (camp,) = store.list_campaigns()
    assert camp.size == 8 and "Dunkirk" in camp.template["template"]
    again = networking.build_campaigns(store)
    assert again["signed"] == 0  # nothing new: nothing signed, nothing changed
    seeded(store, posts[8:], run="r2")
    second = networking.build_campaigns(store)
    assert second["signed"] == len(posts) - 8 and second["grown"] == 1 and second["created"] == 1
    grown = store.get_campaign(camp.id)
    assert grown.size == 12
    sizes = sorted(c.size for c in store.list_campaigns())
    assert sizes == [5, 12]


def test_networks_link_shared_indicators_and_exclude_hubs(store: SqlStore) -> None:
    seeded(store, world())
    networking.build_campaigns(store)
    built = networking.build_networks(store)
    assert f"phone:{HELPLINE}" in built["hubs"]
    nets = store.list_networks()
    assert len(nets) == 2
    biggest = nets[0]
    keys = set(store.network_post_keys(biggest.id))
    assert ("telegram", "lone") in keys and ("tiktok", "a0") in keys  # the lone post joined through A's phone
    assert not any(k[1].startswith(("b", "s")) for k in keys)
    assert ("x", "news") not in keys  # benign posts are left out
    assert biggest.accounts == 5 and biggest.platforms == 3
    linking = {(k, v) for k, v, _, _ in store.network_indicators(biggest.id)}
    assert ("phone", "+447700900002") in linking and ("phone", HELPLINE) not in linking
    # without hub exclusion the helpline merges everything: that is what the rule prevents
    loose = networking.NetworkRules(max_groups=10_000)
    networking.build_networks(store, loose)
    assert len(store.list_networks()) == 1 and store.list_networks()[0].posts == 12 + 1 + 5 + 14


def test_known_hubs_from_the_rules_file(tmp_path: Path, store: SqlStore) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text('[hubs]\nmax_groups = 1000\nknown = ["phone:+33800123456"]\n', "utf-8")
    rules = networking.load_rules(rules_file)
    seeded(store, world())
    networking.build_campaigns(store)
    assert networking.build_networks(store, rules)["hubs"] == [f"phone:{HELPLINE}"]
    assert len(store.list_networks()) == 2
    default = networking.load_rules(Path(__file__).parents[1] / "data" / "networks" / "rules.toml")
    assert default.max_groups >= 2 and "phone" in default.kinds


def test_network_ids_stay_as_the_network_grows_and_ranking(store: SqlStore) -> None:
    posts = world()
    seeded(store, posts[:8] + posts[13:])
    networking.build_campaigns(store)
    networking.build_networks(store)
    before = {n.posts: n.id for n in store.list_networks()}
    seeded(store, posts[8:13], run="r2")
    networking.build_campaigns(store)
    networking.build_networks(store)
    after = store.list_networks()
    grown = next(n for n in after if n.posts == 13)
    assert grown.id == before[8]
    assert [n.rank for n in after] == [1, 2] and after[0].score >= after[1].score


def test_network_view_pages_and_exports_open_as_graphs(store: SqlStore) -> None:
    seeded(store, world())
    networking.build_campaigns(store)
    networking.build_networks(store)
    top = network_graphs.list_networks(store)
    assert top["total"] == 2 and top["items"][0]["rank"] == 1
    nid = top["items"][0]["id"]
    view = network_graphs.get_network(store, nid, limit=5)
    posts = [n for n in view["nodes"] if n["kind"] == "post"]
    assert len(posts) == 5 and view["page"]["truncated"] and view["page"]["total_posts"] == 13
    ids = {n["id"] for n in view["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in view["edges"])
    assert f"phone:{HELPLINE}" not in ids
    assert sum(d["posts"] for d in view["timeline"]) == 13
    assert view["campaigns"] and "Dunkirk" in view["campaigns"][0]["template"]["template"]
    assert "text" not in json.dumps(posts)  # no post text in the graph
    sampled = network_graphs.get_network(store, nid, limit=4, sample=True)
    assert sampled["page"]["sampled_every"] == 3 and 1 <= sampled["page"]["posts"] <= 4
    assert {n["id"] for n in sampled["nodes"] if n["kind"] == "post"} != {n["id"] for n in posts[:4]}
    for fmt in ("json", "graphml", "gexf"):
        buf = io.StringIO()
        counts = network_graphs.export_graph(store, buf, fmt)
        assert counts["networks"] == 2 and counts["edges"] > 0
        if fmt == "json":
            assert len(json.loads(buf.getvalue())["edges"]) == counts["edges"]
        elif fmt == "graphml":
            g = nx.read_graphml(io.BytesIO(buf.getvalue().encode("utf-8")))
            assert g.number_of_nodes() == counts["nodes"] and g.number_of_edges() == counts["edges"]
        else:
            root = ET.fromstring(buf.getvalue())
            ns = {"g": "http://gexf.net/1.3"}
            assert root.get("version") == "1.3"
            assert len(root.findall(".//g:node", ns)) == counts["nodes"]
            assert len(root.findall(".//g:edge", ns)) == counts["edges"]


def test_signatures_are_stable_across_runs() -> None:
    a, _ = signatures([advert_a(1)])
    b, _ = signatures([advert_a(1), advert_b(2)])
    assert np.array_equal(a[0], b[0])  # stored signatures stay comparable with new ones


def test_migration_0007_goes_down_and_up(store: SqlStore) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from crossingwatch.store.sql import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    assert not {"campaigns", "campaign_posts", "networks"} & set(inspect(store.engine).get_table_names())
    store.migrate()
    assert {"campaigns", "campaign_posts", "networks", "network_posts", "network_indicators"} <= set(
        inspect(store.engine).get_table_names())


# Payment details and near-duplicate images ------------------------------------------------------------------------
def test_two_posts_sharing_an_iban_end_in_one_network(store: SqlStore, session_runtime) -> None:  # type: ignore[no-untyped-def]
    from crossingwatch.detect.fusion import indicators_of
    from crossingwatch.detect.pipeline import TextAnalyser

    analyser = TextAnalyser(session_runtime.resources)
    texts = {"p1": "Boat to UK from Dunkirk, 1200 euro, pay to IBAN GB82 WEST 1234 5698 7654 32",
             "p2": "Lorry to Germany weekly, no papers. Transfer first: gb82west12345698765432 (bank)",
             "p3": "Boat to Italy from Libya, pay to IBAN GB34 BUKB 2020 1555 5555 55 ok"}  # check digits wrong
    posts = [(Post(k, t, platform="facebook", author=Author(f"acct_{k}")), indicators_of(analyser.analyse(t)),
              "advert") for k, t in texts.items()]
    assert posts[0][1].payments == posts[1][1].payments == ("iban:GB82WEST12345698765432",)
    assert posts[2][1].payments == ()
    seeded(store, posts)
    networking.build_networks(store, networking.load_rules(Path(__file__).parents[1] / "data" / "networks" /
                                                           "rules.toml"))
    (net,) = store.list_networks()
    assert set(store.network_post_keys(net.id)) == {("facebook", "p1"), ("facebook", "p2")}
    assert ("payment", "iban:GB82WEST12345698765432") in {(k, v) for k, v, _, _ in store.network_indicators(net.id)}


def photo(seed: int, size: int = 360) -> Image.Image:
    """Something like a photograph: a lit gradient, shapes with soft edges and sensor noise, different per seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    base = np.stack([120 + 90 * np.sin(3 * x + seed), 100 + 80 * y, 140 - 60 * x * y], axis=-1)
    img = Image.fromarray(np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _ in range(10):
        cx, cy, r = rng.integers(0, size, 2).tolist() + [int(rng.integers(15, 90))]
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return img.filter(ImageFilter.GaussianBlur(1.5))


def test_posts_with_near_duplicate_images_link_without_any_bank(tmp_path: Path, store: SqlStore,
                                                                detector) -> None:  # type: ignore[no-untyped-def]
    from crossingwatch.media.signals import BUILTIN_SIGNAL_TYPES
    from crossingwatch.services.media_scanning import MediaAwareDetector
    from crossingwatch.services.scanning import scan_posts
    from crossingwatch.sources.base import Item

    photo(1).save(tmp_path / "boat.png")
    photo(1).resize((250, 250)).save(tmp_path / "boat_copy.jpg", quality=55)  # re-encoded, resized
    photo(2).save(tmp_path / "other.png")
    Image.new("RGB", (200, 200), (40, 90, 200)).save(tmp_path / "flat1.png")  # no detail: PDQ quality 0
    Image.new("RGB", (300, 260), (40, 90, 200)).save(tmp_path / "flat2.png")  # other file, the same PDQ hash
    adverts = {
        "boat": ("Boat to UK this Friday from Dunkirk beach, 1200 euro each, kids go free, safe boat", "boat.png"),
        "copy": ("Lorry to Germany from Belgrade every week, hidden place inside, 2000 dollars, no papers needed",
                 "boat_copy.jpg"),
        "other": ("Fake passports and visas for Italy, 3000 euro, guaranteed delivery, no questions", "other.png"),
        "flat1": ("Crossing to Spain by night from Tangier, 900 euro, places left, children half price", "flat1.png"),
        "flat2": ("Boat from Libya to Lampedusa, 2500 dinar per head, leaving soon, guaranteed", "flat2.png"),
    }
    posts = [Post(k, text, platform="telegram", author=Author(f"seller_{k}"),
                  media=(Media("image", str(tmp_path / image)),)) for k, (text, image) in adverts.items()]
    media = MediaAwareDetector(detector, BUILTIN_SIGNAL_TYPES, None, None)  # no bank at all
    predictions: dict[str, dict] = {}
    scan_posts([Item("test", n, p) for n, p in enumerate(posts, 1)], media, store, fingerprint="images",
               inputs=["test"], on_prediction=lambda p: predictions.__setitem__(p["id"], p))
    assert all(p["label"] != "benign" for p in predictions.values()), {k: p["label"] for k, p in predictions.items()}
    pdq = {k: next(s for s in p["media_signals"] if s["type"] == "pdq") for k, p in predictions.items()}
    assert all(p["media_signals"][0]["source"] == "image:0" and not p["matches"] for p in predictions.values())
    assert pdq["boat"]["value"] != pdq["copy"]["value"]  # not equal: only the near-match can link them
    assert pdq["flat1"]["quality"] < 50 and pdq["flat1"]["value"] == pdq["flat2"]["value"]  # would link, if trusted
    stored = store.find_predictions([("telegram", "copy")])[("telegram", "copy")]
    assert stored["media_signals"] == predictions["copy"]["media_signals"]  # survives the database

    built = networking.build_networks(store)
    (net,) = store.list_networks()  # the flat pictures (same hash, too little detail) link nothing
    assert set(store.network_post_keys(net.id)) == {("telegram", "boat"), ("telegram", "copy")}
    rep = min(pdq["boat"]["value"], pdq["copy"]["value"])
    assert ("pdq", rep) in {(k, v) for k, v, _, _ in store.network_indicators(net.id)}
    assert built["networks"] == 1
    view = network_graphs.get_network(store, net.id)  # the console links both posts to the one image node
    assert sorted(e["source"] for e in view["edges"] if e["target"] == f"pdq:{rep}") == [
        "post:telegram/boat", "post:telegram/copy"]
    assert "pdq_groups" not in view["network"]["summary"]


def test_pdq_groups_chain_near_matches_exactly() -> None:
    rng = np.random.default_rng(5)
    base = rng.integers(0, 256, 32, dtype=np.uint8)

    def flipped(bits: np.ndarray, n: int, seed: int) -> np.ndarray:
        out = np.unpackbits(bits.copy())
        out[np.random.default_rng(seed).choice(256, n, replace=False)] ^= 1
        return np.packbits(out)

    a, b = base, flipped(base, 31, 1)  # 31 apart: one group
    c = flipped(b, 20, 2)  # near b, maybe far from a: chained into the same group
    far = flipped(base, 120, 3)
    hexes = [x.tobytes().hex() for x in (a, b, c, far)]
    groups = networking.group_pdq(hexes + ["not-a-hash"])
    assert groups[hexes[0]] == groups[hexes[1]] == groups[hexes[2]] == min(hexes[:3])
    assert groups[hexes[3]] == hexes[3] and "not-a-hash" not in groups
    assert networking.group_pdq(hexes[:1]) == {hexes[0]: hexes[0]}
