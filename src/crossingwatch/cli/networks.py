"""`crossingwatch networks …` (campaigns and networks of shared indicators), `crossingwatch export` (STIX 2.1,
MISP, hash lists) and `crossingwatch import-stix`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crossingwatch.cli.app import DbOption, app, err, read_text_file, runtime_for
from crossingwatch.core.errors import InputError
from crossingwatch.services import network_graphs, networking, sharing

networks_app = typer.Typer(help="Campaigns (near-copies of one advert) and networks (posts and accounts tied by "
                                "shared phones, handles, links, images and campaigns).", invoke_without_command=True)
app.add_typer(networks_app, name="networks")

ActorOption = Annotated[str, typer.Option("--actor", help="Who does this (kept in the audit log).")]
OutputOption = Annotated[str, typer.Option("--output", "-o", help="File; - is stdout.")]


def _write(text: str, output: str) -> None:
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, "utf-8")
        err.print(f"wrote {output}", highlight=False)


@networks_app.callback()
def networks(ctx: typer.Context,
             min_size: Annotated[int, typer.Option("--min-size", help="Least posts a network has to be listed.")] = 2,
             fmt: Annotated[str, typer.Option("--format", help="table, or a graph: json, graphml or gexf (Gephi "
                                                               "opens both).")] = "table",
             output: OutputOption = "-", limit: Annotated[int, typer.Option(help="Rows in the table.")] = 50,
             actor: ActorOption = "cli", db: DbOption = None) -> None:
    """List the networks, highest ranked first, or export them as one graph (`networks build` makes them)."""
    if ctx.invoked_subcommand is not None:
        return
    runtime = runtime_for(db)
    store = runtime.store()
    if fmt != "table":
        if fmt not in ("json", "graphml", "gexf"):
            raise InputError(f"format {fmt!r}: use table, json, graphml or gexf", field="format")
        out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
        try:
            counts = network_graphs.export_graph(store, out, fmt, min_size=min_size, actor=actor, track=runtime.track)
        finally:
            if out is not sys.stdout:
                out.close()
        err.print(f"{counts['networks']} networks: {counts['nodes']} nodes, {counts['edges']} edges", highlight=False)
        return
    found = network_graphs.list_networks(store, min_size=min_size, limit=limit)
    if not found["total"]:
        err.print("no networks yet: run `crossingwatch networks build`", highlight=False)
        return
    table = Table("rank", "id", "posts", "accounts", "platforms", "confirmed", "first", "last", "score",
                  "linked by")
    for n in found["items"]:
        top = ", ".join(f"{k}:{v}" for k, v, _, _ in store.network_indicators(n["id"])[:3])
        table.add_row(str(n["rank"]), str(n["id"]), str(n["posts"]), str(n["accounts"]), str(n["platforms"]),
                      str(n["confirmed"]), (n["first_at"] or "")[:10], (n["last_at"] or "")[:10],
                      f"{n['score']:.2f}", top)
    Console().print(table)
    err.print(f"{found['total']} networks of {min_size}+ posts", highlight=False)


@networks_app.command("build")
def build(min_size: Annotated[int, typer.Option("--min-size", help="Least posts a network has.")] = 2,
          actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Group near-copies into campaigns (only posts not seen before are signed), then link posts into networks
    through shared indicators, leaving out hubs (data/networks/rules.toml), and rank them."""
    runtime = runtime_for(db)
    store = runtime.store()
    camps = networking.build_campaigns(store, actor=actor, track=runtime.track)
    rules = networking.load_rules(Path(runtime.settings.data_dir) / "networks" / "rules.toml")
    nets = networking.build_networks(store, rules, min_size=min_size, actor=actor, track=runtime.track)
    err.print(f"campaigns: {camps['signed']} posts signed, {camps['created']} new, {camps['grown']} grown, "
              f"{camps['merged']} merged", highlight=False)
    err.print(f"networks: {nets['networks']} from {nets['posts']} posts; {len(nets['hubs'])} hubs left out"
              + (f" ({', '.join(nets['hubs'][:5])}{' …' if len(nets['hubs']) > 5 else ''})" if nets["hubs"] else ""),
              highlight=False)


@networks_app.command("show")
def show(network: int, limit: Annotated[int, typer.Option(help="Posts drawn (at most 2000).")] = 200,
         offset: Annotated[int, typer.Option(help="Posts skipped.")] = 0,
         sample: Annotated[bool, typer.Option("--sample", help="An even sample of the posts, not a page.")] = False,
         db: DbOption = None) -> None:
    """One network as JSON: nodes, edges, timeline, linking indicators, campaign templates and cases."""
    view = network_graphs.get_network(runtime_for(db).store(), network, limit=limit, offset=offset, sample=sample)
    typer.echo(json.dumps(view, ensure_ascii=False, indent=2))


@networks_app.command("campaigns")
def campaigns(min_size: Annotated[int, typer.Option("--min-size", help="Least copies.")] = 2,
              limit: Annotated[int, typer.Option(help="How many.")] = 20, db: DbOption = None) -> None:
    """The largest campaigns with their templates: the phrases every copy shares, and [slots] that vary."""
    table = Table("id", "copies", "first", "last", "template")
    for c in runtime_for(db).store().list_campaigns(min_size, limit):
        table.add_row(str(c.id), str(c.size), (c.first_at or "")[:10], (c.last_at or "")[:10],
                      str(c.template.get("template", "")))
    Console().print(table)


@app.command("export")
def export(fmt: Annotated[str, typer.Option("--format", help="stix (2.1 bundle), misp (events JSON) or hashes "
                                                             "(python-threatexchange CSV).")] = "stix",
           network: Annotated[int | None, typer.Option("--network", help="A network id.")] = None,
           bank: Annotated[str | None, typer.Option("--bank", help="A bank name.")] = None,
           tlp: Annotated[str, typer.Option(help="clear, green, amber or red.")] = "amber",
           include_content: Annotated[bool, typer.Option("--include-content", help="Add post text (left out by "
                                                                                   "default).")] = False,
           output: OutputOption = "-", actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Share a network or a bank: indicators and hashes, never text or media unless --include-content. Every
    export is in the audit log."""
    runtime = runtime_for(db)
    _write(sharing.export(runtime.store(), fmt, network=network, bank=bank, tlp=tlp, include_content=include_content,
                          actor=actor, track=runtime.track), output)


@app.command("import-stix")
def import_stix(bank: str, file: Annotated[Path, typer.Argument(help="A STIX 2.1 bundle (JSON).")],
                actor: ActorOption = "cli", db: DbOption = None) -> None:
    """Import the URLs, accounts, phone numbers and image hashes of a STIX 2.1 bundle into a bank. Objects that
    cannot be read are reported one by one; the others are imported."""
    runtime = runtime_for(db)
    text = read_text_file(file)
    entries, problems = sharing.import_stix(runtime.store(), bank, text, runtime.signal_types(), actor=actor,
                                            track=runtime.track)
    for p in problems:
        err.print(f"[yellow]rejected[/] {p.message(str(file))}", highlight=False, soft_wrap=True)
    err.print(f"imported {len(entries)} entries into {bank}; {len(problems)} objects rejected", highlight=False)
    if problems:
        raise typer.Exit(2)
