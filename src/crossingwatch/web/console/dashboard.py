"""The dashboard: headline figures, then charts (Chart.js) with the same numbers as tables for readers without
JavaScript. Aggregates only, so researchers may open it too. Also how the safety messages do (redirect):
impressions, clicks and click-through by message over the last 30 days."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from crossingwatch.services.dashboard import dashboard_data
from crossingwatch.services.redirect_metrics import redirect_stats
from crossingwatch.web.console.session import console_allow, render
from crossingwatch.web.deps import runtime_of

router = APIRouter(include_in_schema=False)

CHARTS = (("removal_rate_by_day", "Removal rate by day the notice was sent", "line", "share removed"),
          ("time_to_removal", "Time from notice to removal", "bar", "items"),
          ("flags_by_language", "Cases by language", "bar", "cases"),
          ("flags_by_tactic", "Cases by tactic", "bar", "cases"),
          ("backlog_age", "Age of open cases", "bar", "cases"))


@router.get("/dashboard", dependencies=[console_allow("analyst", "researcher")])
def dashboard(request: Request) -> Response:
    store = runtime_of(request).store()
    counter = getattr(request.app.state, "redirect_counter", None)
    if counter is not None:
        counter.flush(store)  # this process's last second of redirect counts, so the page is current
    return render(request, "dashboard.html", data=dashboard_data(store), charts=CHARTS,
                  redirect=redirect_stats(store, days=30))
