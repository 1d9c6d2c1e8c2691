"""Cross-validated detector figures on the shipped training corpus (never on the dev set), for choosing settings.

Prints one JSON object: per setting, label errors and F1, benign false-positive rate and tactic micro-F1 over K
folds. `--mix 1.0 0.3` sets the flat layer's share of the label scores (1.0: the flat layer alone, no topic-scoped
layers; see `LABEL_MIX` in `detect/training.py`), so a run can measure the scoped layers against the flat model.
Usage: python benchmarks/detector_cv.py [--folds 5] [--C 2 8] [--mix 1.0 0.3]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from crossingwatch.detect.training import LABEL_MIX
from crossingwatch.resources import load_resources
from crossingwatch.services.evaluating import score
from crossingwatch.services.training import cross_validate, load_labelled

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--C", type=float, nargs="+", default=[16.0])
    ap.add_argument("--mix", type=float, nargs="+", default=[LABEL_MIX])
    args = ap.parse_args()
    examples, _ = load_labelled(sorted((ROOT / "data" / "corpus").glob("*.jsonl")))
    resources = load_resources(ROOT / "data")
    out = {}
    for c in args.C:
        for mix in args.mix:
            gold, predicted = cross_validate(examples, resources, folds=args.folds, C=c, mix=mix)
            m = score(gold, predicted)
            out[f"C={c} mix={mix}"] = {
                "label_errors": sum(g.label != p.label for g, p in zip(gold, predicted, strict=True)),
                "advert_f1": m["labels"]["advert"]["f1"], "seeking_f1": m["labels"]["seeking"]["f1"],
                "benign_fpr": m["benign_false_positive_rate"], "tactics_micro_f1": m["tactics_micro"]["f1"],
                "tactics": {t: v["f1"] for t, v in m["tactics"].items()}}
    print(json.dumps({"benchmark": "detector_cv", "folds": args.folds, "n": len(examples), "results": out}))


if __name__ == "__main__":
    main()
