"""`crossingwatch scan`: assess posts from files, store them, write predictions, a report and rejects."""

from __future__ import annotations

import hashlib
import sys
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from crossingwatch.cli.app import DbOption, ModelOption, app, err, runtime_for
from crossingwatch.core import Reject
from crossingwatch.core.detectors import Detector
from crossingwatch.jsontext import dumps
from crossingwatch.runtime import Runtime, settle_for_bulk_work
from crossingwatch.services.banking import Matcher
from crossingwatch.services.media_scanning import MediaAwareDetector, StoreOcrCache
from crossingwatch.services.reporting import render_report
from crossingwatch.services.scanning import ScanSummary, scan_posts
from crossingwatch.sources import Limits, read_inputs


def fingerprint(paths: list[str]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        if path == "-":
            return f"stdin-{uuid.uuid4()}"  # standard input cannot be read twice, so it never resumes
        digest.update(str(Path(path).resolve()).encode())
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def json_line(obj: Any) -> str:
    return dumps(obj) + "\n"


def _open(path: str, stack: ExitStack) -> IO[str]:
    if path == "-":
        return sys.stdout
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return stack.enter_context(open(path, "w", encoding="utf-8", errors="backslashreplace"))


def _count_lines(paths: list[str]) -> int | None:
    total = 0
    for p in paths:
        if p == "-" or not Path(p).is_file() or p.endswith(".json"):
            return None
        with open(p, "rb") as f:
            total += sum(1 for line in f if line.strip())
    return total


@app.command()
def scan(
    inputs: Annotated[list[str], typer.Argument(help="JSON Lines, CSV or Telegram result.json files; - is stdin.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Predictions (JSON Lines); - is stdout.")] = "-",
    db: DbOption = None,
    report: Annotated[str | None, typer.Option(help="Write an HTML report of the flagged posts here.")] = None,
    rejects: Annotated[str | None, typer.Option(help="Write rejected records (JSON Lines) here.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad record.")] = False,
    batch_size: Annotated[int | None, typer.Option(help="Posts per stored batch.")] = None,
    model_dir: ModelOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Assess posts for smuggling adverts and seeking posts; store them; print the flagged ones, ranked.

    Writes one prediction per accepted post, in input order (shared/spec/formats.md). Records that cannot be read
    are reported with file, line and field, kept in the database and in --rejects, and counted. Scanning the same
    input again stores no duplicates; an interrupted scan resumes where it stopped.
    """
    runtime = runtime_for(db, model_dir)
    settings = runtime.settings
    text_detector = runtime.detector("text")
    store = runtime.store()
    settle_for_bulk_work()
    shown: list[Reject] = []
    table_out = Console(stderr=output == "-")
    with ExitStack() as stack:
        out = _open(output, stack)
        rej = _open(rejects, stack) if rejects else None

        def on_reject(r: Reject) -> None:
            if rej is not None:
                rej.write(json_line(r.to_dict()))
            if len(shown) < 10 and not quiet:
                err.print(f"[yellow]{'rejected' if r.action == 'rejected' else 'warning'}[/] {r.message()}",
                          highlight=False, markup=True, soft_wrap=True)
            shown.append(r)

        def on_media_problem(r: Reject) -> None:
            store.add_rejects([r], None)
            on_reject(r)

        detector = with_media(runtime, text_detector, on_media_problem)
        progress = Progress(SpinnerColumn(), TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=err, disable=quiet, transient=False)
        with progress:
            task = progress.add_task("scan", total=_count_lines(inputs))
            items = read_inputs(inputs, runtime.sources(), Limits(settings.max_text_chars), sys.stdin.buffer)
            summary = scan_posts(
                items, detector, store, fingerprint=fingerprint(inputs), inputs=inputs,
                batch_size=batch_size or settings.batch_size, strict=strict, keep_top=settings.report_limit,
                on_prediction=lambda p: out.write(json_line(p)), on_reject=on_reject,
                on_progress=lambda n: progress.advance(task, n), on_event=runtime.track, actor="cli",
            )
            out.flush()
    if report:
        Path(report).parent.mkdir(parents=True, exist_ok=True)
        Path(report).write_text(render_report(summary, inputs, detector.version), "utf-8")
    if not quiet:
        print_table(summary, table_out)
    _print_summary(summary, rejects, report)
    runtime.close()


def with_media(runtime: Runtime, text: Detector, on_problem: Callable[[Reject], None]) -> MediaAwareDetector:
    """The text detector plus media: hashes matched against the banks, and OCR when Tesseract is installed."""
    from crossingwatch.media.ocr import Ocr, OcrUnavailable

    store = runtime.store()
    matcher = Matcher(store, runtime.index_dir()) if store.list_banks() else None
    ocr: Ocr | None = Ocr(cache=StoreOcrCache(store)) if runtime.settings.ocr else None
    try:
        if ocr is not None:
            ocr.available_languages  # noqa: B018  (checks that tesseract runs)
    except OcrUnavailable as exc:
        err.print(f"[yellow]warning[/] {exc}; images are hashed and matched but not read", highlight=False)
        ocr = None
    return MediaAwareDetector(text, list(runtime.signal_types().values()), matcher, ocr, on_problem)


def print_table(summary: ScanSummary, console: Console, limit: int = 25) -> None:
    table = Table(title=f"Flagged posts (top {min(limit, len(summary.top))} of {summary.flagged})", show_lines=False)
    for name, kw in (("#", {"justify": "right"}), ("label", {}), ("score", {"justify": "right"}), ("lang", {}),
                     ("id", {}), ("tactics", {}), ("evidence", {"overflow": "fold"})):
        table.add_column(name, **kw)  # type: ignore[arg-type]
    for i, f in enumerate(summary.top[:limit], start=1):
        p = f.prediction
        snippet = " | ".join(f"{e['text']}" for e in p["evidence"][:3]) or f.post.text[:60]
        table.add_row(str(i), p["label"], f"{f.score:.2f}", p["lang"], f.post.id, ", ".join(p["tactics"]),
                      snippet.replace("\n", " ")[:90])
    console.print(table)


def _print_summary(s: ScanSummary, rejects: str | None, report: str | None) -> None:
    rate = s.accepted / s.seconds if s.seconds else 0.0
    err.print(
        f"{s.read} records: {s.accepted} assessed, {s.rejected} rejected, {s.problems} warnings, {s.skipped} skipped; "
        f"flagged {s.flagged} (advert {s.labels['advert']}, seeking {s.labels['seeking']}) "
        f"in {s.seconds:.1f}s ({rate:.0f} posts/s)"
        + (f"; resumed after {s.resumed} stored items" if s.resumed else "")
        + (f"; rejects in {rejects}" if rejects and (s.rejected or s.problems) else "")
        + (f"; report {report}" if report else ""), highlight=False)
