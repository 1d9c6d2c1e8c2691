"""Redirect telemetry: counts of queries answered per day, kind, language, route, message and outcome, and
click events. There is deliberately no column for query text, a user or an IP address (issue 7: privacy)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, func, select

from crossingwatch.core.events import utcnow
from crossingwatch.store import tables as t

# (day, kind, lang, route, message_id, redirected)
CountKey = tuple[str, str, str, str, str, int]


class RedirectSql:
    def _tx(self) -> AbstractContextManager[Connection]:  # provided by SqlStore
        raise NotImplementedError

    def _insert(self, table: Any) -> Any:  # provided by SqlStore
        raise NotImplementedError

    def add_redirect_counts(self, counts: Mapping[CountKey, int]) -> None:
        """Adds to the day's counters (one upsert per key, in one transaction)."""
        if not counts:
            return
        rows = [{"day": k[0], "kind": k[1], "lang": k[2], "route": k[3], "message_id": k[4], "redirected": k[5],
                 "count": n} for k, n in sorted(counts.items())]
        ins = self._insert(t.redirect_counts)
        stmt = ins.on_conflict_do_update(
            index_elements=["day", "kind", "lang", "route", "message_id", "redirected"],
            set_={"count": t.redirect_counts.c.count + ins.excluded["count"]})
        with self._tx() as conn:
            conn.execute(stmt, rows)

    def add_redirect_event(self, platform: str, message_id: str, action: str) -> None:
        now = utcnow()
        with self._tx() as conn:
            conn.execute(t.redirect_events.insert().values(at=now, day=now[:10], platform=platform,
                                                           message_id=message_id, action=action))

    def redirect_counts_since(self, day: str) -> list[dict[str, Any]]:
        c = t.redirect_counts.c
        q = (select(c.day, c.kind, c.lang, c.route, c.message_id, c.redirected, func.sum(c.count).label("n"))
             .where(c.day >= day).group_by(c.day, c.kind, c.lang, c.route, c.message_id, c.redirected))
        with self._tx() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def redirect_events_since(self, day: str) -> list[dict[str, Any]]:
        e = t.redirect_events.c
        q = (select(e.day, e.message_id, e.action, func.count().label("n")).where(e.day >= day)
             .group_by(e.day, e.message_id, e.action))
        with self._tx() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]
