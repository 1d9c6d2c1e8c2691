"""`/v1/networks` (build, list, one network as a graph, whole graphs), `/v1/exports` (STIX 2.1, MISP, hash lists of
a network or a bank) and `/v1/imports/stix` (a bundle into a bank). Analysts (and admins); researchers see only
`/v1/networks/summary`, which has counts and no indicators."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import PlainTextResponse

from crossingwatch.core.errors import InputError
from crossingwatch.services import network_graphs, networking, sharing
from crossingwatch.web.api.common import Id, Limit, Offset, runtime
from crossingwatch.web.deps import allow

router = APIRouter(tags=["networks"])
ANALYSTS = allow("analyst")
MEDIA = {"json": "application/json", "graphml": "application/graphml+xml", "gexf": "application/gexf+xml",
         "stix": "application/stix+json;version=2.1", "misp": "application/json", "hashes": "text/csv"}


@router.post("/networks/build", dependencies=[ANALYSTS])
def build(request: Request, min_size: int = Query(2, ge=2)) -> dict[str, Any]:
    """Update campaigns from the posts not signed yet, then rebuild and rank the networks."""
    rt = runtime(request)
    actor = request.state.user.name
    camps = networking.build_campaigns(rt.store(), actor=actor, track=rt.track)
    rules = networking.load_rules(Path(rt.settings.data_dir) / "networks" / "rules.toml")
    nets = networking.build_networks(rt.store(), rules, min_size=min_size, actor=actor, track=rt.track)
    return {"campaigns": camps, "networks": {k: v for k, v in nets.items() if k != "ids"}}


@router.get("/networks", dependencies=[ANALYSTS])
def list_networks(request: Request, limit: Limit = 50, offset: Offset = 0,
                  min_size: int = Query(2, ge=1)) -> dict[str, Any]:
    return network_graphs.list_networks(runtime(request).store(), min_size=min_size, limit=limit, offset=offset)


@router.get("/networks/summary", dependencies=[allow("analyst", "researcher")])
def summary(request: Request) -> dict[str, Any]:
    """Aggregates only: how many networks, how big, on how many platforms (no ids, indicators or posts)."""
    store = runtime(request).store()
    sizes, platforms, offset = [], [], 0
    while page := store.list_networks(2, 500, offset):
        sizes += [n.posts for n in page]
        platforms += [n.platforms for n in page]
        offset += len(page)
    buckets = {"2-4": 0, "5-19": 0, "20-99": 0, "100+": 0}
    for s in sizes:
        buckets["2-4" if s < 5 else "5-19" if s < 20 else "20-99" if s < 100 else "100+"] += 1
    return {"networks": len(sizes), "posts_in_networks": sum(sizes), "by_size": buckets,
            "multi_platform": sum(1 for p in platforms if p > 1)}


@router.get("/networks/graph", dependencies=[ANALYSTS])
def graph(request: Request, format: str = "json", min_size: int = Query(2, ge=2)) -> PlainTextResponse:
    """All networks of `min_size` posts or more as one graph: json, graphml or gexf (Gephi opens both)."""
    if format not in ("json", "graphml", "gexf"):
        raise InputError(f"format {format!r}: use json, graphml or gexf", field="format")
    rt = runtime(request)
    buf = io.StringIO()
    network_graphs.export_graph(rt.store(), buf, format, min_size=min_size, actor=request.state.user.name,
                                track=rt.track)
    return PlainTextResponse(buf.getvalue(), media_type=MEDIA[format])


@router.get("/networks/{network_id}", dependencies=[ANALYSTS])
def get_network(request: Request, network_id: Id, limit: int = Query(200, ge=1, le=network_graphs.MAX_PAGE),
                offset: Offset = 0, sample: bool = False) -> dict[str, Any]:
    """One network: a page of posts (or, with `sample`, an even sample of them) as nodes with the accounts and
    indicators that link them, edges, timeline, linking indicators, campaign templates and cases."""
    return network_graphs.get_network(runtime(request).store(), network_id, limit=limit, offset=offset,
                                      sample=sample)


@router.get("/exports", dependencies=[ANALYSTS])
def export(request: Request, format: str = "stix", network: int | None = None, bank: str | None = None,
           tlp: str = "amber", include_content: bool = False) -> PlainTextResponse:
    """A network or a bank as STIX 2.1, MISP events or a hash list; post text only with `include_content`."""
    rt = runtime(request)
    text = sharing.export(rt.store(), format, network=network, bank=bank, tlp=tlp, include_content=include_content,
                          actor=request.state.user.name, track=rt.track)
    return PlainTextResponse(text, media_type=MEDIA.get(format, "text/plain"))


@router.post("/imports/stix", dependencies=[ANALYSTS])
def import_stix(request: Request, bank: str, bundle: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """The body is a STIX 2.1 bundle: its signals go into `bank`; each object not imported is listed with why."""
    rt = runtime(request)
    entries, problems = sharing.import_stix(rt.store(), bank, json.dumps(bundle), rt.signal_types(),
                                            actor=request.state.user.name, track=rt.track)
    return {"imported": len(entries), "entries": [e.id for e in entries],
            "problems": [{"index": p.index, "id": p.object_id, "reason": p.reason} for p in problems]}
