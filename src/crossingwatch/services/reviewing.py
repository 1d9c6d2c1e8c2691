"""Review: flagged posts become cases (near-identical copies grouped, so a reviewer decides once), ordered by
priority; reviewers decide; every decision is audited and becomes a labelled example for retraining.

Near-identical: the same text once case, digits, links, handles and spacing are set aside (a smuggler reposting
the advert with a new phone number or price) or the same bank entry matched.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from crossingwatch.core import Event, Post
from crossingwatch.core.errors import NotFound
from crossingwatch.core.events import parse_time
from crossingwatch.core.workflow import (
    DECISION_STATE,
    FINAL_TAKEDOWN,
    OPEN_STATES,
    WorkflowError,
    check_decision,
    priority,
)
from crossingwatch.store.protocols import Case, CaseStore, Decision, EvidenceStore, StoredAssessment

Track = Callable[[Event], None]
_VARIABLE = re.compile(r"https?://\S+|www\.\S+|@\w+|[\d٠-٩۰-۹]+|[^\w\s]", re.UNICODE)


def _no_track(event: Event) -> None:
    return None


def fingerprint(text: str) -> str:
    """What copies of one advert share: the words, without numbers, links, handles, punctuation or case."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = _VARIABLE.sub(" ", folded).split()
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()[:32]


def _age_hours(created_at: str | None, now: datetime) -> float:
    then = parse_time(created_at)
    return 0.0 if then is None else max((now - then).total_seconds() / 3600, 0.0)


def _reach(post: Post | None) -> int:
    if post is None:
        return 0
    for key in ("reach", "views", "followers", "shares"):
        value = post.extra.get(key)
        if isinstance(value, int | float):
            return int(value)
    return 0


@dataclass(frozen=True, slots=True)
class Opened:
    cases: int
    new: int
    posts: int


class ReviewStore(CaseStore, EvidenceStore, Protocol):
    def list_flagged(self, limit: int = 100, offset: int = 0) -> list[StoredAssessment]: ...
    def find_post(self, platform: str, post_id: str) -> Post | None: ...


def _flagged(store: ReviewStore, page: int = 500) -> Iterator[StoredAssessment]:
    offset = 0
    while True:
        rows = store.list_flagged(limit=page, offset=offset)
        yield from rows
        if len(rows) < page:
            return
        offset += page


def open_cases(store: ReviewStore, *, actor: str = "system", track: Track = _no_track,
               preserve: Callable[[Case, Post, StoredAssessment], None] | None = None,
               routes: dict[str, str] | None = None) -> Opened:
    """Every flagged post not yet in a case joins its copies' case (or opens one); each new post's evidence is
    preserved when `preserve` is given. `routes` maps a place's name to its route (the gazetteer's), so a case knows
    its route from the places its post names. Running it again adds only what is new."""
    now = datetime.now(UTC)
    authors_confirmed = {p.author.handle for c in store.list_cases(["confirmed"], limit=100_000)
                         for p in (store.find_post(*k) for k in c.posts) if p is not None and p.author.handle}
    touched: set[int] = set()
    new_cases = posts = 0
    for a in _flagged(store):
        if store.find_case_of_post(a.platform, a.post_id) is not None:
            continue
        post = store.find_post(a.platform, a.post_id)
        matches = a.prediction.get("matches") or []
        flag_match = next((m for m in matches if m.get("kind") == "flag"), None)
        key = _case_key_of_match(store, flag_match) if flag_match else fingerprint(a.text)
        tactics = list(a.prediction.get("tactics") or [])
        p = priority(a.score, tactics, reach=_reach(post), age_hours=_age_hours(post.created_at if post else None,
                                                                                now),
                     repeat_offender=bool(post and post.author.handle in authors_confirmed),
                     bank_match=flag_match is not None)
        places = (a.prediction.get("indicators") or {}).get("places") or []
        named = [r for r in ((routes or {}).get(name) for name in places) if r and r not in ("other", "none")]
        route = max(set(named), key=named.count) if named else None
        case, created = store.upsert_case(key, [(a.platform, a.post_id)], label=a.label, score=a.score, priority=p,
                                          tactics=tactics, lang=a.lang, route=route,
                                          bank_match=flag_match is not None)
        posts += 1
        touched.add(case.id)
        if created:
            new_cases += 1
            track(Event("case.opened", actor, f"case:{case.id}", {"post": f"{a.platform}/{a.post_id}",
                                                                 "score": a.score, "priority": p}))
        else:
            track(Event("case.post_added", actor, f"case:{case.id}", {"post": f"{a.platform}/{a.post_id}"}))
            _mark_reappeared(store, case, f"{a.platform}/{a.post_id}", actor, track)
        if preserve is not None and post is not None:
            preserve(case, post, a)
    return Opened(len(touched), new_cases, posts)


