"""Campaigns and networks as use cases: `build_campaigns` (incremental: signs only posts not signed before) and
`build_networks` (posts linked through shared accounts, phones, handles, links, payment details, image hashes and
campaigns; hubs excluded; ranked). Viewing a network and exporting graphs are in `network_graphs.py`.

PDQ hashes link by near-match, not equality: all posts' hashes within `PDQ_LINK_DISTANCE` of each other are chained
into groups (exactly, through `PdqIndex`), and posts link through `("pdq", the group's smallest hash)`. Each network's
summary keeps `pdq_groups` (a hash → its group's hash, where they differ) so its views and exports link the same way.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from crossingwatch.core import Event
from crossingwatch.core.errors import ConfigError
from crossingwatch.core.events import hours_between
from crossingwatch.detect.campaigns import DEFAULT, LshParams, cluster, signatures
from crossingwatch.detect.templates import build_template
from crossingwatch.media.pdq_index import PIGEONHOLE_MAX, PdqIndex
from crossingwatch.media.signals import PDQ_QUALITY_MIN
from crossingwatch.store.network_protocols import CampaignStore, Key, NetworkInput, NetworkStore

Track = Callable[[Event], None]
TEMPLATE_SAMPLE = 30  # copies aligned per template: enough to tell phrases from slots, cheap for a 500-copy campaign
PDQ_LINK_DISTANCE = PIGEONHOLE_MAX  # 31: the threshold banks match at, and the largest the index answers exactly
MEDIA_KINDS = ("pdq", "sha256", "video_md5")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def _no_track(event: Event) -> None:
    return None


@dataclass(frozen=True, slots=True)
class NetworkRules:
    max_groups: int = 12
    known_hubs: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset({"account", "phone", "handle", "url", "payment", "pdq", "sha256", "video_md5",
                                       "campaign"})
    skip_labels: frozenset[str] = frozenset({"benign"})
    weights: dict[str, float] = field(default_factory=lambda: {"posts": 1.0, "accounts": 1.0, "platforms": 0.5,
                                                               "confirmed": 2.0, "recent": 1.0, "recent_days": 30})


def load_rules(path: Path) -> NetworkRules:
    """Rules from `data/networks/rules.toml` (defaults when the file is absent)."""
    if not path.is_file():
        return NetworkRules()
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
        hubs, links, rank = raw.get("hubs", {}), raw.get("links", {}), raw.get("rank", {})
        base = NetworkRules()
        return NetworkRules(int(hubs.get("max_groups", base.max_groups)), frozenset(hubs.get("known", [])),
                            frozenset(links.get("kinds", base.kinds)),
                            frozenset(links.get("skip_labels", base.skip_labels)),
                            {**base.weights, **{k: float(v) for k, v in rank.items()}})
    except (tomllib.TOMLDecodeError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


# Campaigns ---------------------------------------------------------------------------------------------------------
def build_campaigns(store: CampaignStore, params: LshParams = DEFAULT, *, batch: int = 20_000,
                    actor: str = "system", track: Track = _no_track) -> dict[str, int]:
    """Sign the posts not signed yet, then regroup every signature (LSH is fast; signing is the cost). A campaign
    keeps its id as it grows; when two are found to be one, the younger is merged into the older."""
    signed = 0
    while rows := store.unsigned_posts(batch):
        sig, ok = signatures([text for _, _, text in rows], params)
        store.add_signatures([(p, i, sig[n].astype("<u4").tobytes(), bool(ok[n]))
                              for n, (p, i, _) in enumerate(rows)])
        signed += len(rows)
    counts = {"signed": signed, "created": 0, "grown": 0, "merged": 0}
    if not signed:
        return counts
    keys, blobs, oks, camps = store.load_signatures()
    sig = np.frombuffer(b"".join(blobs), dtype="<u4").reshape(len(keys), params.k)
    labels = cluster(sig, np.asarray(oks, dtype=bool), params)
    members: dict[int, list[int]] = defaultdict(list)
    for n, label in enumerate(labels.tolist()):
        if label >= 0:
            members[label].append(n)
    for group in members.values():
        if len(group) < 2:
            continue
        old = sorted({camps[n] for n in group if camps[n] is not None})
        changed = [n for n in group if not old or camps[n] != old[0]]
        if not changed:
            continue
        texts = store.find_post_texts([keys[n] for n in group])
        times = sorted(at for _, at in texts.values() if at)
        sample = [texts[keys[n]][0] for n in group[:: max(1, len(group) // TEMPLATE_SAMPLE)] if keys[n] in texts]
        template = build_template(sample[:TEMPLATE_SAMPLE]).to_dict()
        first, last = (times[0], times[-1]) if times else (None, None)
        if old:
            cid = old[0]
            store.update_campaign(cid, size=len(group), template=template, first_at=first, last_at=last)
            for other in old[1:]:
                store.update_campaign(other, merged_into=cid)
            counts["grown"] += 1
            counts["merged"] += len(old) - 1
        else:
            cid = store.add_campaign(len(group), template, first, last)
            counts["created"] += 1
        store.set_post_campaigns([(keys[n], cid) for n in changed])
    track(Event("campaigns.built", actor, "campaigns", dict(counts)))
    return counts


# Networks ----------------------------------------------------------------------------------------------------------
def links_of(post: NetworkInput, kinds: Iterable[str],
             pdq_groups: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """What a post shares with others, as (kind, value): its account, the indicators its text gives (payment
    details included), the bank entries and hashes of its media (low-quality PDQ hashes left out: they match
    anything flat), its campaign. A PDQ hash is replaced by its group's hash where `pdq_groups` names one."""
    wanted = set(kinds)
    prediction = post.prediction
    ind = prediction.get("indicators") or {}
    out: list[tuple[str, str]] = []
    if post.account:
        out.append(("account", f"{post.platform}:{post.account}"))
    out += [("phone", str(v)) for v in ind.get("phones", [])]
    out += [("handle", str(v).lower()) for v in ind.get("handles", [])]
    out += [("url", str(v).rstrip("/").lower()) for v in ind.get("links", [])]
    out += [("payment", str(v)) for v in ind.get("payments", []) if not str(v).startswith("card:")]  # 4 digits
    for m in prediction.get("matches") or []:
        if isinstance(m, dict) and m.get("signal_type") and m.get("value"):
            out.append((str(m["signal_type"]), str(m["value"])))
    for m in post.media:
        for kind in ("sha256", "pdq"):
            if m.get(kind):
                out.append((kind, str(m[kind])))
    for s in prediction.get("media_signals") or []:
        if isinstance(s, dict) and s.get("type") in MEDIA_KINDS and s.get("value"):
            quality = s.get("quality")
            if s["type"] != "pdq" or not isinstance(quality, int) or quality >= PDQ_QUALITY_MIN:
                out.append((str(s["type"]), str(s["value"])))
    if post.campaign is not None:
        out.append(("campaign", str(post.campaign)))
    return _regrouped([x for x in out if x[0] in wanted], pdq_groups or {})


