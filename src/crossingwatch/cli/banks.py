"""`crossingwatch hash`, `crossingwatch match` and `crossingwatch bank …`: hash files, keep banks, match."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crossingwatch.cli.app import DbOption, app, err, read_text_file, runtime_for
from crossingwatch.core import Event
from crossingwatch.core.errors import InputError
from crossingwatch.media.signals import Signal, SignalError
from crossingwatch.services import banking

bank_app = typer.Typer(help="Hash banks: confirmed content (and known-benign content) to match re-uploads against.",
                       no_args_is_help=True)
app.add_typer(bank_app, name="bank")

ActorOption = Annotated[str, typer.Option("--actor", help="Who does this (kept in the audit log).")]


def _paths_or_stdin(items: list[str]) -> list[str]:
    return [line.strip() for line in sys.stdin if line.strip()] if items == ["-"] else items


def _signals_of(item: str, types: dict[str, banking.SignalType]) -> list[Signal]:
    path = Path(item)
    if path.is_file():
        return banking.hash_file(path, types.values())
    try:
        return [banking.parse_signal(item, types)]
    except SignalError as exc:
        raise InputError(f"{item}: not a file, and {exc}", field="value") from exc


@app.command("hash")
def hash_cmd(files: Annotated[list[str], typer.Argument(help="Files to hash; - reads paths from stdin.")]) -> None:
    """Print one `<type> <value>` line per signal of each file (PDQ with its quality, SHA-256, video MD5).

    The lines are a hash list python-threatexchange's file exchange reads, and `crossingwatch bank import` too.
    """
    types = runtime_for().signal_types()
    failed = 0
    for item in _paths_or_stdin(files):
        try:
            for s in banking.hash_file(Path(item), types.values()):
                typer.echo(s.line())
        except (InputError, ValueError) as exc:  # an unreadable image: say which, go on with the rest
            err.print(f"[red]{item}[/]: {exc}", highlight=False)
            failed += 1
    if failed:
        raise typer.Exit(1)


@app.command("match")
def match_cmd(items: Annotated[list[str], typer.Argument(help="Files or TYPE:VALUE signals; - reads them from "
                                                               "stdin.")],
              db: DbOption = None) -> None:
    """Match files or signals against the enabled banks; print one JSON line per input with its matches."""
    runtime = runtime_for(db)
    types = runtime.signal_types()
    matcher = banking.Matcher(runtime.store(), runtime.index_dir())
    for item in _paths_or_stdin(items):
        signals = _signals_of(item, types)
        matches = matcher.match([(None, s) for s in signals])
        typer.echo(json.dumps({"input": item, "signals": [s.line() for s in signals],
                               "matches": [m.to_dict() for m in matches]}, ensure_ascii=False))


@bank_app.command("create")
def bank_create(name: str, kind: Annotated[str, typer.Option(help="flag (matches flag a post) or benign "
                                                                  "(matches clear it).")] = "flag",
                pdq_threshold: Annotated[int, typer.Option(help="Largest PDQ distance that matches.")] = 31,
                note: Annotated[str, typer.Option(help="What the bank is for.")] = "",
                actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Create a bank."""
    runtime = runtime_for(db)
    bank = banking.create_bank(runtime.store(), name, kind=kind, pdq_threshold=pdq_threshold, note=note, actor=actor,
                               track=runtime.track)
    err.print(f"created bank {bank.name} ({bank.kind}, PDQ distance ≤ {bank.pdq_threshold})", highlight=False)


