"""`GET /v1/metrics`: the unit's figures (aggregates only: researchers may read them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from crossingwatch.services.metrics import unit_metrics
from crossingwatch.web.api.common import runtime
from crossingwatch.web.deps import allow

router = APIRouter(tags=["metrics"])


@router.get("/metrics", dependencies=[allow("analyst", "researcher")])
def metrics(request: Request) -> dict[str, Any]:
    return unit_metrics(runtime(request).store())
