"""What a detector concludes about a post: label, scores, tactics with evidence spans, indicators.

`Assessment.to_prediction()` is the prediction format of `shared/spec/formats.md`, a contract other tools rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LABELS: tuple[str, ...] = ("advert", "seeking", "benign")
TACTICS: tuple[str, ...] = (
    "group_discount",
    "child_free",
    "false_documents",
    "safe_passage_claim",
    "price",
    "contact",
    "departure",
    "payment_guarantee",
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the original text (`text[start:end] == self.text`) that supports a tactic."""

    tactic: str
    start: int
    end: int
    text: str
    source: str = "text"

    def to_dict(self) -> dict[str, Any]:
        return {"tactic": self.tactic, "start": self.start, "end": self.end, "text": self.text,
                "source": self.source}


@dataclass(frozen=True, slots=True)
class Price:
    amount: float
    currency: str | None

    def to_dict(self) -> dict[str, Any]:
        amount: float | int = int(self.amount) if float(self.amount).is_integer() else self.amount
        return {"amount": amount, "currency": self.currency}


@dataclass(frozen=True, slots=True)
class Indicators:
    phones: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    prices: tuple[Price, ...] = ()
    places: tuple[str, ...] = ()
    payments: tuple[str, ...] = ()  # "iban:…", "btc:…", "eth:0x…", "trx:T…", "card:<last 4>:<sha256>"

    def to_dict(self) -> dict[str, Any]:
        # `payments` only when there are some: predictions without them stay as the spec's example shows them.
        return {
            "phones": list(self.phones),
            "handles": list(self.handles),
            "links": list(self.links),
            "prices": [p.to_dict() for p in self.prices],
            "places": list(self.places),
        } | ({"payments": list(self.payments)} if self.payments else {})


@dataclass(frozen=True, slots=True)
class Assessment:
    post_id: str
    label: str
    scores: dict[str, float]
    tactics: tuple[str, ...] = ()
    lang: str = "und"
    evidence: tuple[Evidence, ...] = ()
    indicators: Indicators = field(default_factory=Indicators)
    matches: tuple[dict[str, Any], ...] = ()
    detector: str = ""
    media_text: tuple[tuple[str, str], ...] = ()  # (source "image:N", text read from it): image evidence indexes it
    # (source "image:N", signal type, value, PDQ quality or None): every hash of the post's media, matched or not
    media_signals: tuple[tuple[str, str, str, int | None], ...] = ()

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ValueError(f"unknown label {self.label!r}; expected one of {LABELS}")
        unknown = set(self.tactics) - set(TACTICS)
        if unknown:
            raise ValueError(f"unknown tactics {sorted(unknown)}")

    @property
    def flagged(self) -> bool:
        return self.label != "benign" or bool(self.matches)

    @property
    def score(self) -> float:
        """The ranking score: the probability that the post is not benign."""
        return round(1.0 - self.scores.get("benign", 0.0), 4)

    def to_prediction(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.post_id,
            "label": self.label,
            "scores": {k: round(self.scores.get(k, 0.0), 4) for k in LABELS},
            "tactics": list(self.tactics),
            "lang": self.lang,
            "evidence": [e.to_dict() for e in self.evidence],
            "indicators": self.indicators.to_dict(),
            "matches": list(self.matches),
        }
        # Keys for media only when a post has some, so text-only predictions stay as the spec shows them.
        if self.media_text:
            out["media_text"] = [{"source": src, "text": txt} for src, txt in self.media_text]
        if self.media_signals:
            out["media_signals"] = [_signal_dict(*s) for s in self.media_signals]
        return out


def _signal_dict(source: str, kind: str, value: str, quality: int | None) -> dict[str, Any]:
    return {"source": source, "type": kind, "value": value} | ({"quality": quality} if quality is not None else {})
