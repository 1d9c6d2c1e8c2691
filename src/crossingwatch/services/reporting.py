"""Reports of a scan: the HTML report (Jinja2) with evidence highlighted by tactic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from crossingwatch.services.scanning import Flagged, ScanSummary

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Segment:
    text: str
    tactics: tuple[str, ...]


def segments(text: str, evidence: list[dict[str, Any]]) -> list[Segment]:
    """Split a text into runs, each with the tactics whose evidence covers it (for highlighting)."""
    cuts = {0, len(text)}
    for e in evidence:
        if e.get("source", "text") == "text":
            cuts.update((max(0, e["start"]), min(len(text), e["end"])))
    bounds = sorted(cuts)
    out: list[Segment] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a == b:
            continue
        tactics = tuple(sorted({e["tactic"] for e in evidence
                                if e.get("source", "text") == "text" and e["start"] <= a and b <= e["end"]}))
        out.append(Segment(text[a:b], tactics))
    return out


def render_report(summary: ScanSummary, inputs: list[str], detector: str, flagged: list[Flagged] | None = None) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    rows = []
    for f in flagged if flagged is not None else summary.top:
        p = f.prediction
        rows.append({"post": f.post, "p": p, "score": f.score, "segments": segments(f.post.text, p["evidence"])})
    return env.get_template("report.html").render(
        summary=summary, rows=rows, inputs=inputs, detector=detector,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
