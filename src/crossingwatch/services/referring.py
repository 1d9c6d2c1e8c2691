"""Referral to platforms: bundle confirmed items for one platform into a notice that carries what EU DSA
Article 16(2) asks of a valid notice, track each item's status to removal, and read and write platforms' decisions
as DSA Transparency Database statements of reasons.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossingwatch.core import Event
from crossingwatch.core.errors import ConfigError, InputError
from crossingwatch.core.events import utcnow
from crossingwatch.core.workflow import FINAL_TAKEDOWN, WorkflowError
from crossingwatch.services.reviewing import confirmations
from crossingwatch.store.protocols import Referral, ReferralItem

Track = Callable[[Event], None]
GOOD_FAITH = ("The sender confirms its bona fide belief that the information and allegations in this notice are "
              "accurate and complete (Regulation (EU) 2022/2065, Article 16(2)(d)).")
TACTIC_WORDS = {"group_discount": "discounts for groups or families", "child_free": "children carried free or cheaper",
                "false_documents": "offers of false travel documents",
                "safe_passage_claim": "false claims of a safe or guaranteed crossing",
                "price": "a price for the crossing",
                "contact": "contact details to book", "departure": "a departure place or time",
                "payment_guarantee": "payment held by a third party or paid after arrival"}
# DSA Transparency Database: a platform's decision on visibility → our item status.
SOR_VISIBILITY = {"DECISION_VISIBILITY_CONTENT_REMOVED": "removed", "DECISION_VISIBILITY_CONTENT_DISABLED": "removed",
                  "DECISION_VISIBILITY_CONTENT_DEMOTED": "restricted",
                  "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED": "restricted",
                  "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED": "restricted",
                  "DECISION_VISIBILITY_CONTENT_LABELLED": "restricted"}
STATUS_VISIBILITY = {"removed": "DECISION_VISIBILITY_CONTENT_REMOVED",
                     "restricted": "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"}


def _no_track(event: Event) -> None:
    return None


@dataclass(frozen=True)
class Jurisdictions:
    laws: dict[str, dict[str, str]]
    platforms: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> Jurisdictions:
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read jurisdictions: {exc}") from exc
        platforms = frozenset(data.pop("platforms", {}).get("known", []))
        return cls({k: dict(v) for k, v in data.items()}, platforms)

    def law(self, key: str) -> dict[str, str]:
        if key not in self.laws:
            raise InputError(f"jurisdiction {key!r} is not in data/legal/jurisdictions.toml; known: "
                             f"{', '.join(sorted(self.laws))}", field="jurisdiction")
        return self.laws[key]


def create_referral(store: Any, platform: str, *, sender_name: str, sender_email: str, jurisdiction: str,
                    laws: Jurisdictions, case_ids: Iterable[int] | None = None, four_eyes: bool = False,
                    actor: str = "system", track: Track = _no_track) -> Referral:
    """A draft referral of the confirmed posts on `platform` (of the given cases, else of every confirmed case not
    referred yet). With `four_eyes`, a case needs two reviewers' confirmations."""
    if platform not in laws.platforms:
        raise InputError(f"unknown platform {platform!r}; known: {', '.join(sorted(laws.platforms))}",
                         field="platform")
    laws.law(jurisdiction)
    if not sender_name.strip() or "@" not in sender_email:
        raise InputError("a notice needs the sender's name and email (DSA Article 16(2)(c))", field="sender")
    referred = {(i.platform, i.post_id) for i in store.list_items(platform=platform)
                if i.status not in ("rejected",)}
    chosen = [store.get_case(c) for c in case_ids] if case_ids is not None else \
        store.list_cases(["confirmed"], platform=platform, limit=100_000)
    items = []
    for case in chosen:
        if case.state != "confirmed":
            raise WorkflowError(f"case {case.id} is {case.state!r}: only confirmed cases are referred")
        if four_eyes and len(confirmations(store, case.id)) < 2:
            raise WorkflowError(f"case {case.id} needs a second reviewer's confirmation (four-eyes rule)")
        for p, post_id in case.posts:
            if p != platform or (p, post_id) in referred:
                continue
            post = store.find_post(p, post_id)
            items.append((case.id, p, post_id, post.url if post else None, case.opened_at))
    referral = store.add_referral(platform, jurisdiction, sender_name, sender_email, actor, items)
    track(Event("referral.created", actor, f"referral:{referral.id}", {"platform": platform, "items": len(items)}))
    return referral


