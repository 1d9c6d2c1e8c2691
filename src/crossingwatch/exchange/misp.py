"""MISP events (PyMISP's `MISPEvent`, written as JSON; no MISP server involved), one per group.

Objects follow the MISP object templates PyMISP ships: `phone-number`, `url`, `telegram-account` (Telegram
accounts and handles), `user-account` (accounts on other platforms, `account-type` = platform), `microblog` (a post:
its URL, author and date, and its text only when content was asked for) and `image` (a post's picture, by the
post's `link`, with its PDQ or SHA-256 as a `text`-typed `pdq`/`sha256` attribute: MISP has no PDQ type). Payment
details: an IBAN is a `bank-account` (`iban`), a wallet a `coin-address` (`address` for Bitcoin, `address-crypto` for
Ethereum and Tron, with `symbol`); a card is an `anonymised` attribute (its last 4 digits only), because the
`credit-card` template requires the full number, which we never keep. The TLP is a `tlp:` tag on the event; UUIDs
are UUIDv5 of the content, so re-exports update rather than duplicate.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from pymisp import MISPEvent, MISPObject

from crossingwatch.exchange.shared import SharedGroup, SharedIndicator, check_tlp

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://crossingwatch.invalid/misp")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join(parts)))


def _object(template: str, key: str, attributes: list[tuple[str, Any, dict[str, Any]]]) -> MISPObject:
    obj = MISPObject(template, standalone=False)
    obj.uuid = _uuid(template, key)
    log = logging.getLogger("pymisp")
    level = log.level
    log.setLevel(logging.ERROR)  # PyMISP logs a warning for the one relation we add beyond a template (image pdq)
    try:
        for relation, value, extra in attributes:
            attr = obj.add_attribute(relation, value=value, **extra)
            if attr is not None:
                attr.uuid = _uuid(template, key, relation, str(value))
    finally:
        log.setLevel(level)
    return obj


def _indicator_object(ind: SharedIndicator, link: str | None) -> MISPObject | None:
    if ind.kind == "phone":
        return _object("phone-number", ind.value, [("phone-number", ind.value, {"to_ids": True})])
    if ind.kind == "url":
        return _object("url", ind.value, [("url", ind.value, {"to_ids": True})])
    if ind.kind == "payment":
        return _payment_object(ind.value)
    if ind.kind in ("account", "handle"):
        login = ind.value.lstrip("@")
        if (ind.platform or "").lower() == "telegram" or ind.kind == "handle" and not ind.platform:
            attrs: list[tuple[str, Any, dict[str, Any]]] = [("username", login, {"to_ids": True})]
            if ind.user_id:
                attrs.append(("id", ind.user_id, {}))
            return _object("telegram-account", f"{ind.platform}:{login}", attrs)
        attrs = [("username", login, {"to_ids": True}), ("account-type", ind.platform or "unknown", {})]
        if ind.user_id:
            attrs.append(("user-id", ind.user_id, {}))
        return _object("user-account", f"{ind.platform}:{login}", attrs)
    if ind.kind in ("pdq", "sha256") and link:
        return _object("image", f"{ind.kind}:{ind.value}", [
            ("link", link, {}), (ind.kind, ind.value, {"type": "text", "disable_correlation": False})])
    if ind.kind in ("sha256", "video_md5"):
        relation = "sha256" if ind.kind == "sha256" else "md5"
        return _object("file", f"{ind.kind}:{ind.value}", [(relation, ind.value, {"to_ids": True})])
    if ind.kind == "pdq":
        return _object("file", f"pdq:{ind.value}", [("text", f"pdq:{ind.value}", {})])
    return None


def _payment_object(value: str) -> MISPObject | None:
    scheme, _, rest = value.partition(":")
    if scheme == "iban":
        return _object("bank-account", value, [("iban", rest, {"to_ids": True})])
    if scheme == "btc":
        return _object("coin-address", value, [("address", rest, {"to_ids": True}), ("symbol", "BTC", {})])
    if scheme in ("eth", "trx"):
        return _object("coin-address", value, [("address-crypto", rest, {"to_ids": True}),
                                               ("symbol", scheme.upper(), {})])
    return None  # cards: an attribute of the event (see build_event)


def build_event(group: SharedGroup, *, tlp: str = "amber", image_links: dict[str, str] | None = None) -> MISPEvent:
    event = MISPEvent()
    event.uuid = _uuid("event", group.key)
    event.info = group.name
    event.distribution = 0  # this organisation only, until the analyst shares it in MISP
    event.threat_level_id = 2
    event.analysis = 1
    if group.first_seen:
        event.set_date(group.first_seen[:10])
    event.add_tag(f"tlp:{check_tlp(tlp)}")
    event.add_tag("crossingwatch:migrant-smuggling")
    for ind in group.indicators:
        if ind.kind == "payment" and ind.value.startswith("card:"):
            attr = event.add_attribute("anonymised", ind.value, category="Financial fraud", to_ids=False,
                                       comment="payment card: its last 4 digits "
                                               "(the number itself is not kept)")
            attr.uuid = _uuid("attribute", ind.value)
            continue
        obj = _indicator_object(ind, (image_links or {}).get(ind.value))
        if obj is not None:
            event.add_object(obj)
    for post in group.posts:
        if not post.url and post.text is None:
            continue
        attrs: list[tuple[str, Any, dict[str, Any]]] = []
        if post.url:
            attrs.append(("url", post.url, {}))
        if post.account:
            attrs.append(("username", post.account, {}))
        if post.at:
            attrs.append(("creation-date", post.at, {}))
        if post.text is not None:
            attrs.append(("post", post.text, {}))
        if attrs and any(r in ("url", "post") for r, _, _ in attrs):
            event.add_object(_object("microblog", f"{post.platform}/{post.post_id}", attrs))
    return event


def write_events(groups: list[SharedGroup], *, tlp: str = "amber",
                 image_links: dict[str, str] | None = None) -> str:
    """One event per group, as MISP's JSON (`{"response": [{"Event": …}, …]}`, what MISP's own export gives)."""
    events = [build_event(g, tlp=tlp, image_links=image_links) for g in groups]
    return json.dumps({"response": [json.loads(e.to_json()) for e in events]}, indent=2, ensure_ascii=False)
