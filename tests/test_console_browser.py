"""The analyst's path through the console in a real browser (Playwright driving Debian's headless Chromium):
log in, filter the queue, open an Arabic case by keyboard, check its highlighted spans, confirm it, build and send a
referral, record the removal as the platform over the API, and see the dashboard's removal rate change.

A failing run leaves a screenshot in out/screenshots/. `.ci/run` installs /usr/bin/chromium
(scripts/system-packages.sh).
"""

from __future__ import annotations

import shutil

import httpx
import pytest

from crossingwatch.core import Post
from crossingwatch.runtime import Runtime
from crossingwatch.services import accounts, networking
from crossingwatch.settings import REPO_DIR

CHROMIUM = "/usr/bin/chromium"
ARABIC = ("رحلة إلى بريطانيا من دونكيرك يوم الخميس، السعر ١٢٠٠ يورو للشخص، الأطفال مجانا، "
          "واتساب +44 7700 900123")
ENGLISH = "Boat to UK Thursday from Dunkirk, 1200 euro, kids free, WhatsApp +44 7700 900123. 100% safe"  # same phone
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                                reason=f"{CHROMIUM} is missing: install Debian's chromium (scripts/system-packages.sh)")


@pytest.fixture
def runtime_with_cases(unit_runtime: Runtime, seed_cases) -> Runtime:  # type: ignore[no-untyped-def]
    rt = unit_runtime
    seed_cases(rt, [Post(id="a1", platform="facebook", url="https://facebook.com/p/a1", text=ARABIC),
                    Post(id="e1", platform="tiktok", url="https://tiktok.com/v/e1", text=ENGLISH)])
    store = rt.store()
    store.add_user("ana", "analyst")
    accounts.set_password(store, "ana", PASSWORD, actor="test")
    accounts.failures.clear("ana")
    store.add_user("fb", "platform", "facebook")
    return rt


def test_analyst_journey_in_chromium(runtime_with_cases: Runtime, live_server,  # type: ignore[no-untyped-def]
                                     request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect, sync_playwright

    rt = runtime_with_cases
    store = rt.store()
    arabic_case = store.find_case_of_post("facebook", "a1")
    evidence = store.find_predictions([("facebook", "a1")])[("facebook", "a1")]["evidence"]
    fb_token, _ = store.create_token("fb")
    problems: list[str] = []
    with live_server(rt) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        try:
            page.goto(f"{base}/queue")
            expect(page).to_have_url(f"{base}/login?next=/queue")
            page.fill("input[name=name]", "ana")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{base}/queue")
            expect(page.locator("table.queue tbody tr")).to_have_count(2)

            # Filtering by language swaps the rows in place (htmx) and keeps the URL shareable.
            page.select_option("select[name=lang]", "ar")
            expect(page.locator("table.queue tbody tr")).to_have_count(1)
            expect(page).to_have_url(f"{base}/queue?state=&lang=ar&platform=&tactic=&route=&min_score=")

            # Keyboard: j selects the first row, Enter opens it.
            page.keyboard.press("j")
            page.keyboard.press("Enter")
            expect(page).to_have_url(f"{base}/cases/{arabic_case}")
            text = page.locator("div.text")
            assert text.get_attribute("dir") == "auto"
            assert text.evaluate("e => getComputedStyle(e).direction") == "rtl"  # dir=auto saw Arabic first
            assert text.inner_text() == ARABIC
            marked = page.locator("div.text mark.span").evaluate_all(
                "ms => ms.map(m => [m.dataset.tactics, m.textContent])")
            for e in evidence:
                covered = "".join(piece for tactics, piece in marked if e["tactic"] in tactics.split())
                assert e["text"] in covered, (e, marked)

            page.keyboard.press("a")  # confirm advert
            expect(page.locator("p.ok")).to_contain_text("confirm_advert")
            expect(page.locator("h1 .state")).to_have_text("confirmed")

            page.goto(f"{base}/dashboard")
            expect(page.locator("#removal-rate")).to_have_text("—")
            page.goto(f"{base}/referrals")
            page.select_option("select[name=platform]", "facebook")
            page.click("text=Build draft")
            expect(page.locator("h1")).to_contain_text("to facebook")
            expect(page.locator("pre.notice")).to_contain_text("https://facebook.com/p/a1")
            expect(page.locator("pre.notice")).to_contain_text("الأطفال مجانا")
            page.click("#mark-sent")
            expect(page.locator("table.items")).to_contain_text("sent")

            page.goto(f"{base}/dashboard")
            expect(page.locator("#removal-rate")).to_have_text("0%")

            # The platform records the removal over the API, with its own token.
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {fb_token}"}, timeout=30) as api:
                [item] = api.get("/v1/platform/referrals", params={"status": "sent"}).json()["items"]
                done = api.post(f"/v1/platform/referrals/{item['id']}/status", json={"status": "removed"})
                assert done.status_code == 200, done.text
                # A searcher is shown a safety message and clicks its main action.
                shown = api.get("/v1/redirect", params={"q": "smuggler boat to england from calais price"}).json()
                assert shown["redirect"] is True, shown
                assert api.post("/v1/redirect/events", json={"message_id": shown["message_id"],
                                                             "action": "click"}).status_code == 201

            page.reload()
            expect(page.locator("#removal-rate")).to_have_text("100%")
            expect(page.locator("#redirect-impressions")).to_have_text("1")
            expect(page.locator("#redirect-ctr")).to_have_text("100.0%")
            drawn = page.locator("canvas[data-chart]").evaluate_all("cs => cs.map(c => !!window.Chart.getChart(c))")
            assert drawn and all(drawn)  # the vendored Chart.js loaded under the CSP and drew every chart

            # The two posts share a phone across platforms: one network, drawn by the vendored Cytoscape.js.
            networking.build_campaigns(store)
            networking.build_networks(store)
            page.goto(f"{base}/networks")
            page.click("table.networks a")
            expect(page.locator("#network-graph")).to_have_attribute("data-drawn", "3")  # 2 posts + the phone
            expect(page.locator("main")).to_contain_text("+447700900123")
            page.goto(f"{base}/cases/{arabic_case}")  # the case page links to its network
            page.click("dd a[href^='/networks/']")
            expect(page.locator("#network-graph")).to_have_attribute("data-drawn", "3")
            assert not problems, problems  # no script errors, no CSP violations
        except Exception:
            shots = REPO_DIR / "out" / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"{request.node.name}.png"), full_page=True)
            raise
        finally:
            browser.close()