def notice(store: Any, referral: Referral, laws: Jurisdictions) -> dict[str, Any]:
    """The notice as data: sender, legal basis, good-faith statement, and per item its exact location and a
    substantiated explanation (the tactics found and the words that show them)."""
    law = laws.law(referral.jurisdiction)
    items = []
    for item in referral.items:
        prediction = store.find_predictions([(item.platform, item.post_id)]).get((item.platform, item.post_id), {})
        confirmed = {t for d in store.list_decisions(item.case_id) if d.decision.startswith("confirm")
                     for t in d.tactics}
        tactics = [t for t in TACTIC_WORDS if t in confirmed] or list(prediction.get("tactics", []))
        quotes = [e["text"] for e in prediction.get("evidence", [])][:6]
        found = ", ".join(TACTIC_WORDS.get(t, t) for t in tactics) or "an offer of smuggling"
        explanation = (f"The post advertises an irregular border-crossing service ({found}); illegal under "
                       f"{law['law']}." + (f" Its words: {' | '.join(quotes)}." if quotes else ""))
        items.append({"item": item.id, "platform": item.platform, "post_id": item.post_id, "url": item.url,
                      "location": item.url or f"{item.platform} post {item.post_id}", "tactics": tactics,
                      "evidence": quotes, "explanation": explanation, "status": item.status})
    return {"referral": referral.id, "platform": referral.platform, "created_at": referral.created_at,
            "sent_at": referral.sent_at, "sender": {"name": referral.sender_name, "email": referral.sender_email,
                                                    "role": law.get("sender_role", "")},
            "jurisdiction": law.get("name", referral.jurisdiction), "legal_basis": law["law"],
            "good_faith_statement": GOOD_FAITH, "items": items}


def render_notice(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["referral", "item", "platform", "post_id", "location", "tactics", "explanation", "status"])
        for i in data["items"]:
            w.writerow([data["referral"], i["item"], i["platform"], i["post_id"], i["location"], " ".join(i["tactics"]),
                        i["explanation"], i["status"]])
        return buf.getvalue()
    if fmt == "email":
        lines = [f"Subject: Notice of illegal content: migrant smuggling adverts on {data['platform']} "
                 f"(referral {data['referral']}, {len(data['items'])} items)", "",
                 f"To the {data['platform']} trust and safety team,", "",
                 f"We notify you of {len(data['items'])} items that advertise illegal migrant smuggling, contrary to "
                 f"{data['legal_basis']}.", ""]
        for n, i in enumerate(data["items"], 1):
            lines += [f"{n}. {i['location']}", f"   {i['explanation']}", ""]
        lines += [data["good_faith_statement"], "", f"{data['sender']['name']} <{data['sender']['email']}>",
                  data["sender"]["role"]]
        return "\n".join(lines) + "\n"
    raise InputError(f"format {fmt!r}: use json, csv or email", field="format")


def send_referral(store: Any, referral_id: int, *, actor: str, at: str | None = None,
                  track: Track = _no_track) -> Referral:
    """Mark a draft referral sent: each draft item becomes `sent` at that time."""
    when = at or utcnow()
    referral = store.get_referral(referral_id)
    if referral.sent_at is not None:
        raise WorkflowError(f"referral {referral_id} was sent at {referral.sent_at}")
    for item in referral.items:
        if item.status == "draft":
            store.update_item_status(item.id, "sent", actor=actor, note="notice sent", details={}, at=when)
    referral = store.mark_referral_sent(referral_id, when)
    track(Event("referral.sent", actor, f"referral:{referral_id}", {"items": len(referral.items), "at": when}))
    return referral


def record_status(store: Any, item_id: int, status: str, *, actor: str, note: str = "",
                  details: dict[str, Any] | None = None, at: str | None = None, expected_version: int | None = None,
                  track: Track = _no_track) -> tuple[ReferralItem, bool]:
    item, changed = store.update_item_status(item_id, status, actor=actor, note=note, details=details or {},
                                             at=at or utcnow(), expected_version=expected_version)
    if changed:
        track(Event("referral.item_status", actor, f"referral_item:{item_id}", {"status": status, "note": note}))
    return item, changed