def _case_key_of_match(store: Any, match: dict[str, Any]) -> str:
    """A re-upload of banked content joins the case the content was confirmed in (so its removed items are marked
    reappeared); content banked by hand groups by its bank entry."""
    if hasattr(store, "find_entries"):
        found = store.find_entries([int(match["entry"])]).get(int(match["entry"]))
        source = found[0].source_case if found else None
        if source and source.startswith("case:") and source[5:].isdigit():
            try:
                return str(store.get_case(int(source[5:])).fingerprint)
            except NotFound:
                pass
    return f"bank:{match['bank']}:{match['entry']}"


def _mark_reappeared(store: Any, case: Case, copy: str, actor: str, track: Track) -> None:
    """A new copy of a case whose referred posts were taken down: those items have reappeared."""
    if not hasattr(store, "list_items"):
        return
    at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for key in case.posts:
        for item in store.list_items(post=key, statuses=sorted(FINAL_TAKEDOWN)):
            store.update_item_status(item.id, "reappeared", actor=actor, note=f"a copy was seen: {copy}",
                                     details={"copy": copy}, at=at)
            track(Event("referral.item_status", actor, f"referral_item:{item.id}",
                        {"status": "reappeared", "copy": copy}))


def decide(store: CaseStore, case_id: int, decision: str, *, reviewer: str, reason: str = "",
           tactics: tuple[str, ...] = (), expected_version: int | None = None,
           track: Track = _no_track) -> tuple[Decision, Case]:
    """Record a reviewer's decision. `expected_version` is the case version the reviewer saw: if someone decided
    since, `EditConflict` is raised and nothing is recorded."""
    check_decision(decision, tactics)
    case = store.get_case(case_id)
    if decision != "not_smuggling" and case.state == "dismissed" and not reason:
        raise WorkflowError(f"case {case_id} was dismissed; reopening it needs a reason")
    version = case.version if expected_version is None else expected_version
    made, updated = store.add_decision(case_id, decision, DECISION_STATE[decision], reviewer, reason, tactics,
                                       version)
    track(Event("case.decided", reviewer, f"case:{case_id}", {"decision": decision, "reason": reason,
                                                              "tactics": list(tactics), "state": updated.state}))
    return made, updated


def queue(store: CaseStore, *, lang: str | None = None, platform: str | None = None, tactic: str | None = None,
          min_score: float | None = None, limit: int = 50, offset: int = 0) -> list[Case]:
    """Open cases, most urgent first."""
    return store.list_cases(sorted(OPEN_STATES), lang=lang, platform=platform, tactic=tactic, min_score=min_score,
                            limit=limit, offset=offset)


def confirmations(store: CaseStore, case_id: int) -> set[str]:
    """The reviewers whose latest word on the case confirms it (for the four-eyes rule)."""
    latest: dict[str, str] = {}
    for d in store.list_decisions(case_id):
        latest[d.reviewer] = d.decision
    return {r for r, d in latest.items() if d in ("confirm_advert", "confirm_seeking")}


REVIEW_LABELS = {"confirm_advert": "advert", "confirm_seeking": "seeking", "not_smuggling": "benign"}


def reviewed_examples(store: ReviewStore) -> list[tuple[Post, str, tuple[str, ...]]]:
    """(post, label, tactics) for every post of every case whose latest decision settles its label."""
    latest: dict[int, Decision] = {}
    for d in store.list_decisions():
        latest[d.case_id] = d
    out = []
    for case_id, d in sorted(latest.items()):
        label = REVIEW_LABELS.get(d.decision)
        if label is None:
            continue
        for key in store.get_case(case_id).posts:
            post = store.find_post(*key)
            if post is not None and post.text.strip():
                out.append((post, label, d.tactics if label != "benign" else ()))
    return out