def _regrouped(links: list[tuple[str, str]], pdq_groups: Mapping[str, str]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(("pdq", pdq_groups.get(v, v)) if k == "pdq" else (k, v) for k, v in links))


def group_pdq(values: Iterable[str], max_distance: int = PDQ_LINK_DISTANCE) -> dict[str, str]:
    """Each PDQ hash (64 hex) → the smallest hash of its group: hashes within `max_distance` of one another, chained
    (connected components of the near-match graph, found exactly with `PdqIndex`). Values that are not PDQ hex
    are left out (they link only when equal)."""
    hexes = sorted({v for v in values if _HEX64.fullmatch(v)}, key=str.lower)
    if len(hexes) < 2:
        return {h: h.lower() for h in hexes}
    bits = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(len(hexes), 32)
    index = PdqIndex.build(bits, np.arange(len(hexes), dtype=np.int64))
    rows, cols = [], []
    for i, found in enumerate(index.query_many(bits, max_distance)):
        for j, _ in found:
            if j != i:
                rows.append(i)
                cols.append(j)
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(len(hexes), len(hexes)))
    _, comp = connected_components(graph, directed=False)
    first: dict[int, str] = {}
    return {h: first.setdefault(c, h.lower()) for h, c in zip(hexes, comp.tolist(), strict=True)}


def find_hubs(posts: list[NetworkInput], links: list[list[tuple[str, str]]],
              rules: NetworkRules) -> set[tuple[str, str]]:
    """Indicators that tie more than `max_groups` separate groups together, and the known ones."""
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for post, found in zip(posts, links, strict=True):
        group = f"c{post.campaign}" if post.campaign is not None else f"a{post.platform}:{post.account}" \
            if post.account else f"p{post.platform}/{post.post_id}"
        for link in found:
            if link[0] not in ("account", "campaign"):
                groups[link].add(group)
    return {k for k, g in groups.items() if len(g) > rules.max_groups or f"{k[0]}:{k[1]}" in rules.known_hubs}


