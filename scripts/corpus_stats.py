"""Counts for the data card: posts per language, label, kind, tactic and evasion in data/corpus/*.jsonl."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "data" / "corpus"
PLAIN = {"other_benign"}


def main() -> None:
    rows = [json.loads(line) for f in sorted(ROOT.glob("*.jsonl")) for line in f.read_text("utf-8").splitlines()
            if line.strip()]
    labels = Counter(r["label"] for r in rows)
    benign = [r for r in rows if r["label"] == "benign"]
    hard = sum(1 for r in benign if r.get("kind") not in PLAIN)
    print(f"posts: {len(rows)}; languages: {len({r['lang'] for r in rows})}")
    print("labels:", dict(labels))
    print(f"hard negatives: {hard} ({hard / len(rows):.0%} of all posts, {hard / max(1, len(benign)):.0%} of benign)")
    print("per language:", dict(sorted(Counter(r["lang"] for r in rows).items())))
    print("benign kinds:", dict(Counter(r.get("kind") for r in benign).most_common()))
    print("tactics:", dict(Counter(t for r in rows for t in r.get("tactics", [])).most_common()))
    print("evasions:", dict(Counter(o for r in rows for o in r.get("obfuscation", [])).most_common()))
    print("routes:", dict(Counter(r.get("route") for r in rows).most_common()))


if __name__ == "__main__":
    main()
