"""Schemathesis against the served OpenAPI document: generated requests to every operation, as an admin, must never
get a 5xx (a crash). Real HTTP on loopback; data in the store first, so reads reach real rows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from crossingwatch.core import Post
from crossingwatch.runtime import Runtime
from crossingwatch.services import referring, reviewing
from crossingwatch.settings import REPO_DIR

ADVERT = "Boat to UK Thursday from Dunkirk, 1200 euro, kids free, WhatsApp +44 7700 900123. 100% safe"


def _seed(runtime: Runtime) -> str:
    store = runtime.store()
    posts = [Post(id="1", platform="facebook", url="https://facebook.com/p/1", text=ADVERT)]
    store.commit_batch(store.start_run("s", "d", ["s"]).id, list(zip(posts, runtime.detector("text").assess(posts),
                                                                     strict=True)), [("s", 0)], [], 1, {})
    reviewing.open_cases(store)
    reviewing.decide(store, 1, "confirm_advert", reviewer="seed")
    store.create_bank("ads")
    referring.create_referral(store, "facebook", sender_name="Unit", sender_email="unit@example.org",
                              jurisdiction="uk", laws=referring.Jurisdictions.load(REPO_DIR / "data" / "legal" /
                                                                                   "jurisdictions.toml"))
    store.add_user("root", "admin")
    token, _ = store.create_token("root")
    return token


def test_no_generated_request_crashes_the_api(runtime: Runtime, live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    token = _seed(runtime)
    cli = Path(sys.executable).with_name("schemathesis")
    config = tmp_path / "schemathesis.toml"  # ids of rows that exist, so reads get past 404 to the real code
    config.write_text('[parameters]\n"path.name" = "ads"\n"path.case_id" = 1\n"path.referral_id" = 1\n'
                      '"path.entry_id" = 1\n"path.item_id" = 1\n', "utf-8")
    with live_server(runtime) as base:
        done = subprocess.run(
            [str(cli), "--config-file", str(config), "run", f"{base}/openapi.json", "--checks", "not_a_server_error",
             "--header", f"Authorization: Bearer {token}", "--max-examples", "12", "--seed", "7",
             "--generation-deterministic", "--request-timeout", "30", "--phases", "examples,coverage,fuzzing",
             "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"}, check=False)
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert "Fuzzing" in done.stdout and "❌" not in done.stdout, report
