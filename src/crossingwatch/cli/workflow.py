"""`crossingwatch cases …`, `referral …`, `recheck`, `report`, `evidence export`, `audit verify`: from a flag to a
verified removal, with the evidence and the numbers."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crossingwatch.cli.app import DbOption, app, err, read_text_file, runtime_for
from crossingwatch.core.errors import InputError
from crossingwatch.runtime import Runtime
from crossingwatch.services import metrics, referring, reviewing
from crossingwatch.services.evidence import EvidenceVault

cases_app = typer.Typer(help="The review queue: cases of near-identical flagged posts, and decisions.",
                        no_args_is_help=True)
referral_app = typer.Typer(help="Notices to platforms and the status of each referred item.", no_args_is_help=True)
evidence_app = typer.Typer(help="Preserved evidence.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(cases_app, name="cases")
app.add_typer(referral_app, name="referral")
app.add_typer(evidence_app, name="evidence")
app.add_typer(audit_app, name="audit")

ActorOption = Annotated[str, typer.Option("--actor", help="Who does this (kept in the audit log).")]


def _vault(runtime: Runtime) -> EvidenceVault:
    return EvidenceVault(runtime.evidence_dir(), runtime.store())


def _laws(runtime: Runtime) -> referring.Jurisdictions:
    return referring.Jurisdictions.load(Path(runtime.settings.data_dir) / "legal" / "jurisdictions.toml")


def _write(text: str, output: str) -> None:
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, "utf-8")


@cases_app.command("open")
def cases_open(actor: ActorOption = "system", db: DbOption = None) -> None:
    """Put every flagged post that is not in a case yet into its copies' case (or a new one); preserve evidence."""
    runtime = runtime_for(db)
    routes = {place.name: place.route for _, place in runtime.resources.places}
    opened = reviewing.open_cases(runtime.store(), actor=actor, track=runtime.track, preserve=_vault(runtime).preserve,
                                  routes=routes)
    err.print(f"{opened.posts} posts into {opened.cases} cases ({opened.new} new)", highlight=False)


@cases_app.command("list")
def cases_list(state: Annotated[list[str] | None, typer.Option("--state", help="open, confirmed, dismissed, "
                                                                               "need_info, escalated.")] = None,
               lang: Annotated[str | None, typer.Option(help="Only this language.")] = None,
               platform: Annotated[str | None, typer.Option(help="Only cases with a post on this platform.")] = None,
               tactic: Annotated[str | None, typer.Option(help="Only cases showing this tactic.")] = None,
               min_score: Annotated[float | None, typer.Option(help="Only cases scored at least this.")] = None,
               limit: int = 50, offset: int = 0, as_json: Annotated[bool, typer.Option("--json")] = False,
               db: DbOption = None) -> None:
    """The review queue (open cases, most urgent first), or cases in other states."""
    store = runtime_for(db).store()
    found = store.list_cases(state or ["open", "need_info", "escalated"], lang=lang, platform=platform, tactic=tactic,
                             min_score=min_score, limit=limit, offset=offset)
    if as_json:
        for c in found:
            typer.echo(json.dumps({"id": c.id, "state": c.state, "priority": c.priority, "score": c.score,
                                   "label": c.label, "lang": c.lang, "tactics": list(c.tactics), "version": c.version,
                                   "posts": [f"{p}/{i}" for p, i in c.posts]}, ensure_ascii=False))
        return
    table = Table("case", "state", "priority", "score", "lang", "tactics", "posts", "version")
    for c in found:
        table.add_row(str(c.id), c.state, f"{c.priority:.2f}", f"{c.score:.2f}", c.lang, ", ".join(c.tactics),
                      str(len(c.posts)), str(c.version))
    Console().print(table)


@cases_app.command("show")
def cases_show(case_id: int, db: DbOption = None) -> None:
    """A case: its posts as stored, the detector's evidence, decisions and preserved evidence files (JSON)."""
    store = runtime_for(db).store()
    c = store.get_case(case_id)
    predictions = store.find_predictions(list(c.posts))
    posts = []
    for key in c.posts:
        post = store.find_post(*key)
        posts.append({"platform": key[0], "id": key[1], "url": post.url if post else None,
                      "text": post.text if post else None, "prediction": predictions.get(key)})
    typer.echo(json.dumps({
        "id": c.id, "state": c.state, "version": c.version, "priority": c.priority, "tactics": list(c.tactics),
        "posts": posts, "decisions": [asdict(d) for d in store.list_decisions(case_id)],
        "evidence": [asdict(e) for e in store.list_evidence(case_id)],
    }, ensure_ascii=False, indent=1, default=list))


