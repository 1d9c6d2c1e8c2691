"""Reading networks: a ranked list, one network as a JSON-ready graph for the console (a page of its posts with the
accounts and linking indicators they touch, its timeline, campaign templates and cases), and whole graphs for
export (JSON, GraphML, GEXF). No post text leaves here: nodes carry ids, labels, times and indicator values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any, TextIO

from crossingwatch.core import Event
from crossingwatch.exchange.graphs import write_graph
from crossingwatch.services.networking import Track, _no_track, links_of
from crossingwatch.store.network_protocols import NetworkInput, NetworkRow, NetworkStore

MAX_PAGE = 2000  # posts drawn at once: more and a browser graph stops being readable or responsive


def network_dict(row: NetworkRow) -> dict[str, Any]:
    d = asdict(row)
    d["summary"] = {k: v for k, v in row.summary.items() if k not in ("timeline", "pdq_groups")}
    return d


def list_networks(store: NetworkStore, *, min_size: int = 2, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """The active networks, highest ranked first, one page."""
    rows = store.list_networks(min_size, limit, offset)
    return {"items": [network_dict(r) for r in rows], "limit": limit, "offset": offset,
            "total": store.count_networks(min_size)}


def _post_node(p: NetworkInput, network: int | None, case: int | None) -> dict[str, Any]:
    return {"id": f"post:{p.platform}/{p.post_id}", "kind": "post", "label": f"{p.platform}/{p.post_id}",
            "platform": p.platform, "at": p.at, "url": p.url, "assessed": p.label, "campaign": p.campaign,
            "network": network, "case": case}


def _link_node(kind: str, value: str, network: int | None) -> dict[str, Any]:
    return {"id": f"{kind}:{value}", "kind": kind, "label": value, "network": network}


def _subgraph(posts: Sequence[NetworkInput], linking: set[tuple[str, str]], network: int | None,
              cases: dict[tuple[str, str], int], kinds: Sequence[str],
              pdq_groups: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    for p in posts:
        node = _post_node(p, network, cases.get(p.key))
        nodes[node["id"]] = node
        for kind, value in links_of(p, kinds, pdq_groups):
            if (kind, value) not in linking:
                continue  # a hub, or something only this post has: it links nothing
            other = _link_node(kind, value, network)
            nodes.setdefault(other["id"], other)
            edges.append({"source": node["id"], "target": other["id"], "kind": kind})
    return list(nodes.values()), edges


KINDS = ("account", "phone", "handle", "url", "payment", "pdq", "sha256", "video_md5", "campaign")


def get_network(store: NetworkStore, network_id: int, *, limit: int = 200, offset: int = 0,
                sample: bool = False) -> dict[str, Any]:
    """One network for the console: its summary, a page of posts (`limit` ≤ 2000, from `offset`; with `sample`, an
    even sample across the whole network instead) as nodes with the accounts and linking indicators they touch,
    edges among them, the whole network's timeline, its linking indicators (most shared first), campaign templates
    and cases. `truncated` says whether posts were left out."""
    row = store.get_network(network_id)
    limit = max(1, min(limit, MAX_PAGE))
    step = max(1, row.posts // limit) if sample else 1
    keys = store.network_post_keys(network_id, limit, 0 if sample else offset, step)
    posts = list(store.iter_network_inputs(keys))
    indicators = store.network_indicators(network_id)
    linking = {(k, v) for k, v, _, _ in indicators}
    linking |= {("account", f"{p.platform}:{p.account}") for p in posts if p.account}
    cases = store.case_of_posts(keys)
    nodes, edges = _subgraph(posts, linking, network_id, cases, KINDS, row.summary.get("pdq_groups") or {})
    campaigns = []
    for cid in row.summary.get("campaigns", [])[:20]:
        c = store.get_campaign(cid)
        campaigns.append({"id": c.id, "size": c.size, "first_at": c.first_at, "last_at": c.last_at,
                          "template": c.template})
    return {"network": network_dict(row), "nodes": nodes, "edges": edges,
            "timeline": [{"day": d, "posts": n} for d, n in row.summary.get("timeline", [])],
            "indicators": [{"kind": k, "value": v, "posts": n, "accounts": a} for k, v, n, a in indicators[:500]],
            "campaigns": campaigns, "cases": sorted(set(cases.values())),
            "page": {"limit": limit, "offset": 0 if sample else offset, "sampled_every": step, "posts": len(posts),
                     "total_posts": row.posts, "truncated": len(posts) < row.posts}}


def export_graph(store: NetworkStore, out: TextIO, fmt: str = "json", *, min_size: int = 2,
                 network_ids: Sequence[int] | None = None, actor: str = "system",
                 track: Track = _no_track) -> dict[str, int]:
    """Write the networks (all active ones of `min_size` posts or more, or those named) as one graph."""
    if network_ids is None:
        rows, offset = [], 0
        while page := store.list_networks(min_size, 500, offset):
            rows += page
            offset += len(page)
    else:
        rows = [store.get_network(i) for i in network_ids]
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    for row in rows:
        for n, e in _network_parts(store, row):
            nodes.update({x["id"]: x for x in n if x["id"] not in nodes})
            edges += e
    write_graph(list(nodes.values()), edges, out, fmt, name="crossingwatch networks")
    counts = {"networks": len(rows), "nodes": len(nodes), "edges": len(edges)}
    track(Event("networks.exported", actor, "networks", {"format": fmt, "min_size": min_size,
                                                         "network_ids": list(network_ids or []), **counts}))
    return counts


def _network_parts(store: NetworkStore, row: NetworkRow) -> Iterator[tuple[list[dict[str, Any]],
                                                                           list[dict[str, Any]]]]:
    linking = {(k, v) for k, v, _, _ in store.network_indicators(row.id)}
    keys = store.network_post_keys(row.id)
    for s in range(0, len(keys), 5000):
        posts = list(store.iter_network_inputs(keys[s:s + 5000]))
        accounts = {("account", f"{p.platform}:{p.account}") for p in posts if p.account}
        yield _subgraph(posts, linking | accounts, row.id, {}, KINDS, row.summary.get("pdq_groups") or {})
