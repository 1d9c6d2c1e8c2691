"""STIX 2.1 bundles in and out (the `stix2` library).

Out: per group an `intrusion-set` (the smuggling network) and per indicator an observable (`url`, `user-account`
with `account_type` = platform, `phone-number` — our extension's SCO with an E.164 `value` —, `file` with an
`x_pdq` or `SHA-256` hash, `x-crossingwatch-payment` — our extension's SCO for payment details, with `payment_type`
and our canonical `value`; stix2 3.0 has no bank-account or wallet object, and the community's disagree on their
properties —) plus an `indicator` whose pattern matches it, which `indicates` the intrusion set and is
`based-on` the observable. Observables get the spec's deterministic ids (UUIDv5 of their id-contributing
properties), so two agencies exporting the same URL produce the same object; our SDOs and SROs get UUIDv5 ids of
their content too. Every object carries the TLP marking. Post text travels only as `note`s, when asked for.

In: `read_bundle` returns the signals the bundle's observables and simple indicator patterns carry, and one
problem per object it cannot use (not a bundle, unknown type, bad id, wrong spec version, invalid object).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import stix2
from stix2 import properties as p

from crossingwatch.exchange.shared import SharedGroup, SharedIndicator, check_tlp

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://crossingwatch.invalid/stix")
STIX_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # the STIX 2.1 namespace for SCO ids
PHONE_EXTENSION = f"extension-definition--{uuid.uuid5(NAMESPACE, 'phone-number')}"
PAYMENT_EXTENSION = f"extension-definition--{uuid.uuid5(NAMESPACE, 'x-crossingwatch-payment')}"
PAYMENT_TYPES = {"iban": "iban", "btc": "bitcoin", "eth": "ethereum", "trx": "tron", "card": "payment-card"}
TLP_MARKINGS = {"white": stix2.TLP_WHITE, "green": stix2.TLP_GREEN, "amber": stix2.TLP_AMBER, "red": stix2.TLP_RED}
EPOCH = "2026-01-01T00:00:00Z"  # `created` of objects whose first sighting is unknown (stable across exports)


@stix2.v21.CustomObservable("phone-number", [("value", p.StringProperty(required=True))], ["value"],
                            PHONE_EXTENSION)
class PhoneNumber:
    """A telephone number (E.164 `value`): the SCO our extension definition describes."""


@stix2.v21.CustomObservable("x-crossingwatch-payment", [("value", p.StringProperty(required=True)),
                                                        ("payment_type", p.StringProperty(required=True))],
                            ["value"], PAYMENT_EXTENSION)
class Payment:
    """Payment details: `value` is CrossingWatch's canonical form (`iban:…`, `btc:…`, `eth:0x…`, `trx:T…`, or
    `card:<last 4>`, never a card number)."""


def _id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join(parts))}"


def _quote(v: str) -> str:
    return v.replace("\\", "\\\\").replace("'", "\\'")


def observable(ind: SharedIndicator) -> tuple[Any, str] | None:
    """The SCO for an indicator and a STIX pattern that matches it (None: a kind STIX cannot carry)."""
    if ind.kind == "url":
        return stix2.URL(value=ind.value), f"[url:value = '{_quote(ind.value)}']"
    if ind.kind == "phone":
        return PhoneNumber(value=ind.value), f"[phone-number:value = '{_quote(ind.value)}']"
    if ind.kind == "payment":
        kind = PAYMENT_TYPES.get(ind.value.partition(":")[0], "other")
        return Payment(value=ind.value, payment_type=kind), f"[x-crossingwatch-payment:value = '{_quote(ind.value)}']"
    if ind.kind in ("account", "handle"):
        props = {"account_login": ind.value}
        pattern = f"user-account:account_login = '{_quote(ind.value)}'"
        if ind.platform:
            props["account_type"] = ind.platform
            pattern = f"user-account:account_type = '{_quote(ind.platform)}' AND {pattern}"
        if ind.user_id:
            props["user_id"] = ind.user_id
        return stix2.UserAccount(**props), f"[{pattern}]"
    hashes = {"pdq": "x_pdq", "sha256": "SHA-256", "video_md5": "MD5"}
    if ind.kind in hashes:
        algo = hashes[ind.kind]
        return (stix2.File(hashes={algo: ind.value}, allow_custom=True),
                f"[file:hashes.{algo if algo.startswith('x_') else repr(algo)} = '{ind.value}']")
    return None


def build_bundle(groups: list[SharedGroup], *, tlp: str = "amber", producer: str = "CrossingWatch") -> str:
    marking = TLP_MARKINGS[check_tlp(tlp)]
    refs = [marking.id]
    identity = stix2.Identity(id=_id("identity", producer), name=producer, identity_class="organization",
                              created=EPOCH, modified=EPOCH, object_marking_refs=refs)
    extension = stix2.v21.ExtensionDefinition(
        id=PHONE_EXTENSION, created_by_ref=identity.id, created=EPOCH, modified=EPOCH, name="phone-number",
        description="A telephone number; `value` is E.164 (+ and digits).", version="1.0.0",
        schema="https://crossingwatch.invalid/stix/phone-number.json", extension_types=["new-sco"],
        object_marking_refs=refs)
    objects: dict[str, Any] = {o.id: o for o in (marking, identity, extension)}
    if any(ind.kind == "payment" for g in groups for ind in g.indicators):
        payments = stix2.v21.ExtensionDefinition(
            id=PAYMENT_EXTENSION, created_by_ref=identity.id, created=EPOCH, modified=EPOCH,
            name="x-crossingwatch-payment", version="1.0.0", extension_types=["new-sco"], object_marking_refs=refs,
            description="Payment details seen in adverts. `payment_type`: iban, bitcoin, ethereum, tron or "
                        "payment-card; `value`: iban:<IBAN>, btc:<address>, eth:0x<address, lower case>, "
                        "trx:<address>, or card:<last 4 digits> (never the number).",
            schema="https://crossingwatch.invalid/stix/x-crossingwatch-payment.json")
        objects[payments.id] = payments
    common = {"created_by_ref": identity.id, "object_marking_refs": refs}
    for g in groups:
        created = g.first_seen or EPOCH
        group = stix2.IntrusionSet(id=_id("intrusion-set", g.key), name=g.name, description=g.description,
                                   created=created, modified=g.last_seen or created, first_seen=g.first_seen,
                                   last_seen=g.last_seen, labels=list(g.labels) or None, **common)
        objects[group.id] = group
        for ind in g.indicators:
            made = observable(ind)
            if made is None:
                continue
            sco, pattern = made
            objects[sco.id] = _marked(sco, refs)
            seen = ind.first_seen or created
            indicator = stix2.Indicator(id=_id("indicator", pattern), pattern=pattern, pattern_type="stix",
                                        valid_from=seen, created=seen, modified=ind.last_seen or seen,
                                        name=f"{ind.kind} {ind.value}", indicator_types=["malicious-activity"],
                                        **common)
            objects[indicator.id] = indicator
            for rel, target in (("indicates", group.id), ("based-on", sco.id)):
                # stix2 refuses references to `x-` types unless told they are expected (our payment SCO)
                r = stix2.Relationship(id=_id("relationship", indicator.id, rel, target), source_ref=indicator.id,
                                       relationship_type=rel, target_ref=target, created=seen, modified=seen,
                                       allow_custom=target.startswith("x-"), **common)
                objects[r.id] = r
        for post in g.posts:
            if post.text is None:
                continue
            refs_of_note = [group.id]
            if post.url:
                url = _marked(stix2.URL(value=post.url), refs)
                objects[url.id] = url
                refs_of_note.insert(0, url.id)
            note = stix2.Note(id=_id("note", g.key, post.platform, post.post_id), content=post.text,
                              abstract=f"{post.platform}/{post.post_id}", object_refs=refs_of_note,
                              created=post.at or created, modified=post.at or created, **common)
            objects[note.id] = note
    bundle = stix2.Bundle(list(objects.values()), id=_id("bundle", *sorted(objects)), allow_custom=True)
    return str(bundle.serialize(pretty=True))


def _marked(sco: Any, refs: list[str]) -> Any:
    values = {k: v for k, v in sco.items() if k not in ("object_marking_refs",)}
    return type(sco)(**values, object_marking_refs=refs, allow_custom=True)


@dataclass(frozen=True, slots=True)
class StixSignal:
    index: int  # the object's place in the bundle's `objects`
    object_id: str
    signal_type: str
    value: str


@dataclass(frozen=True, slots=True)
class StixProblem:
    index: int | None
    object_id: str | None
    reason: str

    def message(self, source: str) -> str:
        where = f"objects[{self.index}]" if self.index is not None else "bundle"
        return f"{source}: {where}{f' ({self.object_id})' if self.object_id else ''}: {self.reason}"


SDO_SRO = {"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
           "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data",
           "opinion", "report", "threat-actor", "tool", "vulnerability", "relationship", "sighting",
           "marking-definition", "language-content", "extension-definition"}
SCO = {"artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
       "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
       "user-account", "windows-registry-key", "x509-certificate", "phone-number", "x-crossingwatch-payment"}
_ID = re.compile(r"^([a-z0-9][a-z0-9-]*)--([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
_PATTERNS = (
    (re.compile(r"^\[url:value = '((?:[^'\\]|\\.)*)'\]$"), "url"),
    (re.compile(r"^\[phone-number:value = '((?:[^'\\]|\\.)*)'\]$"), "phone"),
    (re.compile(r"^\[x-crossingwatch-payment:value = '((?:[^'\\]|\\.)*)'\]$"), "payment"),
    (re.compile(r"^\[file:hashes\.x_pdq = '([0-9a-fA-F]+)'\]$"), "pdq"),
    (re.compile(r"^\[file:hashes\.'SHA-256' = '([0-9a-fA-F]+)'\]$"), "sha256"),
)
_FILE_HASHES = {"x_pdq": "pdq", "SHA-256": "sha256", "MD5": "video_md5"}


def read_bundle(text: str) -> tuple[list[StixSignal], list[StixProblem]]:
    """The signals a bundle carries and a problem for each object that could not be read (the rest are read)."""
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [StixProblem(None, None, f"not JSON: {exc}")]
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle" or not isinstance(bundle.get("objects"), list):
        return [], [StixProblem(None, None, "not a STIX bundle: expected {\"type\": \"bundle\", \"objects\": [...]}")]
    signals: list[StixSignal] = []
    problems: list[StixProblem] = []
    for i, obj in enumerate(bundle["objects"]):
        found, problem = _read_object(i, obj)
        signals += found
        if problem is not None:
            problems.append(problem)
    return signals, problems


def _read_object(i: int, obj: Any) -> tuple[list[StixSignal], StixProblem | None]:
    if not isinstance(obj, dict):
        return [], StixProblem(i, None, "not a JSON object")
    kind, oid = obj.get("type"), obj.get("id")
    if not isinstance(kind, str) or not kind:
        return [], StixProblem(i, str(oid) if oid else None, "field type: missing")
    if kind not in SDO_SRO and kind not in SCO:
        return [], StixProblem(i, str(oid) if oid else None, f"unknown object type {kind!r}")
    m = _ID.match(str(oid or ""))
    if m is None or m.group(1) != kind:
        return [], StixProblem(i, str(oid) if oid else None, f"field id: {oid!r} is not '{kind}--<UUID>'")
    version = obj.get("spec_version", "2.1" if kind in SCO else None)
    if version != "2.1":
        return [], StixProblem(i, oid, f"field spec_version: {version!r}; only STIX 2.1 is read")
    try:
        parsed = stix2.parse(obj, allow_custom=True)
    except Exception as exc:  # stix2 raises many kinds; each names the field
        return [], StixProblem(i, oid, f"invalid {kind}: {exc}")
    return [StixSignal(i, oid, t, v) for t, v in _signals_of(kind, parsed)], None


def _signals_of(kind: str, o: Any) -> list[tuple[str, str]]:
    if kind == "url":
        return [("url", o["value"])]
    if kind == "phone-number":
        return [("phone", o["value"])]
    if kind == "x-crossingwatch-payment":
        return [("payment", o["value"])]  # reported by the importer: banks hold no payment details
    if kind == "user-account" and o.get("account_type") and o.get("account_login"):
        return [("handle", f"{o['account_type']}:{o['account_login']}")]
    if kind == "file":
        return [(_FILE_HASHES[h], v) for h, v in (o.get("hashes") or {}).items() if h in _FILE_HASHES]
    if kind == "indicator" and o.get("pattern_type") == "stix":
        for pattern, signal_type in _PATTERNS:
            m = pattern.match(o["pattern"])
            if m:
                return [(signal_type, m.group(1).replace("\\'", "'").replace("\\\\", "\\"))]
    return []