@cases_app.command("decide")
def cases_decide(case_id: int, decision: Annotated[str, typer.Argument(help="confirm_advert, confirm_seeking, "
                                                                            "not_smuggling, need_info or escalate.")],
                 reason: Annotated[str, typer.Option(help="Why (kept with the decision).")] = "",
                 tactic: Annotated[list[str] | None, typer.Option("--tactic", help="A tactic confirmed.")] = None,
                 version: Annotated[int | None, typer.Option(help="The case version you reviewed; a newer one means "
                                                                  "someone else decided meanwhile.")] = None,
                 reviewer: ActorOption = "cli", db: DbOption = None) -> None:
    """Decide a case (for all its posts at once)."""
    runtime = runtime_for(db)
    made, case = reviewing.decide(runtime.store(), case_id, decision, reviewer=reviewer, reason=reason,
                                  tactics=tuple(tactic or ()), expected_version=version, track=runtime.track)
    err.print(f"case {case_id}: {made.decision} by {made.reviewer}; now {case.state} (version {case.version})",
              highlight=False)
    if decision == "confirm_advert":
        from crossingwatch.services.banking import bank_confirmed_case

        entries = bank_confirmed_case(runtime.store(), case_id, runtime.signal_types(), actor=reviewer,
                                      track=runtime.track)
        if entries:
            err.print(f"{len(entries)} signals of its media and numbers are in the 'confirmed' bank", highlight=False)