def statements_of_reasons(store: Any, referral: Referral) -> list[dict[str, Any]]:
    """The platform's decisions on this referral's items as DSA Transparency Database statements of reasons."""
    out = []
    for item in store.get_referral(referral.id).items:
        if item.status not in FINAL_TAKEDOWN:
            continue
        decided = [e for e in store.list_item_events(item.id) if e.to_status == item.status]
        at = decided[-1].at if decided else item.updated_at
        out.append({
            "puid": f"{item.platform}:{item.post_id}", "decision_visibility": [STATUS_VISIBILITY[item.status]],
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "illegal_content_legal_ground": referral.jurisdiction,
            "illegal_content_explanation": "Advertises migrant smuggling.",
            "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", "content_type": ["CONTENT_TYPE_TEXT"],
            "content_date": item.detected_at[:10], "application_date": at[:10],
            "decision_facts": f"Referral {referral.id} item {item.id}: {item.status}.",
            "source_type": "SOURCE_TRUSTED_FLAGGER", "automated_detection": "Yes", "automated_decision":
            "AUTOMATED_DECISION_NOT_AUTOMATED", "url": item.url})
    return out


def import_statements(store: Any, records: Iterable[dict[str, Any]], *, platform: str, actor: str,
                      track: Track = _no_track) -> tuple[int, int, list[str]]:
    """Apply a platform's statements of reasons (matched to our items by `puid` = 'platform:post id' or by `url`).
    Returns (applied, unchanged, problems); a statement already applied is unchanged, not counted twice."""
    items = store.list_items(platform=platform)
    by_puid = {f"{i.platform}:{i.post_id}": i for i in items}
    by_url = {i.url: i for i in items if i.url}
    applied = unchanged = 0
    problems = []
    for n, rec in enumerate(records, 1):
        item = by_puid.get(str(rec.get("puid", ""))) or by_url.get(str(rec.get("url", "")))
        if item is None:
            problems.append(f"statement {n}: no referred item with puid {rec.get('puid')!r} on {platform}")
            continue
        visibility = rec.get("decision_visibility") or []
        visibility = [visibility] if isinstance(visibility, str) else list(visibility)
        status = next((SOR_VISIBILITY[v] for v in visibility if v in SOR_VISIBILITY), None)
        if status is None:
            status = "rejected" if rec.get("decision_ground") == "DECISION_GROUND_NONE" or not visibility else None
        if status is None:
            problems.append(f"statement {n}: decision_visibility {visibility} says nothing we track")
            continue
        at = str(rec.get("application_date") or utcnow())
        try:
            _, changed = record_status(store, item.id, status, actor=actor, note="statement of reasons",
                                       details={k: v for k, v in rec.items() if k != "puid"}, at=at, track=track)
        except WorkflowError as exc:
            problems.append(f"statement {n}: item {item.id}: {exc}")
            continue
        applied += changed
        unchanged += not changed
    return applied, unchanged, problems


Checker = Callable[[str], str]  # url → "present" | "gone" | "restricted" | "unknown"


def recheck(store: Any, checker: Checker, *, actor: str = "recheck", track: Track = _no_track) -> dict[str, int]:
    """Look again at referred items' URLs and record what changed: gone → removed, restricted → restricted, and a
    removed item that is back → reappeared."""
    counts = {"checked": 0, "removed": 0, "restricted": 0, "reappeared": 0, "unchanged": 0}
    for item in store.list_items(statuses=["sent", "acknowledged", "no_response", "removed", "restricted"]):
        if not item.url:
            continue
        counts["checked"] += 1
        seen = checker(item.url)
        target = {"gone": "removed", "restricted": "restricted"}.get(seen)
        if seen == "present" and item.status in FINAL_TAKEDOWN:
            target = "reappeared"
        if target is None or target == item.status:
            counts["unchanged"] += 1
            continue
        try:
            record_status(store, item.id, target, actor=actor, note=f"recheck found the URL {seen}", track=track)
            counts[target] += 1
        except WorkflowError:
            counts["unchanged"] += 1
    return counts
