"""The SQL side of review, referral and evidence (mixed into `SqlStore`; same engine, same transactions).

Rules (which decision, which status change) are `core.workflow`'s; this module applies them atomically: a decision
names the case version it saw and fails with `EditConflict` if another reviewer got there first; a status change is
checked, recorded with its history, and a repeated identical change (a status file imported twice) is a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, and_, func, select

from crossingwatch.core.errors import InputError, NotFound
from crossingwatch.core.events import utcnow
from crossingwatch.core.workflow import EditConflict, check_transition
from crossingwatch.store import tables as t
from crossingwatch.store.protocols import (
    Case,
    Decision,
    EvidenceFile,
    ItemEvent,
    Referral,
    ReferralItem,
)


def _case(r: Any, posts: Sequence[tuple[str, str]] = ()) -> Case:
    return Case(r.id, r.fingerprint, r.state, r.label, r.score, r.priority, tuple(r.tactics or ()), r.lang, r.route,
                bool(r.bank_match), r.opened_at, r.updated_at, r.version, tuple(posts))


def _item(r: Any) -> ReferralItem:
    return ReferralItem(r.id, r.referral_id, r.case_id, r.platform, r.post_id, r.url, r.status, r.detected_at,
                        r.updated_at, r.version)


class WorkflowSql:
    def _tx(self) -> AbstractContextManager[Connection]:  # provided by SqlStore
        raise NotImplementedError

    # Cases -------------------------------------------------------------------------------------------------
    def upsert_case(self, fingerprint: str, posts: Sequence[tuple[str, str]], *, label: str, score: float,
                    priority: float, tactics: Sequence[str], lang: str, route: str | None,
                    bank_match: bool) -> tuple[Case, bool]:
        """The case for this fingerprint, made if new; posts not yet in any case join it. A higher score or priority
        from a new copy raises the case's."""
        now = utcnow()
        with self._tx() as conn:
            row = conn.execute(select(t.cases).where(t.cases.c.fingerprint == fingerprint)).first()
            created = row is None
            if row is None:
                case_id = conn.execute(t.cases.insert().values(
                    fingerprint=fingerprint, state="open", label=label, score=score, priority=priority,
                    tactics=list(tactics), lang=lang, route=route, bank_match=int(bank_match), opened_at=now,
                    updated_at=now, version=1)).inserted_primary_key[0]
            else:
                case_id = row.id
                merged = sorted(set(row.tactics or ()) | set(tactics))
                conn.execute(t.cases.update().where(t.cases.c.id == case_id).values(
                    score=max(row.score, score), priority=max(row.priority, priority), tactics=merged,
                    bank_match=int(bool(row.bank_match) or bank_match), updated_at=now))
            known = {(r.platform, r.post_id) for r in conn.execute(
                select(t.case_posts.c.platform, t.case_posts.c.post_id).where(t.case_posts.c.case_id == case_id))}
            for platform, post_id in dict.fromkeys(posts):
                if (platform, post_id) in known:
                    continue
                taken = conn.execute(select(t.case_posts.c.case_id).where(and_(
                    t.case_posts.c.platform == platform, t.case_posts.c.post_id == post_id))).first()
                if taken is None:
                    conn.execute(t.case_posts.insert().values(case_id=case_id, platform=platform, post_id=post_id,
                                                              added_at=now))
        return self.get_case(case_id), created

    def get_case(self, case_id: int) -> Case:
        with self._tx() as conn:
            row = conn.execute(select(t.cases).where(t.cases.c.id == case_id)).first()
            if row is None:
                raise NotFound(f"no case {case_id}")
            posts = [(r.platform, r.post_id) for r in conn.execute(
                select(t.case_posts).where(t.case_posts.c.case_id == case_id).order_by(t.case_posts.c.id))]
        return _case(row, posts)

    def find_case_of_post(self, platform: str, post_id: str) -> int | None:
        with self._tx() as conn:
            return conn.execute(select(t.case_posts.c.case_id).where(and_(
                t.case_posts.c.platform == platform, t.case_posts.c.post_id == post_id))).scalar()

    def list_cases(self, states: Sequence[str] | None = None, *, lang: str | None = None, platform: str | None = None,
                   tactic: str | None = None, min_score: float | None = None, route: str | None = None,
                   limit: int = 100, offset: int = 0) -> list[Case]:
        q = select(t.cases)
        if states:
            q = q.where(t.cases.c.state.in_(list(states)))
        if lang:
            q = q.where(t.cases.c.lang == lang)
        if min_score is not None:
            q = q.where(t.cases.c.score >= min_score)
        if route:
            q = q.where(t.cases.c.route == route)
        if platform:
            q = q.where(t.cases.c.id.in_(select(t.case_posts.c.case_id).where(t.case_posts.c.platform == platform)))
        q = q.order_by(t.cases.c.priority.desc(), t.cases.c.id)
        with self._tx() as conn:
            rows = list(conn.execute(q))
        if tactic:  # tactics are a JSON list: filtered here, the same way on every backend
            rows = [r for r in rows if tactic in (r.tactics or ())]
        return [self.get_case(r.id) for r in rows[offset:offset + limit]]

    def case_facets(self) -> dict[str, list[str]]:
        """The languages, routes and platforms that cases have: the choices of the queue's filters."""
        with self._tx() as conn:
            langs = conn.execute(select(t.cases.c.lang).distinct()).scalars().all()
            routes = conn.execute(select(t.cases.c.route).distinct()).scalars().all()
            platforms = conn.execute(select(t.case_posts.c.platform).distinct()).scalars().all()
        return {"langs": sorted(x for x in langs if x), "routes": sorted(x for x in routes if x),
                "platforms": sorted(x for x in platforms if x)}

    def add_decision(self, case_id: int, decision: str, state: str, reviewer: str, reason: str,
                     tactics: Sequence[str], expected_version: int) -> tuple[Decision, Case]:
        now = utcnow()
        with self._tx() as conn:
            done = conn.execute(t.cases.update().where(and_(
                t.cases.c.id == case_id, t.cases.c.version == expected_version)).values(
                state=state, version=t.cases.c.version + 1, updated_at=now))
            if done.rowcount != 1:
                current = conn.execute(select(t.cases.c.version).where(t.cases.c.id == case_id)).scalar()
                if current is None:
                    raise NotFound(f"no case {case_id}")
                raise EditConflict(f"case {case_id} changed since you opened it (version {expected_version}, now "
                                   f"{current}): reload it and decide again")
            decision_id = conn.execute(t.decisions.insert().values(
                case_id=case_id, decision=decision, reviewer=reviewer, at=now, reason=reason,
                tactics=list(tactics))).inserted_primary_key[0]
        return Decision(decision_id, case_id, decision, reviewer, now, reason, tuple(tactics)), self.get_case(case_id)

    def list_decisions(self, case_id: int | None = None) -> list[Decision]:
        q = select(t.decisions).order_by(t.decisions.c.id)
        if case_id is not None:
            q = q.where(t.decisions.c.case_id == case_id)
        with self._tx() as conn:
            return [Decision(r.id, r.case_id, r.decision, r.reviewer, r.at, r.reason, tuple(r.tactics or ()))
                    for r in conn.execute(q)]

    # Referrals ---------------------------------------------------------------------------------------------
    def add_referral(self, platform: str, jurisdiction: str, sender_name: str, sender_email: str, actor: str,
                     items: Sequence[tuple[int, str, str, str | None, str]]) -> Referral:
        """`items`: (case id, platform, post id, url, detected at). All items are for `platform`."""
        if not items:
            raise InputError(f"a referral to {platform} needs at least one confirmed item", field="items")
        wrong = [f"{p}/{i}" for _, p, i, _, _ in items if p != platform]
        if wrong:
            raise InputError(f"a referral to {platform} cannot carry items from other platforms: {', '.join(wrong)}",
                             field="items")
        now = utcnow()
        with self._tx() as conn:
            referral_id = conn.execute(t.referrals.insert().values(
                platform=platform, jurisdiction=jurisdiction, sender_name=sender_name, sender_email=sender_email,
                created_by=actor, created_at=now)).inserted_primary_key[0]
            for case_id, p, post_id, url, detected_at in items:
                conn.execute(t.referral_items.insert().values(
                    referral_id=referral_id, case_id=case_id, platform=p, post_id=post_id, url=url, status="draft",
                    detected_at=detected_at, updated_at=now, version=1))
        return self.get_referral(referral_id)

    def get_referral(self, referral_id: int) -> Referral:
        with self._tx() as conn:
            r = conn.execute(select(t.referrals).where(t.referrals.c.id == referral_id)).first()
            if r is None:
                raise NotFound(f"no referral {referral_id}")
            items = [_item(i) for i in conn.execute(select(t.referral_items).where(
                t.referral_items.c.referral_id == referral_id).order_by(t.referral_items.c.id))]
        return Referral(r.id, r.platform, r.jurisdiction, r.sender_name, r.sender_email, r.created_by, r.created_at,
                        r.sent_at, tuple(items))

    def list_referrals(self, platform: str | None = None) -> list[Referral]:
        q = select(t.referrals.c.id).order_by(t.referrals.c.id)
        if platform is not None:
            q = q.where(t.referrals.c.platform == platform)
        with self._tx() as conn:
            ids = [r.id for r in conn.execute(q)]
        return [self.get_referral(i) for i in ids]

    def mark_referral_sent(self, referral_id: int, at: str) -> Referral:
        with self._tx() as conn:
            conn.execute(t.referrals.update().where(t.referrals.c.id == referral_id).values(sent_at=at))
        return self.get_referral(referral_id)

    def get_item(self, item_id: int) -> ReferralItem:
        with self._tx() as conn:
            r = conn.execute(select(t.referral_items).where(t.referral_items.c.id == item_id)).first()
        if r is None:
            raise NotFound(f"no referral item {item_id}")
        return _item(r)

    def list_items(self, *, platform: str | None = None, post: tuple[str, str] | None = None,
                   statuses: Sequence[str] | None = None) -> list[ReferralItem]:
        q = select(t.referral_items).order_by(t.referral_items.c.id)
        if platform is not None:
            q = q.where(t.referral_items.c.platform == platform)
        if post is not None:
            q = q.where(and_(t.referral_items.c.platform == post[0], t.referral_items.c.post_id == post[1]))
        if statuses:
            q = q.where(t.referral_items.c.status.in_(list(statuses)))
        with self._tx() as conn:
            return [_item(r) for r in conn.execute(q)]

    def update_item_status(self, item_id: int, new: str, *, actor: str, note: str, details: dict[str, Any],
                           at: str, expected_version: int | None = None) -> tuple[ReferralItem, bool]:
        """Moves an item to `new` (checked by `core.workflow`), recording the change. Returns the item and whether
        anything changed: the same change at the same time again (a re-imported file) changes nothing."""
        with self._tx() as conn:
            row = conn.execute(select(t.referral_items).where(t.referral_items.c.id == item_id)).first()
            if row is None:
                raise NotFound(f"no referral item {item_id}")
            repeat = conn.execute(select(func.count()).select_from(t.item_events).where(and_(
                t.item_events.c.item_id == item_id, t.item_events.c.to_status == new,
                t.item_events.c.at == at))).scalar()
            if repeat:
                return _item(row), False
            check_transition(row.status, new)
            version = expected_version if expected_version is not None else row.version
            done = conn.execute(t.referral_items.update().where(and_(
                t.referral_items.c.id == item_id, t.referral_items.c.version == version)).values(
                status=new, updated_at=at, version=t.referral_items.c.version + 1))
            if done.rowcount != 1:
                raise EditConflict(f"referral item {item_id} changed since it was read; reload it and try again")
            conn.execute(t.item_events.insert().values(item_id=item_id, from_status=row.status, to_status=new, at=at,
                                                       actor=actor, note=note, details=details))
            updated = conn.execute(select(t.referral_items).where(t.referral_items.c.id == item_id)).one()
        return _item(updated), True

    def list_item_events(self, item_id: int | None = None) -> list[ItemEvent]:
        q = select(t.item_events).order_by(t.item_events.c.id)
        if item_id is not None:
            q = q.where(t.item_events.c.item_id == item_id)
        with self._tx() as conn:
            return [ItemEvent(r.id, r.item_id, r.from_status, r.to_status, r.at, r.actor, r.note, dict(r.details))
                    for r in conn.execute(q)]

    # Retention -------------------------------------------------------------------------------------------
    def expired_posts(self, before: str) -> list[tuple[str, str]]:
        """Posts first seen before `before` that no reviewer confirmed and no referral carries."""
        kept = select(t.case_posts.c.platform, t.case_posts.c.post_id).join(
            t.cases, t.cases.c.id == t.case_posts.c.case_id).where(t.cases.c.state.in_(
                ["confirmed", "escalated", "need_info"]))
        with self._tx() as conn:
            keep = {(r.platform, r.post_id) for r in conn.execute(kept)}
            keep |= {(r.platform, r.post_id) for r in conn.execute(
                select(t.referral_items.c.platform, t.referral_items.c.post_id))}
            rows = conn.execute(select(t.posts.c.platform, t.posts.c.post_id).where(t.posts.c.first_seen < before))
            return [(r.platform, r.post_id) for r in rows if (r.platform, r.post_id) not in keep]

    def delete_posts(self, keys: Sequence[tuple[str, str]]) -> int:
        with self._tx() as conn:
            for platform, post_id in keys:
                for table in (t.assessments, t.case_posts, t.posts):
                    conn.execute(table.delete().where(and_(table.c.platform == platform,
                                                           table.c.post_id == post_id)))
        return len(keys)

    # Evidence ----------------------------------------------------------------------------------------------
    def add_evidence_file(self, f: EvidenceFile) -> None:
        with self._tx() as conn:
            exists = conn.execute(select(t.evidence_files.c.id).where(and_(
                t.evidence_files.c.case_id == f.case_id, t.evidence_files.c.platform == f.platform,
                t.evidence_files.c.post_id == f.post_id, t.evidence_files.c.kind == f.kind,
                t.evidence_files.c.name == f.name))).first()
            if exists is None:
                conn.execute(t.evidence_files.insert().values(
                    case_id=f.case_id, platform=f.platform, post_id=f.post_id, kind=f.kind, name=f.name,
                    sha256=f.sha256, size=f.size, captured_at=f.captured_at, source_url=f.source_url,
                    collector=f.collector))

    def list_evidence(self, case_id: int) -> list[EvidenceFile]:
        with self._tx() as conn:
            return [EvidenceFile(r.case_id, r.platform, r.post_id, r.kind, r.name, r.sha256, r.size, r.captured_at,
                                 r.source_url, r.collector)
                    for r in conn.execute(select(t.evidence_files).where(t.evidence_files.c.case_id == case_id)
                                          .order_by(t.evidence_files.c.id))]
