"""`train_model`: labelled JSON Lines in, a saved model directory out (with its evaluation on a held-back part)."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crossingwatch.core import LABELS, TACTICS, Post, Reject
from crossingwatch.detect.augment import augment
from crossingwatch.detect.model import TextModel
from crossingwatch.detect.pipeline import Resources, TextAnalyser
from crossingwatch.detect.training import fit_text_model


@dataclass(frozen=True)
class Example:
    post: Post
    label: str
    tactics: tuple[str, ...]
    lang: str
    kind: str | None = None
    augmented: bool = False


def load_labelled(paths: Sequence[str | Path]) -> tuple[list[Example], list[Reject]]:
    """Read labelled posts (post format + `label`, `tactics`); bad records come back as rejects, named."""
    examples: list[Example] = []
    rejects: list[Reject] = []
    for path in paths:
        with open(path, "rb") as f:
            for number, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                where = (str(path), number)

                def bad(field: str, reason: str, where: tuple[str, int] = where, raw: bytes = raw) -> None:
                    rejects.append(Reject(where[0], where[1], field, reason, raw.decode("utf-8", "replace")))

                try:
                    r = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    bad("(line)", f"not a JSON object in UTF-8: {exc}")
                    continue
                if not isinstance(r, dict) or not isinstance(r.get("text"), str) or not r.get("id"):
                    bad("id/text", "a labelled post needs an 'id' and a 'text' string")
                    continue
                if r.get("label") not in LABELS:
                    bad("label", f"{r.get('label')!r} is not one of {', '.join(LABELS)}")
                    continue
                tactics = r.get("tactics") or []
                if not isinstance(tactics, list) or set(tactics) - set(TACTICS):
                    bad("tactics", f"unknown tactic(s) {sorted(set(tactics) - set(TACTICS))}")
                    continue
                post = Post(id=str(r["id"]), text=r["text"], platform=r.get("platform") or "corpus",
                            lang_hint=r.get("lang"))
                examples.append(Example(post, r["label"], tuple(tactics), r.get("lang") or "und", r.get("kind"),
                                        bool(r.get("augmented"))))
    return examples, rejects


def augmented_copies(examples: Sequence[Example], seed: int = 13, share: float = 0.6) -> list[Example]:
    """One evasive copy for `share` of the posts (all labels, so evasions alone never mean 'advert')."""
    rng = random.Random(seed)
    out = []
    for ex in examples:
        if ex.augmented or rng.random() > share:
            continue
        text, used = augment(ex.post.text, rng)
        if text != ex.post.text:
            post = Post(id=f"{ex.post.id}~aug", text=text, platform=ex.post.platform, lang_hint=ex.lang)
            out.append(Example(post, ex.label, ex.tactics, ex.lang, ex.kind, augmented=True))
    return out


def train_model(examples: Sequence[Example], resources: Resources, out: Path, *, augment_share: float = 0.6,
                seed: int = 13, extra_info: dict[str, Any] | None = None) -> TextModel:
    hand = [e for e in examples if not e.augmented]
    data = list(examples) + augmented_copies(hand, seed, augment_share)
    analyser = TextAnalyser(resources)
    analyses: list = []
    for i in range(0, len(data), 1000):
        chunk = data[i:i + 1000]
        analyses += analyser.analyse_many([e.post.text for e in chunk], [None] * len(chunk),
                                          [e.lang for e in chunk])[0]
    info = {
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "examples": len(hand),
        "augmented": len(data) - len(hand),
        "labels": dict(Counter(e.label for e in hand)),
        "languages": dict(sorted(Counter(e.lang for e in hand).items())),
        "lexicons": resources.version,
        **(extra_info or {}),
    }
    model = fit_text_model(analyses, [e.label for e in data], [e.tactics for e in data], [e.lang for e in data],
                           seed=seed, info=info)
    model.save(out)
    return model
