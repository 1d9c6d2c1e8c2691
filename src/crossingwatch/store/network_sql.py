"""The SQL side of campaigns and networks (mixed into `SqlStore`; same engine, same transactions).

Campaign signatures are kept per post, so a build signs only the posts not signed before. Networks are replaced
as a whole by each build; a network keeps its id when it keeps most of its posts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select, tuple_

from crossingwatch.core.errors import NotFound
from crossingwatch.core.events import utcnow
from crossingwatch.store import tables as t
from crossingwatch.store.network_protocols import CampaignRow, NetworkInput, NetworkRow

Key = tuple[str, str]


def _network(r: Any) -> NetworkRow:
    return NetworkRow(r.id, bool(r.active), r.rank, r.score, r.posts, r.accounts, r.platforms, r.confirmed,
                      r.first_at, r.last_at, dict(r.summary), r.built_at)


def _campaign(r: Any) -> CampaignRow:
    return CampaignRow(r.id, r.size, dict(r.template), r.first_at, r.last_at, r.merged_into, r.updated_at)


class NetworkSql:
    def _tx(self) -> AbstractContextManager[Connection]:  # provided by SqlStore
        raise NotImplementedError

    # campaigns ---------------------------------------------------------------------------------------------------
    def unsigned_posts(self, limit: int = 10_000) -> list[tuple[str, str, str]]:
        """(platform, post_id, text) of posts that have no campaign signature yet, oldest first."""
        p, c = t.posts, t.campaign_posts
        q = (select(p.c.platform, p.c.post_id, p.c.text)
             .outerjoin(c, and_(c.c.platform == p.c.platform, c.c.post_id == p.c.post_id))
             .where(c.c.id.is_(None)).order_by(p.c.pk).limit(limit))
        with self._tx() as conn:
            return [(r.platform, r.post_id, r.text) for r in conn.execute(q)]

    def add_signatures(self, rows: Sequence[tuple[str, str, bytes, bool]]) -> None:
        now = utcnow()
        with self._tx() as conn:
            conn.execute(t.campaign_posts.insert(), [
                {"platform": p, "post_id": i, "campaign_id": None, "signature": s, "has_shingles": int(ok),
                 "added_at": now} for p, i, s, ok in rows])

    def load_signatures(self) -> tuple[list[Key], list[bytes], list[bool], list[int | None]]:
        """Every signed post: keys, signatures, whether it had shingles, its campaign (in signing order)."""
        c = t.campaign_posts
        keys: list[Key] = []
        sigs: list[bytes] = []
        oks: list[bool] = []
        camps: list[int | None] = []
        with self._tx() as conn:
            for r in conn.execute(select(c.c.platform, c.c.post_id, c.c.signature, c.c.has_shingles,
                                         c.c.campaign_id).order_by(c.c.id)):
                keys.append((r.platform, r.post_id))
                sigs.append(r.signature)
                oks.append(bool(r.has_shingles))
                camps.append(r.campaign_id)
        return keys, sigs, oks, camps

    def add_campaign(self, size: int, template: dict[str, Any], first_at: str | None, last_at: str | None) -> int:
        now = utcnow()
        with self._tx() as conn:
            return int(conn.execute(t.campaigns.insert().values(
                size=size, template=template, first_at=first_at, last_at=last_at, merged_into=None, created_at=now,
                updated_at=now)).inserted_primary_key[0])

    def update_campaign(self, campaign_id: int, **values: Any) -> None:
        with self._tx() as conn:
            conn.execute(t.campaigns.update().where(t.campaigns.c.id == campaign_id).values(
                updated_at=utcnow(), **values))

    def set_post_campaigns(self, assignments: Sequence[tuple[Key, int]]) -> None:
        c = t.campaign_posts
        stmt = c.update().where(and_(c.c.platform == bindparam("k_platform"), c.c.post_id == bindparam("k_post"))
                                ).values(campaign_id=bindparam("k_campaign"))
        if assignments:
            with self._tx() as conn:  # one executemany, not a statement per post
                conn.execute(stmt, [{"k_platform": p, "k_post": i, "k_campaign": cid} for (p, i), cid in assignments])

    def get_campaign(self, campaign_id: int) -> CampaignRow:
        with self._tx() as conn:
            r = conn.execute(select(t.campaigns).where(t.campaigns.c.id == campaign_id)).first()
        if r is None:
            raise NotFound(f"no campaign {campaign_id}")
        return _campaign(r)

    def list_campaigns(self, min_size: int = 2, limit: int = 100, offset: int = 0) -> list[CampaignRow]:
        q = (select(t.campaigns).where(t.campaigns.c.merged_into.is_(None), t.campaigns.c.size >= min_size)
             .order_by(t.campaigns.c.size.desc(), t.campaigns.c.id).limit(limit).offset(offset))
        with self._tx() as conn:
            return [_campaign(r) for r in conn.execute(q)]

    def campaign_post_keys(self, campaign_id: int) -> list[Key]:
        c = t.campaign_posts
        with self._tx() as conn:
            return [(r.platform, r.post_id) for r in conn.execute(
                select(c.c.platform, c.c.post_id).where(c.c.campaign_id == campaign_id).order_by(c.c.id))]

    def find_post_texts(self, keys: Sequence[Key]) -> dict[Key, tuple[str, str | None]]:
        """(text, created_at or first seen) by post key."""
        out: dict[Key, tuple[str, str | None]] = {}
        p = t.posts
        unique = list(dict.fromkeys(keys))
        with self._tx() as conn:
            for s in range(0, len(unique), 400):
                q = select(p.c.platform, p.c.post_id, p.c.text, p.c.created_at, p.c.first_seen).where(
                    tuple_(p.c.platform, p.c.post_id).in_(unique[s:s + 400]))
                for r in conn.execute(q):
                    out[(r.platform, r.post_id)] = (r.text, r.created_at or r.first_seen)
        return out

    # networks ----------------------------------------------------------------------------------------------------
    def iter_network_inputs(self, keys: Sequence[Key] | None = None) -> Iterator[NetworkInput]:
        """Every assessed post (or those of `keys`) with what can link it: author, indicators, bank matches, media
        hashes, campaign."""
        if keys is not None:
            unique = list(dict.fromkeys(keys))
            for s in range(0, len(unique), 400):
                yield from self._network_inputs(tuple_(t.posts.c.platform, t.posts.c.post_id).in_(unique[s:s + 400]))
            return
        yield from self._network_inputs(None)

    def _network_inputs(self, where: Any) -> Iterator[NetworkInput]:
        p, a, c, camp = t.posts, t.assessments, t.campaign_posts, t.campaigns
        q = (select(p.c.platform, p.c.post_id, p.c.url, p.c.author_id, p.c.author_handle, p.c.created_at,
                    p.c.first_seen, p.c.media, a.c.label, a.c.prediction, c.c.campaign_id, camp.c.merged_into)
             .join(a, and_(a.c.platform == p.c.platform, a.c.post_id == p.c.post_id))
             .outerjoin(c, and_(c.c.platform == p.c.platform, c.c.post_id == p.c.post_id))
             .outerjoin(camp, camp.c.id == c.c.campaign_id).order_by(p.c.pk))
        if where is not None:
            q = q.where(where)
        with self._tx() as conn:
            for r in conn.execute(q):
                yield NetworkInput(r.platform, r.post_id, r.url, r.author_id or r.author_handle, r.author_handle,
                                   r.created_at or r.first_seen, list(r.media or []), r.label, dict(r.prediction),
                                   r.merged_into or r.campaign_id)

    def confirmed_advert_posts(self) -> set[Key]:
        """Posts in cases whose latest decision confirmed them as adverts."""
        d, cp = t.decisions, t.case_posts
        latest = select(d.c.case_id, func.max(d.c.id).label("last")).group_by(d.c.case_id).subquery()
        q = (select(cp.c.platform, cp.c.post_id).join(latest, latest.c.case_id == cp.c.case_id)
             .join(d, d.c.id == latest.c.last).where(d.c.decision == "confirm_advert"))
        with self._tx() as conn:
            return {(r.platform, r.post_id) for r in conn.execute(q)}

    def case_of_posts(self, keys: Sequence[Key]) -> dict[Key, int]:
        cp = t.case_posts
        out: dict[Key, int] = {}
        unique = list(dict.fromkeys(keys))
        with self._tx() as conn:
            for s in range(0, len(unique), 400):
                q = select(cp.c.platform, cp.c.post_id, cp.c.case_id).where(
                    tuple_(cp.c.platform, cp.c.post_id).in_(unique[s:s + 400]))
                out.update({(r.platform, r.post_id): r.case_id for r in conn.execute(q)})
        return out

    def find_networks_of_posts(self, keys: Sequence[Key]) -> dict[Key, int]:
        """The active network of each of these posts that is in one."""
        np_, nets = t.network_posts, t.networks
        out: dict[Key, int] = {}
        unique = list(dict.fromkeys(keys))
        with self._tx() as conn:
            for s in range(0, len(unique), 400):
                q = select(np_.c.platform, np_.c.post_id, np_.c.network_id).join(
                    nets, nets.c.id == np_.c.network_id).where(
                    nets.c.active == 1, tuple_(np_.c.platform, np_.c.post_id).in_(unique[s:s + 400]))
                out.update({(r.platform, r.post_id): r.network_id for r in conn.execute(q)})
        return out

    def network_of_posts(self) -> dict[Key, int]:
        np_ = t.network_posts
        with self._tx() as conn:
            return {(r.platform, r.post_id): r.network_id for r in conn.execute(
                select(np_.c.platform, np_.c.post_id, np_.c.network_id))}

    def replace_networks(self, networks: Sequence[dict[str, Any]]) -> list[int]:
        """Store a build: each dict has `id` (an old id to keep, or None), the counts, `summary`, `posts_keys` and
        `indicators` ((kind, value, posts, accounts) …). Networks not in the build become inactive."""
        now = utcnow()
        ids: list[int] = []
        with self._tx() as conn:
            conn.execute(t.network_indicators.delete())
            conn.execute(t.network_posts.delete())
            conn.execute(t.networks.update().values(active=0))
            for n in networks:
                values = {k: n[k] for k in ("rank", "score", "posts", "accounts", "platforms", "confirmed",
                                             "first_at", "last_at", "summary")}
                if n.get("id") is not None:
                    conn.execute(t.networks.update().where(t.networks.c.id == n["id"]).values(
                        active=1, built_at=now, **values))
                    nid = int(n["id"])
                else:
                    nid = int(conn.execute(t.networks.insert().values(active=1, built_at=now, **values))
                              .inserted_primary_key[0])
                ids.append(nid)
                conn.execute(t.network_posts.insert(), [{"network_id": nid, "platform": p, "post_id": i}
                                                        for p, i in n["post_keys"]])
                if n["indicators"]:
                    conn.execute(t.network_indicators.insert(), [
                        {"network_id": nid, "kind": k, "value": v, "posts": np, "accounts": na}
                        for k, v, np, na in n["indicators"]])
        return ids

    def list_networks(self, min_size: int = 2, limit: int = 100, offset: int = 0) -> list[NetworkRow]:
        q = (select(t.networks).where(t.networks.c.active == 1, t.networks.c.posts >= min_size)
             .order_by(t.networks.c.rank).limit(limit).offset(offset))
        with self._tx() as conn:
            return [_network(r) for r in conn.execute(q)]

    def count_networks(self, min_size: int = 2) -> int:
        q = select(func.count()).select_from(t.networks).where(t.networks.c.active == 1,
                                                                t.networks.c.posts >= min_size)
        with self._tx() as conn:
            return int(conn.execute(q).scalar_one())

    def get_network(self, network_id: int) -> NetworkRow:
        with self._tx() as conn:
            r = conn.execute(select(t.networks).where(t.networks.c.id == network_id)).first()
        if r is None:
            raise NotFound(f"no network {network_id} (`crossingwatch networks` lists them)")
        return _network(r)

    def network_post_keys(self, network_id: int, limit: int | None = None, offset: int = 0,
                          step: int = 1) -> list[Key]:
        """The network's posts in build order; `step` > 1 takes every step-th (an even sample of a big network)."""
        np_ = t.network_posts
        q = select(np_.c.platform, np_.c.post_id).where(np_.c.network_id == network_id).order_by(np_.c.id)
        if step > 1:
            q = q.where(np_.c.id % step == 0)
        q = q.offset(offset) if limit is None else q.limit(limit).offset(offset)
        with self._tx() as conn:
            return [(r.platform, r.post_id) for r in conn.execute(q)]

    def network_indicators(self, network_id: int) -> list[tuple[str, str, int, int]]:
        ni = t.network_indicators
        q = (select(ni.c.kind, ni.c.value, ni.c.posts, ni.c.accounts).where(ni.c.network_id == network_id)
             .order_by(ni.c.posts.desc(), ni.c.kind, ni.c.value))
        with self._tx() as conn:
            return [(r.kind, r.value, r.posts, r.accounts) for r in conn.execute(q)]
