"""Campaign clustering at scale: MinHash LSH (`detect/campaigns.py`) against an exact-duplicate baseline.

Generates N posts: campaigns of 2–500 copies (sizes log-uniform) of an advert template in one of several scripts
(Latin, Arabic, Ge'ez, Vietnamese-accented Latin, Cyrillic), each copy with its own phone, price and date, and edits
(words substituted, dropped and inserted, case changed, emoji and punctuation added); plus singletons written from
the same vocabulary, half of them (and 30% of the campaign templates) carrying one of 40 shared stock phrases (a
helpline, "DM for price") so that unrelated posts overlap. Pairwise precision and recall are counted against
the generated campaign of each post.

Measured in the same run, on the same posts:
  - ours: signatures (k MinHash values) in batches, then LSH banding, verification and connected components;
  - baseline: exact duplicates of the normalised text (digits collapsed), grouped by hash.
Prints one JSON object. Usage: python benchmarks/cluster.py [--n 1000000] [--seed 7] [--batch 50000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time

import numpy as np

from crossingwatch.detect.campaigns import LshParams, cluster, normalise_batch, signatures

SCRIPTS = {
    "latin": "b c d f g h j k l m n p r s t v z".split(), "arabic": list("بتثجحخدذرزسشصضطظعغفقكلمنهوي"),
    "geez": list("ሀለሐመሠረሰሸቀበቨተቸኀነኘአከኸወዐዘዠየደጀገጠጨጰጸፀፈፐ"), "cyrillic": list("бвгдзклмнпрстфхцчшщ"),
    "viet": "b c d đ g h k l m n p q r s t v x".split(),
}
VOWELS = {"latin": list("aeiou"), "arabic": ["ا", "و", "ي", ""], "geez": [""], "cyrillic": list("аеиоуя"),
          "viet": list("aăâeêioôơuưy")}
EMOJI = ["🚤", "🇬🇧", "✅", "📞", "💶", "🔥", "‼️", "👉"]


def vocabulary(rng: np.random.Generator, script: str, size: int) -> list[str]:
    cons, vows = SCRIPTS[script], VOWELS[script]
    words = set()
    while len(words) < size:
        n = int(rng.integers(1, 4))
        words.add("".join(cons[rng.integers(len(cons))] + vows[rng.integers(len(vows))] for _ in range(n)))
    return sorted(words)


def generate(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Texts and their true campaign (singletons get their own label)."""
    rng = np.random.default_rng(seed)
    vocab = {s: vocabulary(rng, s, 3000) for s in SCRIPTS}
    scripts = list(SCRIPTS)
    stock = [" ".join(vocab["latin"][i] for i in rng.integers(0, 3000, 6)) for _ in range(40)]
    texts: list[str] = []
    truth: list[int] = []
    label = 0
    while len(texts) < n // 2:  # half the posts are in campaigns
        size = min(int(np.exp(rng.uniform(np.log(2), np.log(500)))), n // 2 - len(texts))
        words = vocab[scripts[rng.integers(len(scripts))]]
        template = [words[i] for i in rng.integers(0, len(words), int(rng.integers(15, 50)))]
        if rng.random() < 0.3:  # unrelated campaigns that open with the same stock phrase: near, not copies
            template = stock[rng.integers(len(stock))].split() + template
        slots = sorted(rng.choice(len(template), 3, replace=False))
        for _ in range(max(size, 1)):
            out = []
            for pos, w in enumerate(template):
                r = rng.random()
                if r < 0.05:
                    continue  # dropped
                out.append(words[rng.integers(len(words))] if r < 0.12 else w.upper() if r < 0.14 else w)
                if rng.random() < 0.04:
                    out.append(words[rng.integers(len(words))])  # inserted
                if pos == slots[0]:
                    out.append(f"+44 7{rng.integers(100, 999)} {rng.integers(100000, 999999)}")
                elif pos == slots[1]:
                    out.append(f"{rng.integers(5, 40) * 100} €")
                elif pos == slots[2]:
                    out.append(f"{rng.integers(1, 28)}/{rng.integers(1, 12)}")
                if rng.random() < 0.03:
                    out.append(EMOJI[rng.integers(len(EMOJI))] + "!")
            texts.append(" ".join(out))
            truth.append(label)
        label += 1
    while len(texts) < n:
        words = vocab[scripts[rng.integers(len(scripts))]]
        body = " ".join(words[i] for i in rng.integers(0, len(words), int(rng.integers(10, 50))))
        if rng.random() < 0.5:
            body += " " + stock[rng.integers(len(stock))]
        texts.append(body)
        truth.append(label)
        label += 1
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.asarray(truth, dtype=np.int64)[order]


def pairwise(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pairwise precision and recall: of the pairs put together, how many belong together, and the reverse."""
    def pairs(labels: np.ndarray) -> int:
        _, counts = np.unique(labels, return_counts=True)
        return int((counts.astype(np.int64) * (counts - 1) // 2).sum())

    pred = pred.copy()
    lone = pred < 0
    pred[lone] = -1 - np.flatnonzero(lone)  # an unclustered text is a group of its own
    joint = pred.astype(np.int64) * (int(truth.max()) + 1) + truth
    tp, pp, tt = pairs(joint), pairs(pred), pairs(truth)
    return {"precision": round(tp / pp, 4) if pp else 1.0, "recall": round(tp / tt, 4) if tt else 1.0,
            "pairs_predicted": pp, "pairs_true": tt}


def baseline(texts: list[str], batch: int) -> np.ndarray:
    keys: dict[str, int] = {}
    out = np.empty(len(texts), dtype=np.int64)
    for s in range(0, len(texts), batch):
        for i, t in enumerate(normalise_batch(texts[s:s + batch]).split("\x1f")):
            key = hashlib.blake2b(" ".join(t.split()).encode("utf-8"), digest_size=8).hexdigest()
            out[s + i] = keys.setdefault(key, s + i)
    return out


def peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--batch", type=int, default=50_000)
    args = ap.parse_args()
    params = LshParams()
    t0 = time.perf_counter()
    texts, truth = generate(args.n, args.seed)
    generated = time.perf_counter() - t0
    mem_generated = peak_mib()

    t0 = time.perf_counter()
    base = baseline(texts, args.batch)
    base_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    parts = [signatures(texts[s:s + args.batch], params) for s in range(0, len(texts), args.batch)]
    sig = np.concatenate([p[0] for p in parts])
    ok = np.concatenate([p[1] for p in parts])
    del parts
    signed = time.perf_counter() - t0
    labels = cluster(sig, ok, params)
    total = time.perf_counter() - t0
    _, sizes = np.unique(labels[labels >= 0], return_counts=True)
    print(json.dumps({
        "benchmark": "cluster", "posts": args.n, "campaign_posts": int((np.bincount(truth) > 1)[truth].sum()),
        "true_campaigns": int((np.bincount(truth) > 1).sum()), "cpu_count": __import__("os").cpu_count(),
        "params": {"k": params.k, "bands": params.bands, "rows": params.rows, "threshold": params.threshold,
                   "shingle": "character 5-grams"},
        "generate_seconds": round(generated, 1),
        "ours": {"seconds": round(total, 1), "signature_seconds": round(signed, 1),
                 "lsh_seconds": round(total - signed, 1), "posts_per_second": round(args.n / total),
                 "campaigns_found": int((sizes > 1).sum()), **pairwise(labels, truth),
                 "signature_mib": round(sig.nbytes / 2**20, 1)},
        "baseline_exact_duplicates": {"seconds": round(base_s, 1), **pairwise(base, truth)},
        "peak_rss_mib": peak_mib(), "peak_rss_mib_after_generation": mem_generated,
        "python": sys.version.split()[0],
    }))


if __name__ == "__main__":
    main()