@referral_app.command("create")
def referral_create(platform: str,
                    case: Annotated[list[int] | None, typer.Option(
                        "--case", help="A confirmed case; repeat. Default: every confirmed case not referred.")] = None,
                    jurisdiction: Annotated[str | None, typer.Option(
                        help="A table of data/legal/jurisdictions.toml.")] = None,
                    sender_name: Annotated[str | None, typer.Option(help="Default: the sender_name setting.")] = None,
                    sender_email: Annotated[str | None, typer.Option(help="Default: the sender_email setting.")] = None,
                    actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Draft a referral of confirmed items to one platform; prints its id."""
    runtime = runtime_for(db)
    s = runtime.settings
    referral = referring.create_referral(
        runtime.store(), platform, sender_name=sender_name or s.sender_name,
        sender_email=sender_email or s.sender_email, jurisdiction=jurisdiction or s.jurisdiction,
        laws=_laws(runtime), case_ids=case, four_eyes=s.four_eyes, actor=actor, track=runtime.track)
    typer.echo(referral.id)
    err.print(f"referral {referral.id} to {platform}: {len(referral.items)} items (draft)", highlight=False)


@referral_app.command("show")
def referral_show(referral_id: int, fmt: Annotated[str, typer.Option("--format", help="json, csv or email.")] = "json",
                  output: Annotated[str, typer.Option("--output", "-o")] = "-", db: DbOption = None) -> None:
    """The notice: sender, legal basis, good-faith statement, and each item's location and explanation."""
    runtime = runtime_for(db)
    store = runtime.store()
    _write(referring.render_notice(referring.notice(store, store.get_referral(referral_id), _laws(runtime)), fmt),
           output)


@referral_app.command("send")
def referral_send(referral_id: int, actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Mark a referral sent (its items become `sent`); send the notice from `referral show` by your usual channel."""
    runtime = runtime_for(db)
    r = referring.send_referral(runtime.store(), referral_id, actor=actor, track=runtime.track)
    err.print(f"referral {r.id} sent at {r.sent_at}", highlight=False)


@referral_app.command("status")
def referral_status(item_id: int, status: str, note: Annotated[str, typer.Option(help="What happened.")] = "",
                    at: Annotated[str | None, typer.Option(help="When (ISO 8601, UTC). Default: now.")] = None,
                    actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Record a referred item's new status (acknowledged, removed, restricted, rejected, no_response, reappeared)."""
    runtime = runtime_for(db)
    item, changed = referring.record_status(runtime.store(), item_id, status, actor=actor, note=note, at=at,
                                            track=runtime.track)
    err.print(f"item {item.id}: {item.status}" + ("" if changed else " (already recorded)"), highlight=False)


@referral_app.command("list")
def referral_list(platform: Annotated[str | None, typer.Option(help="Only this platform's.")] = None,
                  db: DbOption = None) -> None:
    """Referrals and their items' statuses."""
    table = Table("referral", "platform", "created", "sent", "items", "statuses")
    for r in runtime_for(db).store().list_referrals(platform):
        counts: dict[str, int] = {}
        for i in r.items:
            counts[i.status] = counts.get(i.status, 0) + 1
        table.add_row(str(r.id), r.platform, r.created_at[:19], (r.sent_at or "")[:19], str(len(r.items)),
                      ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    Console().print(table)


@referral_app.command("export-statements")
def referral_export_statements(referral_id: int, output: Annotated[str, typer.Option("--output", "-o")] = "-",
                               db: DbOption = None) -> None:
    """The platform's decisions on a referral as DSA Transparency Database statements of reasons (JSON Lines)."""
    store = runtime_for(db).store()
    rows = referring.statements_of_reasons(store, store.get_referral(referral_id))
    _write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), output)


@referral_app.command("import-statements")
def referral_import_statements(platform: str, file: Path, actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Apply a platform's statements of reasons (JSON Lines, or a JSON list) to our items; twice changes nothing."""
    runtime = runtime_for(db)
    text = read_text_file(file)
    try:
        records = json.loads(text) if text.lstrip().startswith("[") else \
            [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InputError(f"{file}: line {exc.lineno}: not JSON: {exc.msg}", source=str(file), line=exc.lineno) from exc
    applied, unchanged, problems = referring.import_statements(runtime.store(), records, platform=platform,
                                                               actor=actor, track=runtime.track)
    for p in problems:
        err.print(f"[yellow]skipped[/] {file}: {p}", highlight=False)
    err.print(f"{applied} applied, {unchanged} already recorded, {len(problems)} skipped", highlight=False)


def http_checker(url: str) -> str:
    """What a public URL shows now: gone (404, 410), restricted (451), present (2xx), else unknown."""
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "CrossingWatch recheck"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310  (http(s) URLs we referred)
            return "present" if 200 <= response.status < 300 else "unknown"
    except urllib.error.HTTPError as exc:
        return {404: "gone", 410: "gone", 451: "restricted"}.get(exc.code, "unknown")
    except (urllib.error.URLError, TimeoutError, ValueError):
        return "unknown"


def file_checker(path: Path) -> referring.Checker:
    """Answers from a JSON file {url: present|gone|restricted} (offline rechecks, and tests)."""
    try:
        answers = json.loads(read_text_file(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not JSON: {exc.msg}", source=str(path), line=exc.lineno) from exc
    if not isinstance(answers, dict):
        raise InputError(f"{path}: expected a JSON object {{url: present|gone|restricted}}", source=str(path))
    return lambda url: str(answers.get(url, "unknown"))


@app.command("recheck")
def recheck_cmd(checker: Annotated[str, typer.Option(help="http (fetch each URL) or file:PATH (a JSON map "
                                                          "url → present|gone|restricted).")] = "http",
                actor: ActorOption = "recheck", db: DbOption = None) -> None:
    """Look again at referred items' URLs and record removals, restrictions and re-appearances."""
    runtime = runtime_for(db)
    check = file_checker(Path(checker[5:])) if checker.startswith("file:") else http_checker
    if checker != "http" and not checker.startswith("file:"):
        raise InputError(f"checker {checker!r}: use http or file:PATH", field="checker")
    counts = referring.recheck(runtime.store(), check, actor=actor, track=runtime.track)
    err.print(", ".join(f"{k} {v}" for k, v in counts.items()), highlight=False)


@app.command("report")
def report_cmd(fmt: Annotated[str, typer.Option("--format", help="json, csv or html.")] = "json",
               output: Annotated[str, typer.Option("--output", "-o")] = "-", db: DbOption = None) -> None:
    """The unit's figures: removal rate, time to referral and to removal, by platform, language, route and tactic;
    backlog; re-appearances; reviewers' throughput; the detector's false-positive rate as reviewers judged it."""
    _write(metrics.render_metrics(metrics.unit_metrics(runtime_for(db).store()), fmt), output)


@evidence_app.command("export")
def evidence_export(case_id: int, out: Annotated[Path, typer.Option("--out", help="Folder to write the bundle to.")],
                    actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Write a case's preserved evidence with a manifest and SHA256SUMS (check with `sha256sum -c SHA256SUMS`)."""
    from crossingwatch.core import Event

    runtime = runtime_for(db)
    try:
        manifest = _vault(runtime).export_bundle(case_id, out)
    except FileNotFoundError as exc:
        raise InputError(str(exc), field="case") from exc
    runtime.track(Event("evidence.exported", actor, f"case:{case_id}", {"to": str(out)}))
    err.print(f"evidence of case {case_id} in {out} ({manifest.name}, SHA256SUMS)", highlight=False)


@audit_app.command("verify")
def audit_verify(db: DbOption = None) -> None:
    """Check the audit log's hash chain: any edited, removed or reordered entry is found."""
    store = runtime_for(db).store()
    if store.verify():
        err.print(f"audit log intact: {len(store.list_events())} events", highlight=False)
        return
    err.print("[bold red]audit log broken[/]: an entry was edited, removed or reordered", highlight=False)
    raise typer.Exit(1)


retention_app = typer.Typer(help="Keep posts no longer than needed.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


@retention_app.command("apply")
def retention_apply(days: Annotated[int | None, typer.Option(help="Default: the retention_days setting.")] = None,
                    actor: ActorOption = "retention", db: DbOption = None) -> None:
    """Delete posts older than the retention period that no reviewer confirmed and no referral carries. The audit
    log keeps a tombstone: how many, and a hash of which."""
    import hashlib
    from datetime import UTC, datetime, timedelta

    from crossingwatch.core import Event

    runtime = runtime_for(db)
    keep_days = runtime.settings.retention_days if days is None else days
    before = (datetime.now(UTC) - timedelta(days=keep_days)).isoformat().replace("+00:00", "Z")
    store = runtime.store()
    expired = store.expired_posts(before)
    store.delete_posts(expired)
    digest = hashlib.sha256("\n".join(f"{p}/{i}" for p, i in sorted(expired)).encode()).hexdigest()
    runtime.track(Event("retention.deleted", actor, "posts", {"count": len(expired), "before": before,
                                                            "keys_sha256": digest}))
    err.print(f"deleted {len(expired)} posts first seen before {before[:10]}", highlight=False)
