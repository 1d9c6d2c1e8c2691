"""Redirect measurement: what was shown (counted, never the query), click events, and the statistics operators
read (impressions, clicks, CTR by message, language, route and day). Also the interstitial for a flagged post.

Counting is buffered in memory and written at most every `flush_seconds` (one upsert per key): a search
platform may call `/v1/redirect` hundreds of times a second, and a write per query would make the database the
bottleneck. A process that dies loses at most that many seconds of counts. Counters are telemetry, not state
changes of records, so they are not audit events: one chained audit row per search would be a search log.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from crossingwatch.core.errors import InputError, NotFound
from crossingwatch.core.workflow import FINAL_TAKEDOWN
from crossingwatch.services.redirecting import Redirect, Redirector

ACTIONS = ("click", "escape", "testimony")  # main action, "see results anyway", a testimony link


class RedirectStore(Protocol):
    def add_redirect_counts(self, counts: Mapping[tuple[str, str, str, str, str, int], int]) -> None: ...
    def add_redirect_event(self, platform: str, message_id: str, action: str) -> None: ...
    def redirect_counts_since(self, day: str) -> list[dict[str, Any]]: ...
    def redirect_events_since(self, day: str) -> list[dict[str, Any]]: ...


class PredictionStore(Protocol):
    def find_predictions(self, keys: Any) -> dict[tuple[str, str], dict[str, Any]]: ...
    def find_case_of_post(self, platform: str, post_id: str) -> int | None: ...
    def get_case(self, case_id: int) -> Any: ...
    def list_items(self, *, platform: str | None = None, post: tuple[str, str] | None = None,
                   statuses: Any = None) -> list[Any]: ...


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


class RedirectCounter:
    """Counts decisions in memory; `flush(store)` adds them to the database."""

    def __init__(self, flush_seconds: float = 1.0) -> None:
        self.flush_seconds = flush_seconds
        self._counts: Counter[tuple[str, str, str, str, str, int]] = Counter()
        self._lock = threading.Lock()
        self._last = time.monotonic()

    def count(self, decision: Redirect, kind: str = "query") -> None:
        key = (today(), kind, decision.lang or "und", decision.route or "",
               decision.message.id if decision.message else "", int(decision.redirect))
        with self._lock:
            self._counts[key] += 1

    def due(self) -> bool:
        return bool(self._counts) and time.monotonic() - self._last >= self.flush_seconds

    def take(self) -> dict[tuple[str, str, str, str, str, int], int]:
        """The counts so far, handed over and forgotten here (the caller writes them)."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._last = time.monotonic()
        return dict(counts)

    def flush(self, store: RedirectStore) -> int:
        counts = self.take()
        if counts:
            store.add_redirect_counts(counts)
        return sum(counts.values())


def record_event(store: RedirectStore, redirector: Redirector, *, platform: str, message_id: str,
                 action: str) -> dict[str, str]:
    """A platform reports that a user clicked a message's action (or its escape, or a testimony)."""
    if action not in ACTIONS:
        raise InputError(f"action {action!r}: use one of {', '.join(ACTIONS)}", field="action")
    if redirector.catalogue.get(message_id) is None:
        raise InputError(f"message_id {message_id!r} is not in the catalogue (data/redirect/messages/)",
                         field="message_id")
    store.add_redirect_event(platform, message_id, action)
    return {"platform": platform, "message_id": message_id, "action": action}


def _ctr(clicks: int, impressions: int) -> float | None:
    return round(clicks / impressions, 4) if impressions else None


