"""Evidence spans → pieces of the original text to render, each with the tactics that cover it.

Spans may overlap (a place inside a payment phrase), so the text is cut at every span boundary and each piece
carries every tactic whose span covers it; the template marks a piece when it has any. Offsets are code points into
the original text, as the formats spec says, so the pieces concatenate back to the text exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def pieces(text: str, evidence: Iterable[Mapping[str, Any]], source: str = "text") -> list[tuple[str, tuple[str, ...]]]:
    spans = [(int(e["start"]), int(e["end"]), str(e["tactic"])) for e in evidence
             if e.get("source", "text") == source and 0 <= int(e["start"]) < int(e["end"]) <= len(text)]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = tuple(sorted({t for s, e, t in spans if s <= a and b <= e}))
        out.append((text[a:b], covering))
    return out
