"""Merge the per-language sample posts (data/samples/parts/*.jsonl) into data/samples/posts.jsonl.

Interleaves languages so the demo's first screen shows several, and checks each record against the post format.
Run it after editing a part: `python scripts/build_samples.py`.
"""

from __future__ import annotations

import json
from itertools import zip_longest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "data" / "samples"


def main() -> None:
    parts = []
    for path in sorted((ROOT / "parts").glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        for r in rows:
            assert r.get("id") and (r.get("text") or r.get("media")), f"{path}: {r.get('id')} lacks id or text"
        parts.append(rows)
    merged = [r for group in zip_longest(*parts) for r in group if r is not None]
    ids = [(r.get("platform"), r["id"]) for r in merged]
    assert len(ids) == len(set(ids)), "duplicate sample ids"
    (ROOT / "posts.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in merged), "utf-8")
    print(f"{len(merged)} sample posts from {len(parts)} languages")


if __name__ == "__main__":
    main()
