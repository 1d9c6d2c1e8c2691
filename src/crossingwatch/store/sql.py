"""`SqlStore`: every store protocol on SQLAlchemy, for SQLite (default, WAL) and PostgreSQL.

The schema is created and upgraded by Alembic (`migrations/`) when the store opens.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, Engine, create_engine, event, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from crossingwatch.core import Assessment, Author, Event, Media, Post, Reject
from crossingwatch.core.errors import StoreError
from crossingwatch.core.events import utcnow
from crossingwatch.jsontext import dumps
from crossingwatch.store import tables as t
from crossingwatch.store.auth_sql import AuthSql
from crossingwatch.store.bank_sql import BankSql
from crossingwatch.store.network_sql import NetworkSql
from crossingwatch.store.protocols import ScanRun, StoredAssessment
from crossingwatch.store.redirect_sql import RedirectSql
from crossingwatch.store.workflow_sql import WorkflowSql

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# What `_save` writes of a post and its assessment, in order, and what a newer sighting of the same post replaces.
_POST_COLUMNS = ("platform", "post_id", "url", "created_at", "author_id", "author_handle", "author_name", "text",
                 "lang_hint", "media", "extra", "source", "source_line", "first_seen", "last_seen")
_POST_UPDATES = tuple(c for c in _POST_COLUMNS if c not in ("platform", "post_id", "first_seen"))
_ASSESSMENT_COLUMNS = ("platform", "post_id", "detector", "label", "score", "lang", "tactics", "prediction",
                       "assessed_at")
_ASSESSMENT_UPDATES = _ASSESSMENT_COLUMNS[2:]


def database_url(db: str) -> str:
    """A path becomes a SQLite URL; anything with `://` is taken as an SQLAlchemy URL."""
    if "://" in db:
        if db.startswith("postgresql://"):
            return "postgresql+psycopg://" + db[len("postgresql://"):]
        return db
    return f"sqlite:///{Path(db).expanduser()}"


def open_store(db: str, migrate: bool = True) -> SqlStore:
    url = database_url(db)
    try:
        engine = create_engine(url, future=True, json_serializer=dumps)  # compact JSON columns, fast
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = SqlStore(engine)
        if migrate:
            store.migrate()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open database {db!r}: {exc.__class__.__name__}: {exc}") from exc
    return store


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class SqlStore(BankSql, WorkflowSql, AuthSql, NetworkSql, RedirectSql):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._upserts: dict[tuple[str, str], str] = {}

    def migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {exc.__class__.__name__}: {exc}") from exc

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    # PostStore -----------------------------------------------------------------------------------------
    def _save(self, conn: Connection, pairs: Sequence[tuple[Post, Assessment]],
              source_lines: Sequence[tuple[str, int]], predictions: Sequence[dict[str, Any]] | None = None) -> None:
        if not pairs:
            return
        now = utcnow()
        latest: dict[tuple[str, str], int] = {}
        for i, (post, _) in enumerate(pairs):
            latest[post.key] = i  # a post twice in one batch: its last version wins
        post_rows, assessment_rows = [], []
        for i in sorted(latest.values()):
            post, assessment = pairs[i]
            source, line = source_lines[i]
            author = post.author
            post_rows.append((
                post.platform, post.id, post.url, post.created_at, author.id, author.handle, author.name, post.text,
                post.lang_hint, dumps([m.to_dict() for m in post.media]), dumps(post.extra), source, line, now, now,
            ))
            prediction = predictions[i] if predictions is not None else assessment.to_prediction()
            assessment_rows.append((
                post.platform, post.id, assessment.detector, assessment.label, assessment.score, assessment.lang,
                dumps(list(assessment.tactics)), dumps(prediction), now,
            ))
        # Plain SQL with ready-made JSON text, not SQLAlchemy's per-value processing: this runs for every post of
        # a scan, and at thousands of posts a second the processing was a tenth of the whole path.
        conn.exec_driver_sql(self._upsert(t.posts, _POST_COLUMNS, _POST_UPDATES), post_rows)
        conn.exec_driver_sql(self._upsert(t.assessments, _ASSESSMENT_COLUMNS, _ASSESSMENT_UPDATES), assessment_rows)

    def _upsert(self, table: Any, columns: tuple[str, ...], updates: tuple[str, ...]) -> str:
        """`INSERT ... ON CONFLICT (platform, post_id) DO UPDATE` in the driver's own placeholders (the same
        statement in SQLite and PostgreSQL), JSON columns cast where the server types them."""
        key = (table.name, self.engine.dialect.name)
        if key not in self._upserts:
            pg = self.engine.dialect.name == "postgresql"
            marks = ", ".join("CAST(%s AS JSON)" if pg and isinstance(table.c[c].type, JSON) else "%s" if pg else "?"
                              for c in columns)
            sets = ", ".join(f"{c} = excluded.{c}" for c in updates)
            self._upserts[key] = (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks}) "
                                  f"ON CONFLICT (platform, post_id) DO UPDATE SET {sets}")
        return self._upserts[key]

    def find_predictions(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        out: dict[tuple[str, str], dict[str, Any]] = {}
        unique = list(dict.fromkeys(keys))
        with self._tx() as conn:
            for i in range(0, len(unique), 400):
                chunk = unique[i:i + 400]
                rows = conn.execute(select(t.assessments.c.platform, t.assessments.c.post_id,
                                           t.assessments.c.prediction)
                                    .where(tuple_(t.assessments.c.platform, t.assessments.c.post_id).in_(chunk)))
                for platform, post_id, prediction in rows:
                    out[(platform, post_id)] = prediction
        return out

    def list_flagged(self, limit: int = 100, offset: int = 0) -> list[StoredAssessment]:
        a, p = t.assessments, t.posts
        query = (select(a.c.platform, a.c.post_id, a.c.label, a.c.score, a.c.lang, a.c.prediction, p.c.text,
                        p.c.url, a.c.assessed_at)
                 .join(p, (p.c.platform == a.c.platform) & (p.c.post_id == a.c.post_id))
                 .where(a.c.label != "benign")
                 .order_by(a.c.score.desc(), a.c.platform, a.c.post_id).limit(limit).offset(offset))
        with self._tx() as conn:
            return [StoredAssessment(*row) for row in conn.execute(query)]

    def find_post(self, platform: str, post_id: str) -> Post | None:
        with self._tx() as conn:
            r = conn.execute(select(t.posts).where((t.posts.c.platform == platform) &
                                                   (t.posts.c.post_id == post_id))).first()
        if r is None:
            return None
        media = tuple(Media(m.get("type", "image"), m.get("path"), m.get("sha256")) for m in (r.media or []))
        return Post(id=r.post_id, text=r.text, platform=r.platform, url=r.url, created_at=r.created_at,
                    author=Author(r.author_id, r.author_handle, r.author_name), lang_hint=r.lang_hint, media=media,
                    extra=dict(r.extra or {}))

    def count_posts(self) -> int:
        with self._tx() as conn:
            return int(conn.execute(select(func.count()).select_from(t.posts)).scalar_one())

    # RejectStore ---------------------------------------------------------------------------------------
    def add_rejects(self, rejects: Iterable[Reject], run_id: int | None) -> None:
        with self._tx() as conn:
            self._add_rejects(conn, list(rejects), run_id)

    def _add_rejects(self, conn: Connection, rejects: Sequence[Reject], run_id: int | None) -> None:
        if rejects:
            now = utcnow()
            conn.execute(t.rejects.insert(), [{
                "run_id": run_id, "source": r.source, "line": r.line, "field": r.field, "reason": r.reason,
                "record_id": r.record_id, "action": r.action, "raw": r.raw, "at": now} for r in rejects])

    def list_rejects(self, run_id: int | None = None) -> list[Reject]:
        query = select(t.rejects).order_by(t.rejects.c.id)
        if run_id is not None:
            query = query.where(t.rejects.c.run_id == run_id)
        with self._tx() as conn:
            return [Reject(r.source, r.line, r.field, r.reason, r.raw, r.record_id, r.action)
                    for r in conn.execute(query)]

    # ScanRunStore --------------------------------------------------------------------------------------
    def find_resumable(self, fingerprint: str, detector: str) -> ScanRun | None:
        query = (select(t.scan_runs).where(t.scan_runs.c.fingerprint == fingerprint,
                                           t.scan_runs.c.detector == detector,
                                           t.scan_runs.c.status == "running")
                 .order_by(t.scan_runs.c.id.desc()).limit(1))
        with self._tx() as conn:
            row = conn.execute(query).first()
        return None if row is None else ScanRun(row.id, row.fingerprint, row.detector, row.status, row.position,
                                                dict(row.counts))

    def start_run(self, fingerprint: str, detector: str, inputs: Sequence[str]) -> ScanRun:
        now = utcnow()
        with self._tx() as conn:
            run_id = conn.execute(t.scan_runs.insert().values(
                fingerprint=fingerprint, detector=detector, inputs=list(inputs), status="running", position=0,
                counts={}, started_at=now, updated_at=now)).inserted_primary_key[0]
        return ScanRun(int(run_id), fingerprint, detector, "running", 0, {})

    def checkpoint(self, run_id: int, position: int, counts: dict[str, int]) -> None:
        with self._tx() as conn:
            self._checkpoint(conn, run_id, position, counts, "running")

    def _checkpoint(self, conn: Connection, run_id: int, position: int, counts: dict[str, int], status: str) -> None:
        conn.execute(t.scan_runs.update().where(t.scan_runs.c.id == run_id).values(
            position=position, counts=dict(counts), status=status, updated_at=utcnow()))

    def finish_run(self, run_id: int, counts: dict[str, int]) -> None:
        with self._tx() as conn:
            conn.execute(t.scan_runs.update().where(t.scan_runs.c.id == run_id).values(
                status="done", counts=dict(counts), updated_at=utcnow()))

    def commit_batch(self, run_id: int, pairs: Sequence[tuple[Post, Assessment]],
                     source_lines: Sequence[tuple[str, int]], rejects: Sequence[Reject], position: int,
                     counts: dict[str, int], predictions: Sequence[dict[str, Any]] | None = None) -> None:
        """Posts, assessments, rejects and the run's position in one transaction: a kill loses nothing stored.
        `predictions` are the assessments' `to_prediction()`, when the caller has them already."""
        with self._tx() as conn:
            self._save(conn, pairs, source_lines, predictions)
            self._add_rejects(conn, rejects, run_id)
            self._checkpoint(conn, run_id, position, counts, "running")

    # AuditLog ------------------------------------------------------------------------------------------
    def append(self, ev: Event) -> None:
        with self._tx() as conn:
            prev = conn.execute(select(t.audit_events.c.hash).order_by(t.audit_events.c.id.desc()).limit(1)).scalar()
            prev = prev or "0" * 64
            digest = _event_hash(prev, ev.at, ev.actor, ev.action, ev.subject, ev.details)
            conn.execute(t.audit_events.insert().values(at=ev.at, actor=ev.actor, action=ev.action,
                                                        subject=ev.subject, details=ev.details, prev_hash=prev,
                                                        hash=digest))

    def list_events(self, subjects: Sequence[str] | None = None) -> list[Event]:
        q = select(t.audit_events).order_by(t.audit_events.c.id)
        if subjects is not None:
            q = q.where(t.audit_events.c.subject.in_(list(subjects)))
        with self._tx() as conn:
            rows = conn.execute(q).all()
        return [Event(r.action, r.actor, r.subject, dict(r.details), r.at) for r in rows]

    def verify(self) -> bool:
        """Whether the audit log's hash chain is intact (no event edited, removed or reordered)."""
        prev = "0" * 64
        with self._tx() as conn:
            for r in conn.execute(select(t.audit_events).order_by(t.audit_events.c.id)):
                if r.prev_hash != prev or r.hash != _event_hash(prev, r.at, r.actor, r.action, r.subject, r.details):
                    return False
                prev = r.hash
        return True


def _event_hash(prev: str, at: str, actor: str, action: str, subject: str, details: Any) -> str:
    body = json.dumps([prev, at, actor, action, subject, details], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