def build_networks(store: NetworkStore, rules: NetworkRules | None = None, *, min_size: int = 2,
                   actor: str = "system", track: Track = _no_track) -> dict[str, Any]:
    """Link posts through what they share (hubs left out), store each connected group of `min_size` posts or more
    as a network, ranked; a network keeps its id when most of its posts were in it before."""
    rules = rules or NetworkRules()
    posts = [p for p in store.iter_network_inputs() if p.label not in rules.skip_labels]
    raw = [links_of(p, rules.kinds) for p in posts]
    pdq_groups = group_pdq(v for found in raw for k, v in found if k == "pdq")
    links = [_regrouped(found, pdq_groups) for found in raw]
    hubs = find_hubs(posts, links, rules)
    ids: dict[tuple[str, str], int] = {}
    rows, cols = [], []
    for n, found in enumerate(links):
        for link in found:
            if link not in hubs:
                rows.append(n)
                cols.append(ids.setdefault(link, len(ids)))
    size = len(posts) + len(ids)
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, [len(posts) + c for c in cols])), shape=(size, size))
    _, comp = connected_components(graph, directed=False) if size else (0, np.zeros(0, np.int64))
    groups: dict[int, list[int]] = defaultdict(list)
    for n in range(len(posts)):
        groups[int(comp[n])].append(n)
    confirmed = store.confirmed_advert_posts()
    old = store.network_of_posts()
    newest = max((p.at for p in posts if p.at), default=None)
    built = []
    for g in groups.values():
        if len(g) >= min_size:
            b = _summarise([posts[n] for n in g], [links[n] for n in g], hubs, confirmed, newest, rules)
            aliases = {v: pdq_groups[v] for n in g for k, v in raw[n] if k == "pdq" and pdq_groups.get(v, v) != v}
            if aliases:
                b["summary"]["pdq_groups"] = dict(sorted(aliases.items()))
            built.append(b)
    built.sort(key=lambda b: (-b["score"], b["first_at"] or ""))
    taken: set[int] = set()
    for b in sorted(built, key=lambda b: -b["posts"]):  # the biggest keep their ids first
        votes = Counter(old[k] for k in b["post_keys"] if k in old and old[k] not in taken)
        b["id"] = min(votes, key=lambda i: (-votes[i], i)) if votes else None
        if b["id"] is not None:
            taken.add(b["id"])
    for rank, b in enumerate(built, 1):
        b["rank"] = rank
    network_ids = store.replace_networks(built)
    result = {"posts": len(posts), "networks": len(built), "hubs": sorted(f"{k}:{v}" for k, v in hubs),
              "indicators": len(ids), "edges": len(rows), "ids": network_ids}
    track(Event("networks.built", actor, "networks", {k: v for k, v in result.items() if k != "ids"}))
    return result


def _summarise(posts: list[NetworkInput], links: list[list[tuple[str, str]]], hubs: set[tuple[str, str]],
               confirmed: set[Key], newest: str | None, rules: NetworkRules) -> dict[str, Any]:
    accounts = {(p.platform, p.account) for p in posts if p.account}
    platforms = {p.platform for p in posts}
    times = sorted(p.at for p in posts if p.at)
    n_confirmed = sum(1 for p in posts if p.key in confirmed)
    shared: dict[tuple[str, str], list[NetworkInput]] = defaultdict(list)
    for p, found in zip(posts, links, strict=True):
        for link in found:
            if link not in hubs:
                shared[link].append(p)
    indicators = sorted(((k, v, len(ps), len({(p.platform, p.account) for p in ps if p.account}))
                         for (k, v), ps in shared.items() if len(ps) >= 2 and k != "account"),
                        key=lambda r: (-r[2], r[0], r[1]))
    w = rules.weights
    age = hours_between(times[-1], newest) if times and newest else None  # a post dated later than `newest`: 0
    recent = math.exp(-age / 24 / max(w["recent_days"], 1.0)) if age is not None else 0.0
    parts = {"posts": w["posts"] * math.log1p(len(posts)), "accounts": w["accounts"] * math.log1p(len(accounts)),
             "platforms": w["platforms"] * len(platforms), "confirmed": w["confirmed"] * math.log1p(n_confirmed),
             "recent": w["recent"] * recent}
    timeline = Counter((p.at or "")[:10] for p in posts if p.at)
    return {"posts": len(posts), "accounts": len(accounts), "platforms": len(platforms), "confirmed": n_confirmed,
            "first_at": times[0] if times else None, "last_at": times[-1] if times else None,
            "score": round(sum(parts.values()), 4), "post_keys": [p.key for p in posts], "indicators": indicators,
            "summary": {"score_parts": {k: round(v, 4) for k, v in parts.items()}, "platforms": sorted(platforms),
                        "labels": dict(Counter(p.label for p in posts)),
                        "campaigns": sorted({p.campaign for p in posts if p.campaign is not None})[:100],
                        "timeline": sorted(timeline.items())[-366:]}}
