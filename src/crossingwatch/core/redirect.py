"""Safety messages for people searching for a crossing: the catalogue's nouns and how a message is chosen.

A `Catalogue` holds, per language, `Message`s (title, short body, specific facts, one main action, an escape
label, the resources and testimonies to offer) and the `Resource`s they point to (helplines, organisations,
testimonies; each with its source URL and the date it was last verified, or marked as a placeholder that an
operator must fill with a local number). `parse_catalogue()` checks the plain data read from `data/redirect/`
(names the file and field of every problem); `Catalogue.choose()` picks a message by language (falling back to
English), route and topic. Reading the files is `services/redirecting.py`'s job; this module is standard library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crossingwatch.core.errors import ConfigError

ROUTES = ("channel", "central_med", "balkans", "us_mexico")
TOPICS = ("crossing", "documents")
RESOURCE_KINDS = ("helpline", "organisation", "information", "testimony")
FALLBACK_LANG = "en"
PLACEHOLDER = re.compile(r"\{\{[A-Z_]+\}\}")  # e.g. {{LOCAL_HELPLINE}}: an operator must supply it
_MARKUP = re.compile(r"<[a-zA-Z/!]|&[a-zA-Z#][a-zA-Z0-9]*;|javascript:", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    kind: str
    name: str
    url: str
    source: str  # where the details were taken from
    last_verified: str  # YYYY-MM-DD
    phone: str = ""  # a number, or a {{PLACEHOLDER}} an operator must replace
    note: str = ""

    @property
    def placeholder(self) -> bool:
        return bool(PLACEHOLDER.search(self.phone) or PLACEHOLDER.search(self.url))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "name": self.name, "url": self.url, "phone": self.phone,
                "source": self.source, "last_verified": self.last_verified, "placeholder": self.placeholder,
                "note": self.note}


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    lang: str
    route: str  # one of ROUTES, or "any"
    topic: str  # one of TOPICS, or "any"
    title: str
    body: str
    action_label: str
    action_url: str
    escape: str
    facts: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()
    review: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain text fields only: a platform renders them as text (they are data, never HTML)."""
        return {"id": self.id, "lang": self.lang, "route": self.route, "topic": self.topic, "title": self.title,
                "body": self.body, "facts": list(self.facts),
                "action": {"label": self.action_label, "url": self.action_url}, "escape": self.escape,
                "resources": [r.to_dict() for r in self.resources if r.kind != "testimony"],
                "testimonies": [r.to_dict() for r in self.resources if r.kind == "testimony"],
                "review": dict(self.review)}


@dataclass(frozen=True)
class Catalogue:
    messages: Mapping[str, Sequence[Message]]  # by language

    @property
    def languages(self) -> list[str]:
        return sorted(self.messages)

    def choose(self, lang: str, route: str = "", topic: str = "crossing") -> Message:
        """The best message in `lang` (else English) for the route and topic: a message for this route and
        topic, then this topic on any route, then this route on any topic, then the language's general one."""
        for code in (lang, FALLBACK_LANG):
            candidates = self.messages.get(code, ())
            for want_route, want_topic in ((route, topic), ("any", topic), (route, "any"), ("any", "any")):
                for m in candidates:
                    if m.route == want_route and m.topic == want_topic:
                        return m
        raise ConfigError(f"data/redirect: no general message (route 'any') for {lang!r} or {FALLBACK_LANG!r}")

    def get(self, message_id: str) -> Message | None:
        return next((m for ms in self.messages.values() for m in ms if m.id == message_id), None)


def _text(record: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
    value = record.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ConfigError(f"{where}: field {key!r} must be a non-empty string")
    if _MARKUP.search(value):
        raise ConfigError(f"{where}: field {key!r} holds markup ({_MARKUP.search(value).group(0)!r}); message "  # type: ignore[union-attr]
                          "text is plain text that platforms display as such")
    return value.strip()


def parse_resources(rows: Sequence[Mapping[str, Any]], where: str) -> dict[str, Resource]:
    out: dict[str, Resource] = {}
    for i, row in enumerate(rows):
        at = f"{where}: resources[{i}]"
        rid = _text(row, "id", at)
        kind = _text(row, "kind", at)
        if kind not in RESOURCE_KINDS:
            raise ConfigError(f"{at} ({rid}): field 'kind': {kind!r} is not one of {', '.join(RESOURCE_KINDS)}")
        verified = _text(row, "last_verified", at)
        if not _DATE.match(verified):
            raise ConfigError(f"{at} ({rid}): field 'last_verified': {verified!r} is not a YYYY-MM-DD date")
        url, source = _text(row, "url", at), _text(row, "source", at)
        for key, value in (("url", url), ("source", source)):
            if not (value.startswith("https://") or PLACEHOLDER.fullmatch(value)):
                raise ConfigError(f"{at} ({rid}): field {key!r}: {value!r} is not an https:// URL")
        out[rid] = Resource(rid, kind, _text(row, "name", at), url, source, verified,
                            _text(row, "phone", at, required=False), _text(row, "note", at, required=False))
    return out


def parse_messages(data: Mapping[str, Any], resources: Mapping[str, Resource], where: str) -> list[Message]:
    """One language file: `lang`, `escape`, `review` and `[[messages]]`."""
    lang = _text(data, "lang", where)
    escape = _text(data, "escape", where)
    review = {str(k): str(v) for k, v in dict(data.get("review", {})).items()}
    messages: list[Message] = []
    for i, m in enumerate(data.get("messages", [])):
        at = f"{where}: messages[{i}]"
        mid = _text(m, "id", at)
        route, topic = m.get("route", "any"), m.get("topic", "any")
        if route not in (*ROUTES, "any"):
            raise ConfigError(f"{at} ({mid}): field 'route': {route!r} is not one of {', '.join(ROUTES)} or 'any'")
        if topic not in (*TOPICS, "any"):
            raise ConfigError(f"{at} ({mid}): field 'topic': {topic!r} is not one of {', '.join(TOPICS)} or 'any'")
        action = m.get("action", {})
        unknown = [r for r in m.get("resources", []) if r not in resources]
        if unknown:
            raise ConfigError(f"{at} ({mid}): field 'resources': unknown id(s) {unknown}; see resources.toml")
        facts = tuple(_text({"fact": f}, "fact", f"{at} ({mid}) facts") for f in m.get("facts", []))
        messages.append(Message(
            mid, lang, route, topic, _text(m, "title", at), _text(m, "body", at), _text(action, "label", at),
            _text(action, "url", at), _text(m, "escape", at, required=False) or escape, facts,
            tuple(resources[r] for r in m.get("resources", [])), review))
    if not any(m.route == "any" and m.topic == "any" for m in messages):
        raise ConfigError(f"{where}: needs a general message (route = \"any\", topic = \"any\")")
    return messages
