"""Sharing as use cases: export a network or a bank as STIX 2.1, MISP or a hash list (HMA / python-threatexchange),
and import STIX bundles into a bank. Privacy by default: indicators and hashes only; post text only when
`include_content` is asked for. Every export and import is an audit event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Protocol

from crossingwatch.core import Event
from crossingwatch.core.errors import InputError
from crossingwatch.exchange import misp, stix
from crossingwatch.exchange.hashlists import ExportRow, write_hash_list
from crossingwatch.exchange.shared import SharedGroup, SharedIndicator, SharedPost, check_tlp
from crossingwatch.media.signals import Signal, SignalError, SignalType
from crossingwatch.services import banking
from crossingwatch.services.networking import links_of
from crossingwatch.store.network_protocols import NetworkStore
from crossingwatch.store.protocols import BankEntry, BankStore

Track = Callable[[Event], None]
FORMATS = ("stix", "misp", "hashes")
SHARED_KINDS = ("phone", "handle", "url", "payment", "pdq", "sha256", "video_md5")
HASH_LIST_KINDS = ("url", "phone", "pdq", "sha256", "video_md5")  # signal types HMA and our banks know


def _no_track(event: Event) -> None:
    return None


class SharingStore(NetworkStore, BankStore, Protocol):
    """What sharing reads: networks (and their posts) and banks."""


def network_group(store: NetworkStore, network_id: int, *, include_content: bool = False) -> SharedGroup:
    """A network as a shareable group: its linking indicators, its accounts and (ids, URLs, times of) its posts."""
    row = store.get_network(network_id)
    keys = store.network_post_keys(network_id)
    posts = list(store.iter_network_inputs(keys))
    pdq_groups = row.summary.get("pdq_groups") or {}
    linking = {(k, v) for k, v, _, _ in store.network_indicators(network_id) if k in SHARED_KINDS}
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    accounts: dict[tuple[str, str], tuple[str | None, list[str]]] = {}
    for p in posts:
        for link in links_of(p, SHARED_KINDS, pdq_groups):
            if link in linking:
                counts[link] += 1
                if p.at:
                    seen[link].append(p.at)
        if p.account:
            handle, times = accounts.setdefault((p.platform, p.account), (p.handle, []))
            if p.at:
                times.append(p.at)
    indicators = [SharedIndicator(k, v, first_seen=min(seen[(k, v)], default=None),
                                  last_seen=max(seen[(k, v)], default=None), posts=counts[(k, v)])
                  for k, v in sorted(linking)]
    indicators += [SharedIndicator("account", (handle or account).lstrip("@"), platform=platform, user_id=account,
                                   first_seen=min(times, default=None), last_seen=max(times, default=None))
                   for (platform, account), (handle, times) in sorted(accounts.items())]
    texts = store.find_post_texts(keys) if include_content else {}
    shared_posts = tuple(SharedPost(p.platform, p.post_id, p.url, p.handle or p.account, p.at,
                                    texts[p.key][0] if p.key in texts else None) for p in posts)
    return SharedGroup(f"network:{network_id}:{min(keys) if keys else ''}", f"CrossingWatch network {network_id}",
                       f"{row.posts} posts by {row.accounts} accounts on {row.platforms} platforms, linked by shared "
                       f"indicators; rank {row.rank}.", tuple(indicators), shared_posts, row.first_at, row.last_at,
                       ("migrant-smuggling",))


def bank_group(store: BankStore, bank: str) -> SharedGroup:
    b = store.get_bank(bank)
    indicators = []
    for e in store.list_entries(bank):
        if e.signal_type == "handle":
            platform, _, login = e.value.partition(":")
            indicators.append(SharedIndicator("account", login, platform=platform, first_seen=e.added_at))
        else:
            indicators.append(SharedIndicator(e.signal_type, e.value, first_seen=e.added_at))
    return SharedGroup(f"bank:{b.name}", f"CrossingWatch bank {b.name}", b.note or f"{b.kind} bank {b.name}",
                       tuple(indicators), first_seen=b.created_at, labels=(b.kind,))


def _hash_rows(group: SharedGroup, collab: str, kind: str) -> list[ExportRow]:
    rows = []
    for ind in group.indicators:
        if ind.kind == "account":
            if ind.platform:
                rows.append(ExportRow("handle", f"{ind.platform.lower()}:{ind.value.lower()}", collab, kind))
        elif ind.kind in HASH_LIST_KINDS:  # a handle without its platform means nothing; payments are no HMA type
            rows.append(ExportRow(ind.kind, ind.value, collab, kind))
    return rows


def export(store: SharingStore, fmt: str, *, network: int | None = None, bank: str | None = None,
           tlp: str = "amber", include_content: bool = False, hash_format: str = "csv", actor: str = "system",
           track: Track = _no_track) -> str:
    """One network or one bank, as `stix` (a bundle), `misp` (events JSON) or `hashes` (a hash list)."""
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r}: use one of {', '.join(FORMATS)}", field="format")
    if (network is None) == (bank is None):
        raise InputError("name exactly one of --network or --bank", field="network")
    try:
        tlp = check_tlp(tlp)
    except ValueError as exc:
        raise InputError(str(exc), field="tlp") from exc
    if network is not None:
        group = network_group(store, network, include_content=include_content)
        subject, collab, kind = f"network:{network}", f"network-{network}", "flag"
    else:
        assert bank is not None
        group = bank_group(store, bank)
        subject, collab, kind = f"bank:{bank}", bank, store.get_bank(bank).kind
    if fmt == "stix":
        text = stix.build_bundle([group], tlp=tlp)
    elif fmt == "misp":
        text = misp.write_events([group], tlp=tlp,
                                 image_links=_image_links(store, network) if network is not None else {})
    else:
        text = write_hash_list(_hash_rows(group, collab, kind), hash_format)
    track(Event("sharing.exported", actor, subject, {
        "format": fmt, "tlp": tlp, "include_content": include_content, "indicators": len(group.indicators),
        "posts": len(group.posts)}))
    return text


def _image_links(store: NetworkStore, network: int) -> dict[str, str]:
    """For each image hash of a network, the URL of one post showing it (MISP's `image` needs a link)."""
    out: dict[str, str] = {}
    pdq_groups = store.get_network(network).summary.get("pdq_groups") or {}
    for p in store.iter_network_inputs(store.network_post_keys(network)):
        for _, value in links_of(p, ("pdq", "sha256"), pdq_groups):
            if p.url:
                out.setdefault(value, p.url)
    return out


def import_stix(store: BankStore, bank: str, text: str, types: dict[str, SignalType], *, actor: str,
                track: Track = _no_track) -> tuple[list[BankEntry], list[stix.StixProblem]]:
    """Adds the bundle's valid signals to a bank; returns the entries and a problem per object not imported."""
    store.get_bank(bank)  # a missing bank fails before anything is read
    found, problems = stix.read_bundle(text)
    good: list[Signal] = []
    for s in found:
        t = types.get(s.signal_type)
        if t is None:
            problems.append(stix.StixProblem(s.index, s.object_id, f"signal type {s.signal_type!r} is not installed"))
            continue
        try:
            good.append(Signal(t.name, t.validate(s.value)))
        except SignalError as exc:
            problems.append(stix.StixProblem(s.index, s.object_id, str(exc)))
    entries = banking.add_to_bank(store, bank, list(dict.fromkeys(good)), actor=actor, tags=("stix",),
                                  track=track) if good else []
    track(Event("sharing.stix_imported", actor, f"bank:{bank}", {"added": len(entries), "rejected": len(problems)}))
    return entries, sorted(problems, key=lambda p: (p.index if p.index is not None else -1))
