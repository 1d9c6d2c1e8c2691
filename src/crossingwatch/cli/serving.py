"""`crossingwatch users …`, `crossingwatch tokens …` and `crossingwatch serve`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crossingwatch.cli.app import DbOption, ModelOption, app, err, runtime_for
from crossingwatch.core import Event

users_app = typer.Typer(help="People and systems that use the API, with their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens: shown once, stored hashed, revocable, expiring.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


@users_app.command("add")
def users_add(name: str, role: Annotated[str, typer.Option(help="admin, analyst, reviewer, platform or "
                                                                 "researcher.")],
              platform: Annotated[str | None, typer.Option(help="For role platform: which platform it is.")] = None,
              actor: Annotated[str, typer.Option("--actor")] = "cli", db: DbOption = None) -> None:
    """Add a user."""
    runtime = runtime_for(db)
    user = runtime.store().add_user(name, role, platform)
    runtime.track(Event("user.added", actor, f"user:{name}", {"role": role, "platform": platform}))
    err.print(f"user {user.name} ({user.role}{', ' + user.platform if user.platform else ''})", highlight=False)


@users_app.command("password")
def users_password(name: str,
                   generate: Annotated[bool, typer.Option("--generate", help="Make a random password and print it "
                                                                              "(once).")] = False,
                   stdin: Annotated[bool, typer.Option("--stdin", help="Read it from standard input.")] = False,
                   actor: Annotated[str, typer.Option("--actor")] = "cli", db: DbOption = None) -> None:
    """Set a user's console password (argon2id-hashed; their open console sessions end)."""
    import secrets
    import sys

    from crossingwatch.services import accounts

    if generate:
        password = secrets.token_urlsafe(15)
    elif stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    runtime = runtime_for(db)
    accounts.set_password(runtime.store(), name, password, actor=actor, track=runtime.track)
    if generate:
        typer.echo(password)
    err.print(f"console password set for {name}" + ("; it is not shown again" if generate else ""), highlight=False)


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    table = Table("user", "role", "platform", "created")
    for u in runtime_for(db).store().list_users():
        table.add_row(u.name, u.role, u.platform or "", u.created_at[:19])
    Console().print(table)


@tokens_app.command("create")
def tokens_create(user: str, days: Annotated[int, typer.Option(help="Days until it expires.")] = 90,
                  actor: Annotated[str, typer.Option("--actor")] = "cli", db: DbOption = None) -> None:
    """Make an API token for a user and print it (once: only its hash is kept)."""
    runtime = runtime_for(db)
    token, record = runtime.store().create_token(user, days)
    runtime.track(Event("token.created", actor, f"token:{record.id}", {"user": user, "expires_at": record.expires_at}))
    typer.echo(token)
    err.print(f"token {record.id} for {user}, expires {record.expires_at[:10]}; it is not shown again",
              highlight=False)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int, actor: Annotated[str, typer.Option("--actor")] = "cli", db: DbOption = None) -> None:
    runtime = runtime_for(db)
    runtime.store().revoke_token(token_id)
    runtime.track(Event("token.revoked", actor, f"token:{token_id}", {}))
    err.print(f"token {token_id} revoked", highlight=False)


@tokens_app.command("list")
def tokens_list(db: DbOption = None) -> None:
    table = Table("id", "user", "starts with", "expires", "revoked")
    for t in runtime_for(db).store().list_tokens():
        table.add_row(str(t.id), t.user, t.prefix + "…", t.expires_at[:10], (t.revoked_at or "")[:19])
    Console().print(table)


@app.command("serve")
def serve(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port.")] = 8000,
          workers: Annotated[int, typer.Option(help="Processes serving requests.")] = 1,
          db: DbOption = None, model_dir: ModelOption = None) -> None:
    """Serve the HTTP API (OpenAPI document at /openapi.json) and the analyst console (log in at /login)."""
    import os

    import uvicorn

    runtime = runtime_for(db, model_dir)
    runtime.store()  # migrate once, before any worker starts
    os.environ["CROSSINGWATCH_DB"] = str(runtime.settings.db)
    os.environ["CROSSINGWATCH_MODEL_DIR"] = str(runtime.settings.model_dir)
    uvicorn.run("crossingwatch.web.app:from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning")
