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

    def to_dict(self) -> dict[str, Any]:
        return {
            "phones": list(self.phones),
            "handles": list(self.handles),
            "links": list(self.links),
            "prices": [p.to_dict() for p in self.prices],
            "places": list(self.places),
        }


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
        return {
            "id": self.post_id,
            "label": self.label,
            "scores": {k: round(self.scores.get(k, 0.0), 4) for k in LABELS},
            "tactics": list(self.tactics),
            "lang": self.lang,
            "evidence": [e.to_dict() for e in self.evidence],
            "indicators": self.indicators.to_dict(),
            "matches": list(self.matches),
        } | ({"media_text": [{"source": src, "text": txt} for src, txt in self.media_text]} if self.media_text else {})