def redirect_stats(store: RedirectStore, days: int = 30) -> dict[str, Any]:
    """Queries checked, messages shown (impressions), clicks and CTR over the last `days` days."""
    if not 1 <= days <= 3660:
        raise InputError(f"days {days}: use 1 to 3660", field="days")
    since = (datetime.now(UTC) - timedelta(days=days - 1)).strftime("%Y-%m-%d")
    counts, events = store.redirect_counts_since(since), store.redirect_events_since(since)
    queries = sum(r["n"] for r in counts if r["kind"] == "query")
    shown = [r for r in counts if r["redirected"]]
    by_message: dict[str, dict[str, Any]] = {}
    by_day: dict[str, dict[str, int]] = {}
    for r in counts:
        day = by_day.setdefault(r["day"], {"queries": 0, "impressions": 0, "clicks": 0})
        day["queries"] += r["n"] if r["kind"] == "query" else 0
        if r["redirected"]:
            day["impressions"] += r["n"]
            m = by_message.setdefault(r["message_id"], {"impressions": 0, "clicks": 0, "escapes": 0,
                                                        "testimonies": 0})
            m["impressions"] += r["n"]
    for e in events:
        m = by_message.setdefault(e["message_id"], {"impressions": 0, "clicks": 0, "escapes": 0, "testimonies": 0})
        m[{"click": "clicks", "escape": "escapes", "testimony": "testimonies"}[e["action"]]] += e["n"]
        if e["action"] == "click":
            by_day.setdefault(e["day"], {"queries": 0, "impressions": 0, "clicks": 0})["clicks"] += e["n"]

    def grouped(field: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r in counts:
            g = out.setdefault(r[field] or "none", {"queries": 0, "redirected": 0})
            g["queries"] += r["n"] if r["kind"] == "query" else 0
            g["redirected"] += r["n"] if r["redirected"] else 0
        return dict(sorted(out.items()))

    impressions = sum(r["n"] for r in shown)
    clicks = sum(e["n"] for e in events if e["action"] == "click")
    return {
        "days": days, "since": since, "queries": queries,
        "redirected": sum(r["n"] for r in shown if r["kind"] == "query"),
        "impressions": impressions, "clicks": clicks,
        "escapes": sum(e["n"] for e in events if e["action"] == "escape"), "ctr": _ctr(clicks, impressions),
        "by_message": [{"message_id": k, **v, "ctr": _ctr(v["clicks"], v["impressions"])}
                       for k, v in sorted(by_message.items())],
        "by_lang": grouped("lang"), "by_route": grouped("route"),
        "by_day": [{"day": k, **v} for k, v in sorted(by_day.items())],
    }


def interstitial(store: PredictionStore, redirector: Redirector, platform: str, post_id: str,
                 text: str | None = None) -> Redirect:
    """The message to show before a post labelled advert or seeking (that the platform has not removed yet);
    `redirect` is false for a benign post. `text` (the post's, if the caller has it) lets the route be found."""
    prediction = store.find_predictions([(platform, post_id)]).get((platform, post_id))
    if prediction is None:
        raise NotFound(f"no assessed post {post_id!r} on platform {platform!r}")
    label, lang = prediction.get("label", "benign"), prediction.get("lang") or "en"
    if label == "benign":
        return Redirect(False, lang, float(prediction.get("scores", {}).get("benign", 1.0)), reason="label benign")
    # People have had their say since the detector's: a reviewer cleared it, or the platform took it down.
    case_id = store.find_case_of_post(platform, post_id)
    if case_id is not None and store.get_case(case_id).state == "dismissed":
        return Redirect(False, lang, 0.0, reason="a reviewer found it is not smuggling")
    if any(i.status in FINAL_TAKEDOWN for i in store.list_items(post=(platform, post_id))):
        return Redirect(False, lang, 0.0, reason="already removed or restricted by the platform")
    topic = "documents" if "false_documents" in prediction.get("tactics", []) else "crossing"
    route = None
    if text:
        from crossingwatch.detect.queries import route_of

        route = route_of(redirector.analyser.analyse(text[:2000]), redirector.country_routes,
                         redirector.route_words) or None
    score = float(prediction.get("scores", {}).get(label, 0.0))
    return Redirect(True, lang, score, topic, route, redirector.message_for(lang, route, topic), f"label {label}")
