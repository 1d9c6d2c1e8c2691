"""The numbers a referral unit reports: removal rate, how fast (detection → referral → removal), by platform,
language, route and tactic; backlog; re-appearances; reviewers' throughput and the detector's false-positive rate
as reviewers judged it. As a dict (JSON), flat rows (CSV) or an HTML page with charts drawn in SVG (no scripts).
"""

from __future__ import annotations

import csv
import html
import io
import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crossingwatch.core.events import hours_between, parse_time
from crossingwatch.core.workflow import FINAL_TAKEDOWN, OPEN_STATES


def _spread(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median_h": None, "p90_h": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"n": len(values), "median_h": round(statistics.median(ordered), 2), "p90_h": round(p90, 2)}


@dataclass(frozen=True)
class Records:
    """What the figures are computed from, read once: referrals, each item's status events, cases, decisions."""

    referrals: dict[int, Any]
    events: dict[int, list[Any]]
    cases: dict[int, Any]
    decisions: list[Any]


def load_records(store: Any) -> Records:
    events: dict[int, list[Any]] = defaultdict(list)
    for e in store.list_item_events():
        events[e.item_id].append(e)
    return Records({r.id: r for r in store.list_referrals()}, events,
                   {c.id: c for c in store.list_cases(limit=1_000_000)}, store.list_decisions())


def unit_metrics(store: Any, now: datetime | None = None, records: Records | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    rec = records or load_records(store)
    referrals, events, cases = rec.referrals, rec.events, rec.cases
    items = [i for ref in referrals.values() for i in ref.items]
    sent = [i for i in items if any(e.to_status == "sent" for e in events[i.id])]
    taken = [i for i in sent if any(e.to_status in FINAL_TAKEDOWN for e in events[i.id])]

    def group_rates(key: Any) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[Any]] = defaultdict(list)
        for i in sent:
            for k in key(i):
                groups[k].append(i)
        out = {}
        for k, members in sorted(groups.items()):
            down = [i for i in members if i in taken]
            out[k] = {"sent": len(members), "taken_down": len(down),
                      "removal_rate": round(len(down) / len(members), 4),
                      "referral_to_removal": _spread([h for i in down
                                                      if (h := _removal_hours(i, events)) is not None])}
        return out

    def case_of(i: Any) -> Any:
        return cases.get(i.case_id)

    detection_to_referral = [h for i in sent
                             if (h := hours_between(i.detected_at, _first(events[i.id], "sent"))) is not None]
    referral_to_removal = [h for i in taken if (h := _removal_hours(i, events)) is not None]
    backlog = [c for c in cases.values() if c.state in OPEN_STATES]
    ages = [(now - parse_time(c.opened_at)).total_seconds() / 3600 for c in backlog if parse_time(c.opened_at)]  # type: ignore[operator]
    decisions = rec.decisions
    latest = {d.case_id: d for d in decisions}
    judged = [d for d in latest.values() if d.decision in ("confirm_advert", "confirm_seeking", "not_smuggling")]
    per_reviewer = Counter(d.reviewer for d in decisions)
    return {
        "generated_at": now.isoformat().replace("+00:00", "Z"),
        "referrals": len(referrals), "items": len(items), "items_sent": len(sent), "items_taken_down": len(taken),
        "removal_rate": round(len(taken) / len(sent), 4) if sent else None,
        "detection_to_referral": _spread(detection_to_referral),
        "referral_to_removal": _spread(referral_to_removal),
        "by_platform": group_rates(lambda i: [i.platform]),
        "by_language": group_rates(lambda i: [case_of(i).lang if case_of(i) else "und"]),
        "by_route": group_rates(lambda i: [(case_of(i).route if case_of(i) else None) or "unknown"]),
        "by_tactic": group_rates(lambda i: list(case_of(i).tactics) if case_of(i) else []),
        "status_now": dict(sorted(Counter(i.status for i in items).items())),
        "reappearances": sum(1 for evs in events.values() for e in evs if e.to_status == "reappeared"),
        "backlog": {"open_cases": len(backlog), "median_age_h": round(statistics.median(ages), 2) if ages else None,
                    "oldest_h": round(max(ages), 2) if ages else None},
        "reviewers": {r: {"decisions": n} for r, n in sorted(per_reviewer.items())},
        "detector_false_positive_rate": round(sum(d.decision == "not_smuggling" for d in judged) / len(judged), 4)
        if judged else None,
        "cases_decided": len(judged),
    }


def _first(events: list[Any], status: str) -> str | None:
    return next((e.at for e in events if e.to_status == status), None)


def _removal_hours(item: Any, events: dict[int, list[Any]]) -> float | None:
    sent = _first(events[item.id], "sent")
    down = next((e.at for e in events[item.id] if e.to_status in FINAL_TAKEDOWN), None)
    return hours_between(sent, down)


def metrics_rows(m: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(metric, dimension, group, value) rows for CSV."""
    rows: list[tuple[str, str, str, Any]] = []
    for key in ("referrals", "items", "items_sent", "items_taken_down", "removal_rate", "reappearances",
                "detector_false_positive_rate", "cases_decided"):
        rows.append((key, "all", "", m[key]))
    for span in ("detection_to_referral", "referral_to_removal"):
        for stat, value in m[span].items():
            rows.append((f"{span}_{stat}", "all", "", value))
    for dim in ("by_platform", "by_language", "by_route", "by_tactic"):
        for group, v in m[dim].items():
            rows.append(("removal_rate", dim[3:], group, v["removal_rate"]))
            rows.append(("sent", dim[3:], group, v["sent"]))
            rows.append(("referral_to_removal_median_h", dim[3:], group, v["referral_to_removal"]["median_h"]))
    for stat, value in m["backlog"].items():
        rows.append((f"backlog_{stat}", "all", "", value))
    for reviewer, v in m["reviewers"].items():
        rows.append(("decisions", "reviewer", reviewer, v["decisions"]))
    return rows


def render_metrics(m: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(m, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["metric", "dimension", "group", "value"])
        w.writerows(metrics_rows(m))
        return buf.getvalue()
    if fmt == "html":
        return _html(m)
    raise ValueError(f"format {fmt!r}: use json, csv or html")


def _bars(title: str, data: dict[str, float | int | None], unit: str = "") -> str:
    shown = {k: float(v) for k, v in data.items() if v is not None}
    if not shown:
        return f"<h3>{html.escape(title)}</h3><p>No data yet.</p>"
    top = max(shown.values()) or 1.0
    rows = []
    for n, (k, v) in enumerate(shown.items()):
        width = 300 * v / top
        rows.append(f'<text x="0" y="{n * 24 + 16}">{html.escape(k)}</text>'
                    f'<rect x="160" y="{n * 24 + 4}" width="{width:.1f}" height="16" fill="#3b6ea8"/>'
                    f'<text x="{165 + width:.1f}" y="{n * 24 + 16}">{v:g}{unit}</text>')
    return (f'<h3>{html.escape(title)}</h3><svg role="img" aria-label="{html.escape(title)}" width="560" '
            f'height="{len(shown) * 24 + 8}" font-size="12">{"".join(rows)}</svg>')


def _html(m: dict[str, Any]) -> str:
    rate = f"{m['removal_rate']:.0%}" if m["removal_rate"] is not None else "–"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>CrossingWatch: referral figures</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}td,th{padding:.2rem .6rem;"
        "text-align:left}</style></head><body>",
        f"<h1>Referral figures</h1><p>Generated {html.escape(m['generated_at'])}.</p>",
        "<table><tr><th>Items referred</th><th>Taken down</th><th>Removal rate</th><th>Detection → referral "
        "(median / p90, h)</th><th>Referral → removal (median / p90, h)</th><th>Re-appearances</th><th>Open cases"
        "</th></tr>",
        f"<tr><td>{m['items_sent']}</td><td>{m['items_taken_down']}</td><td>{rate}</td>"
        f"<td>{m['detection_to_referral']['median_h']} / {m['detection_to_referral']['p90_h']}</td>"
        f"<td>{m['referral_to_removal']['median_h']} / {m['referral_to_removal']['p90_h']}</td>"
        f"<td>{m['reappearances']}</td><td>{m['backlog']['open_cases']}</td></tr></table>",
    ]
    for dim, title in (("by_platform", "Removal rate by platform"), ("by_language", "Removal rate by language"),
                       ("by_tactic", "Removal rate by tactic"), ("by_route", "Removal rate by route")):
        parts.append(_bars(title, {k: v["removal_rate"] for k, v in m[dim].items()}))
    parts.append(_bars("Median hours from referral to removal, by platform",
                       {k: v["referral_to_removal"]["median_h"] for k, v in m["by_platform"].items()}, " h"))
    parts.append(_bars("Decisions per reviewer", {k: v["decisions"] for k, v in m["reviewers"].items()}))
    fp = m["detector_false_positive_rate"]
    parts.append(f"<p>Detector false-positive rate as reviewers judged it: {fp if fp is not None else '–'} "
                 f"({m['cases_decided']} cases decided).</p></body></html>")
    return "\n".join(parts) + "\n"
