"""`scan_posts`: assess a stream of input items and store posts, assessments and rejects, resumably.

Items are committed in batches, each batch with the run's position in one transaction, so a kill loses nothing
already stored; rerunning the same input with the same detector resumes after the last committed batch, taking
the stored predictions for the part already done so the output is complete and in input order.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from crossingwatch.core import Assessment, Event, Post, Reject
from crossingwatch.core.detectors import Detector
from crossingwatch.core.errors import InputError
from crossingwatch.sources import Item
from crossingwatch.store.protocols import ScanStore


@dataclass
class Flagged:
    post: Post
    prediction: dict[str, Any]
    score: float


@dataclass
class ScanSummary:
    run_id: int = 0
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    problems: int = 0
    skipped: int = 0
    resumed: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    top: list[Flagged] = field(default_factory=list)

    @property
    def flagged(self) -> int:
        return self.labels["advert"] + self.labels["seeking"]

    def counts(self) -> dict[str, int]:
        return {"read": self.read, "accepted": self.accepted, "rejected": self.rejected,
                "problems": self.problems, "skipped": self.skipped, "resumed": self.resumed,
                **{f"label_{k}": v for k, v in self.labels.items()}}


def scan_posts(
    items: Iterable[Item],
    detector: Detector,
    store: ScanStore,
    *,
    fingerprint: str,
    inputs: list[str],
    batch_size: int = 500,
    strict: bool = False,
    keep_top: int = 200,
    on_prediction: Callable[[dict[str, Any]], None] = lambda p: None,
    on_reject: Callable[[Reject], None] = lambda r: None,
    on_progress: Callable[[int], None] = lambda n: None,
    on_event: Callable[[Event], None] = lambda e: None,
    actor: str = "system",
) -> ScanSummary:
    started = time.perf_counter()
    summary = ScanSummary()
    run = store.find_resumable(fingerprint, detector.version)
    skip = run.position if run is not None else 0
    if run is None:
        run = store.start_run(fingerprint, detector.version, inputs)
    summary.run_id = run.id
    summary.resumed = skip
    on_event(Event("scan.started", actor, f"scan_run:{run.id}",
                   {"inputs": inputs, "detector": detector.version, "resume_from": skip}))
    top: list[tuple[float, int, Flagged]] = []
    pending: list[Item] = []
    pending_posts = 0
    position = 0

    def keep(post: Post, prediction: dict[str, Any]) -> None:
        summary.labels[prediction["label"]] += 1
        if prediction["label"] != "benign":
            score = round(1.0 - prediction["scores"]["benign"], 4)
            entry = (score, -summary.accepted, Flagged(post, prediction, score))
            (heapq.heappush if len(top) < keep_top else heapq.heappushpop)(top, entry)

    def flush(resumed: bool) -> None:
        nonlocal pending, pending_posts
        posts = [it.post for it in pending if it.post is not None]
        problems = [r for it in pending for r in it.problems]
        _count(summary, pending)  # a resumed part is counted too: the summary describes the whole input
        if resumed:
            stored = store.find_predictions([p.key for p in posts])
            predictions = []
            for p in posts:
                if p.key not in stored:  # stored run incomplete for this post: assess it now
                    stored[p.key] = detector.assess([p])[0].to_prediction()
                predictions.append(stored[p.key])
        else:
            assessments: list[Assessment] = detector.assess(posts)
            predictions = [a.to_prediction() for a in assessments]
            store.commit_batch(run.id, list(zip(posts, assessments, strict=True)),
                               [(it.source, it.line) for it in pending if it.post is not None], problems,
                               position, summary.counts(), predictions)
        for post, prediction in zip(posts, predictions, strict=True):
            summary.accepted += 1
            keep(post, prediction)
            on_prediction(prediction)
        for problem in problems:
            on_reject(problem)
        on_progress(len(pending))
        pending, pending_posts = [], 0

    for item in items:
        if strict and item.post is None and item.problems:
            flush(position <= skip)
            first = item.problems[0]
            raise InputError(first.message(), source=first.source, line=first.line, field=first.field)
        pending.append(item)
        position += 1
        summary.read += 1
        if item.post is not None:
            pending_posts += 1
        if pending_posts >= batch_size or (position == skip and skip):
            flush(position <= skip)
    if pending:
        flush(position <= skip)
    if position < skip:
        # The input is shorter than the run we resumed: it is not the same input after all.
        raise InputError(f"cannot resume scan run {run.id}: it had stored {skip} items but the input has {position}")
    store.finish_run(run.id, summary.counts())
    summary.seconds = time.perf_counter() - started
    summary.top = [f for _, _, f in sorted(top, key=lambda e: (-e[0], -e[1]))]
    on_event(Event("scan.completed", actor, f"scan_run:{run.id}", summary.counts()))
    return summary


def _count(summary: ScanSummary, items: list[Item]) -> None:
    for it in items:
        if it.post is None and it.problems:
            summary.rejected += 1
            summary.problems += sum(1 for r in it.problems[1:])
        elif it.post is None:
            summary.skipped += 1
        else:
            summary.problems += len(it.problems)
