"""Shared fixtures: a trained model (the one `make` builds, else one trained here), per-test SQLite stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crossingwatch.runtime import Runtime, build_runtime
from crossingwatch.settings import REPO_DIR, load_settings

DATA = REPO_DIR / "data"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    default = DATA / "models" / "default"
    if (default / "model.json").is_file():
        return default
    from crossingwatch.resources import load_resources
    from crossingwatch.services.training import load_labelled, train_model

    out = tmp_path_factory.mktemp("model")
    examples, _ = load_labelled(sorted((DATA / "corpus").glob("*.jsonl")))
    train_model(examples, load_resources(DATA), out)
    return out


@pytest.fixture(scope="session")
def session_runtime(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    db = tmp_path_factory.mktemp("db") / "session.db"
    return build_runtime(load_settings(environ={}).replace(model_dir=str(model_dir), db=str(db)))


@pytest.fixture(scope="session")
def detector(session_runtime: Runtime):  # type: ignore[no-untyped-def]
    return session_runtime.detector("text")


@pytest.fixture
def runtime(model_dir: Path, tmp_path: Path) -> Runtime:
    rt = build_runtime(load_settings(environ={}).replace(model_dir=str(model_dir), db=str(tmp_path / "cw.db")))
    yield rt
    rt.close()


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def run_cli(*args: str, model_dir: Path, input: bytes | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    """The real command line, in a subprocess, as a user runs it."""
    full_env = {**os.environ, "CROSSINGWATCH_MODEL_DIR": str(model_dir), "COLUMNS": "160", **(env or {})}
    full_env.pop("CROSSINGWATCH_DB", None) if env is None or "CROSSINGWATCH_DB" not in env else None
    return subprocess.run([sys.executable, "-m", "crossingwatch", *args], input=input, capture_output=True,
                          env=full_env, timeout=timeout)


@pytest.fixture
def live_server():  # type: ignore[no-untyped-def]
    """Serve `create_app(runtime)` over real HTTP on a free loopback port: `with live_server(runtime) as base_url:`."""
    import contextlib
    import socket
    import threading
    import time

    import uvicorn

    from crossingwatch.web import create_app

    @contextlib.contextmanager
    def serve(rt: Runtime):  # type: ignore[no-untyped-def]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        server = uvicorn.Server(uvicorn.Config(create_app(rt), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        for _ in range(500):
            if server.started:
                break
            time.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)

    return serve


@pytest.fixture
def unit_runtime(model_dir: Path, tmp_path: Path) -> Runtime:
    """A runtime on a fresh SQLite file with the referral unit's sender details set (notices need them)."""
    rt = build_runtime(load_settings(environ={}).replace(
        model_dir=str(model_dir), db=str(tmp_path / "cw.db"), sender_name="Unit", sender_email="unit@example.org"))
    yield rt
    rt.close()


def store_and_open(runtime: Runtime, posts: list) -> None:  # type: ignore[type-arg]
    """Assess `posts` with the text detector, store them as a scan would, and open their cases."""
    from crossingwatch.services import reviewing

    store = runtime.store()
    run = store.start_run(f"seed-{len(posts)}-{posts[0].id}", "d", ["seed"])
    store.commit_batch(run.id, list(zip(posts, runtime.detector("text").assess(posts), strict=True)),
                       [("seed", i) for i in range(len(posts))], [], len(posts), {})
    reviewing.open_cases(store)


@pytest.fixture
def seed_cases():  # type: ignore[no-untyped-def]
    """`seed_cases(runtime, posts)`: store assessed posts and open their cases (see `store_and_open`)."""
    return store_and_open
