"""Networks in the console: the ranked list, and one network drawn (vendored Cytoscape.js) with its linking
indicators, timeline, campaign templates and cases as tables (readable without JavaScript). Big networks are paged:
a page draws at most `PAGE` posts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from crossingwatch.services import network_graphs
from crossingwatch.web.console.session import console_allow, render
from crossingwatch.web.deps import runtime_of

router = APIRouter(include_in_schema=False)
UNIT = console_allow("analyst")
PAGE = 300


@router.get("/networks", dependencies=[UNIT])
def networks_page(request: Request, offset: int = 0) -> Response:
    offset = max(offset, 0)
    found = network_graphs.list_networks(runtime_of(request).store(), limit=50, offset=offset)
    return render(request, "networks.html", networks=found, offset=offset)


@router.get("/networks/{network_id}", dependencies=[UNIT])
def network_page(request: Request, network_id: int, offset: int = 0) -> Response:
    offset = max(offset, 0)
    graph = network_graphs.get_network(runtime_of(request).store(), network_id, limit=PAGE, offset=offset)
    drawn = {"nodes": [{"data": {**n, "id": n["id"]}} for n in graph["nodes"]],
             "edges": [{"data": {"id": f"e{i}", **e}} for i, e in enumerate(graph["edges"])]}
    return render(request, "network.html", g=graph, drawn=drawn, offset=offset, page=PAGE)
