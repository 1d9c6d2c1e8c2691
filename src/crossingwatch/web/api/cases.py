"""`/v1/cases`: the review queue, a case, and decisions on it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from crossingwatch.core.workflow import CASE_STATES, OPEN_STATES
from crossingwatch.services import reviewing
from crossingwatch.web.api.common import Id, Limit, Offset, page, runtime
from crossingwatch.web.deps import allow

router = APIRouter(tags=["cases"])
READERS = allow("analyst", "reviewer")


def _case(c: Any) -> dict[str, Any]:
    d = asdict(c)
    d["posts"] = [f"{p}/{i}" for p, i in c.posts]
    return d


@router.get("/cases", dependencies=[READERS])
def list_cases(request: Request, limit: Limit = 50, offset: Offset = 0, state: str | None = None,
               lang: str | None = None, platform: str | None = None, tactic: str | None = None,
               min_score: float | None = None) -> dict[str, Any]:
    """Cases, most urgent first: the open ones by default, or those in `state`."""
    states = [state] if state in CASE_STATES else sorted(OPEN_STATES)
    found = runtime(request).store().list_cases(states, lang=lang, platform=platform, tactic=tactic,
                                                min_score=min_score, limit=limit, offset=offset)
    return page([_case(c) for c in found], limit, offset)


@router.get("/cases/{case_id}", dependencies=[READERS])
def get_case(request: Request, case_id: Id) -> dict[str, Any]:
    store = runtime(request).store()
    c = store.get_case(case_id)
    predictions = store.find_predictions(list(c.posts))
    return {**_case(c), "predictions": {f"{p}/{i}": predictions.get((p, i)) for p, i in c.posts},
            "decisions": [asdict(d) for d in store.list_decisions(case_id)]}


class DecisionIn(BaseModel):
    decision: str = Field(description="confirm_advert, confirm_seeking, not_smuggling, need_info or escalate")
    reason: str = ""
    tactics: list[str] = []
    version: int | None = Field(default=None, description="The case version the reviewer saw.")


@router.get("/cases/{case_id}/decisions", dependencies=[READERS])
def list_decisions(request: Request, case_id: Id, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    store = runtime(request).store()
    store.get_case(case_id)
    decisions = store.list_decisions(case_id)
    return page([asdict(d) for d in decisions[offset:offset + limit]], limit, offset, len(decisions))


@router.post("/cases/{case_id}/decisions", status_code=201, dependencies=[allow("reviewer", "analyst")])
def decide(request: Request, case_id: Id, body: DecisionIn) -> dict[str, Any]:
    """Decide a case; a stale `version` gets 409 and changes nothing."""
    rt = runtime(request)
    made, case = reviewing.decide(rt.store(), case_id, body.decision, reviewer=request.state.user.name,
                                  reason=body.reason, tactics=tuple(body.tactics), expected_version=body.version,
                                  track=rt.track)
    return {"decision": asdict(made), "case": _case(case)}
