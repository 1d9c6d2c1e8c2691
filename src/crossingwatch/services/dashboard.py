"""The dashboard's series: removal rate over time, time to removal, flags by language and tactic, backlog age.

Built on `unit_metrics` (the headline figures) plus the per-day and per-bucket series charts need. Plain data, so the
console can draw it (Chart.js) and print it as tables for readers without JavaScript.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from crossingwatch.core.events import hours_between, parse_time
from crossingwatch.core.workflow import FINAL_TAKEDOWN, OPEN_STATES
from crossingwatch.services.metrics import load_records, unit_metrics

REMOVAL_BUCKETS = ((1, "< 1 h"), (6, "1–6 h"), (24, "6–24 h"), (72, "1–3 days"), (168, "3–7 days"),
                   (float("inf"), "> 7 days"))
AGE_BUCKETS = ((24, "< 1 day"), (72, "1–3 days"), (168, "3–7 days"), (720, "1–4 weeks"), (float("inf"), "> 4 weeks"))


def _bucket(hours: float, buckets: tuple[tuple[float, str], ...]) -> str:
    return next(label for limit, label in buckets if hours < limit)


def dashboard_data(store: Any, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    records = load_records(store)  # one read for the headline figures and the series
    headline = unit_metrics(store, now, records)
    sent_day: dict[str, list[bool]] = defaultdict(list)
    removal_hours = Counter({label: 0 for _, label in REMOVAL_BUCKETS})
    for evs in records.events.values():
        sent = next((e.at for e in evs if e.to_status == "sent"), None)
        if sent is None:
            continue
        down = next((e.at for e in evs if e.to_status in FINAL_TAKEDOWN), None)
        sent_day[sent[:10]].append(down is not None)
        hours = hours_between(sent, down)
        if hours is not None:
            removal_hours[_bucket(hours, REMOVAL_BUCKETS)] += 1
    days = sorted(sent_day)
    cases = list(records.cases.values())
    by_lang = Counter(c.lang or "und" for c in cases)
    by_tactic = Counter(t for c in cases for t in c.tactics)
    ages = Counter({label: 0 for _, label in AGE_BUCKETS})
    for c in cases:
        opened = parse_time(c.opened_at)
        if c.state in OPEN_STATES and opened is not None:
            ages[_bucket((now - opened).total_seconds() / 3600, AGE_BUCKETS)] += 1
    return {
        "headline": {"removal_rate": headline["removal_rate"], "items_sent": headline["items_sent"],
                     "items_taken_down": headline["items_taken_down"],
                     "median_removal_h": headline["referral_to_removal"]["median_h"],
                     "open_cases": headline["backlog"]["open_cases"],
                     "median_backlog_age_h": headline["backlog"]["median_age_h"]},
        "removal_rate_by_day": {"labels": days, "values": [round(sum(v) / len(v), 4) for v in
                                                           (sent_day[d] for d in days)]},
        "time_to_removal": {"labels": list(removal_hours), "values": list(removal_hours.values())},
        "flags_by_language": {"labels": [k for k, _ in by_lang.most_common()],
                              "values": [v for _, v in by_lang.most_common()]},
        "flags_by_tactic": {"labels": [k for k, _ in by_tactic.most_common()],
                            "values": [v for _, v in by_tactic.most_common()]},
        "backlog_age": {"labels": list(ages), "values": list(ages.values())},
    }