@bank_app.command("add")
def bank_add(name: str, items: Annotated[list[str], typer.Argument(help="Files, or TYPE:VALUE signals.")],
             case: Annotated[str | None, typer.Option("--case", help="The case this content was confirmed in.")] = None,
             tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag; repeat for more.")] = None,
             note: Annotated[str, typer.Option(help="A note kept with each entry.")] = "",
             actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Add the signals of files (PDQ, SHA-256 …) or given signals to a bank; print the entries."""
    runtime = runtime_for(db)
    types = runtime.signal_types()
    signals = [s for item in _paths_or_stdin(items) for s in _signals_of(item, types)]
    entries = banking.add_to_bank(runtime.store(), name, signals, actor=actor, source_case=case, tags=tag or (),
                                  note=note, track=runtime.track)
    for e in entries:
        typer.echo(f"{e.id}\t{e.signal_type}\t{e.value}")


@bank_app.command("remove")
def bank_remove(name: str, entry: int, reason: Annotated[str, typer.Option(help="Why (kept for audit).")] = "",
                actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Remove an entry: it stops matching and is kept, marked removed, for audit."""
    runtime = runtime_for(db)
    e = banking.remove_from_bank(runtime.store(), name, entry, actor=actor, reason=reason, track=runtime.track)
    err.print(f"removed entry {e.id} from {name} at {e.removed_at}", highlight=False)


@bank_app.command("list")
def bank_list(name: Annotated[str | None, typer.Argument(help="A bank: list its entries.")] = None,
              removed: Annotated[bool, typer.Option("--removed", help="Include removed entries.")] = False,
              db: DbOption = None) -> None:
    """List the banks, or one bank's entries."""
    store = runtime_for(db).store()
    out = Console()
    if name is None:
        table = Table("bank", "kind", "enabled", "PDQ threshold", "entries", "note")
        for b in store.list_banks():
            table.add_row(b.name, b.kind, "yes" if b.enabled else "no", str(b.pdq_threshold),
                          str(len(store.list_entries(b.name))), b.note)
        out.print(table)
        return
    table = Table("id", "type", "value", "added by", "added", "tags", "removed")
    for e in store.list_entries(name, include_removed=removed):
        table.add_row(str(e.id), e.signal_type, e.value, e.added_by, e.added_at[:19], " ".join(e.tags),
                      e.removed_at[:19] if e.removed_at else "")
    out.print(table)


@bank_app.command("export")
def bank_export(name: str, fmt: Annotated[str, typer.Option("--format", help="csv or tsv (python-threatexchange "
                                                                              "dataset columns) or txt.")] = "csv",
                output: Annotated[str, typer.Option("--output", "-o", help="File; - is stdout.")] = "-",
                actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Export a bank's live entries as a hash list HMA and python-threatexchange users can load."""
    runtime = runtime_for(db)
    text = banking.export_hash_list(runtime.store(), name, fmt, actor=actor, track=runtime.track)
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, "utf-8")


@bank_app.command("import")
def bank_import(name: str, file: Annotated[Path, typer.Argument(help="A hash list: CSV/TSV with signal_type and "
                                                                      "signal_str columns, or 'TYPE VALUE' lines.")],
                actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Import a hash list into a bank. Bad rows are reported with their line numbers; the rest are imported."""
    runtime = runtime_for(db)
    text = read_text_file(file)
    entries, problems = banking.import_hash_list(runtime.store(), name, text, runtime.signal_types(), actor=actor,
                                                 track=runtime.track)
    for p in problems:
        err.print(f"[yellow]rejected[/] {p.message(str(file))}", highlight=False)
    err.print(f"imported {len(entries)} entries into {name}; {len(problems)} rows rejected", highlight=False)
    if problems:
        raise typer.Exit(2)


@bank_app.command("reindex")
def bank_reindex(db: DbOption = None) -> None:
    """Save the PDQ matching index of all enabled banks (memory-mapped when opened; later entries are matched as
    a delta until the next reindex)."""
    runtime = runtime_for(db)
    directory = runtime.index_dir()
    directory.mkdir(parents=True, exist_ok=True)
    matcher = banking.Matcher(runtime.store(), directory)
    matcher.save()
    runtime.track(Event("bank.reindexed", "cli", f"index:{directory}", {"hashes": len(matcher)}))
    err.print(f"saved the PDQ index of {len(matcher)} hashes to {directory}", highlight=False)


def _set_enabled(name: str, enabled: bool, actor: str, db: str | None) -> None:
    runtime = runtime_for(db)
    runtime.store().set_bank_enabled(name, enabled)
    state = "enabled" if enabled else "disabled"
    runtime.track(Event(f"bank.{state}", actor, f"bank:{name}", {}))
    err.print(f"bank {name} {state}", highlight=False)


@bank_app.command("disable")
def bank_disable(name: str, actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Stop matching a bank's entries (they are kept); `bank enable` turns it back on."""
    _set_enabled(name, False, actor, db)


@bank_app.command("enable")
def bank_enable(name: str, actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Match a disabled bank's entries again."""
    _set_enabled(name, True, actor, db)
