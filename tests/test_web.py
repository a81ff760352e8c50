"""The workshop in a real browser (Playwright for Python driving Debian's Chromium).

One ``sputnik serve`` process per module and one browser context per device: a facilitator
laptop, four team phones, a projector. A 4-team, 3-round workshop runs end to end; each test
also asserts that no page fetched anything from outside the server, and asserts visible content.
Screenshots of every page land in ``out/test-web/``.
"""

from __future__ import annotations

import re
import signal
import sys

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from web_support import KEY, Device, Server, launch_browser  # noqa: E402

TEAMS = ("usa", "china", "deepseek", "eu")
PHONE = (390, 844)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("web") / "games.db").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()


def year_of(page) -> str:
    return page.locator("#year").first.inner_text().strip()


def create_game(console: Device) -> dict[str, dict[str, str]]:
    """Create the 4-team, 3-round game through the console form; return role -> link, code."""
    page = console.goto(f"/console?key={KEY}")
    expect(page.locator("h1")).to_have_text("New workshop game")
    page.locator("#human-usa").wait_for()
    for rid in TEAMS:
        page.check(f"#human-{rid}")
    page.check("input[name=preset][value=custom]")
    page.fill("input[name=rounds]", "3")
    page.fill("input[name=years_per_round]", "2")
    console.shot("01-console-new-game")
    page.click("#create")
    expect(page.locator("h1")).to_have_text("Facilitator console")
    seats = {}
    for row in page.locator("#seats tbody tr").all():
        rid = row.get_attribute("data-role")
        seats[rid] = {
            "link": row.locator(".join-link").get_attribute("href"),
            "code": row.locator(".code").inner_text().strip(),
        }
    assert set(seats) == set(TEAMS)
    assert page.locator("#seats svg.segno").count() == 4  # a QR code per team, inline
    return seats


def submit(dev: Device, values: dict[str, str]) -> None:
    page = dev.page
    for name, v in values.items():
        page.fill(f"#lv-{name}", v)
    with page.expect_response(lambda r: r.url.endswith("/move")) as answer:
        page.click("#submit-move")
    assert answer.value.ok, answer.value.text()
    expect(page.locator("#my-status")).to_contain_text("Your move is in")


def test_four_team_three_round_workshop_end_to_end(server, browser, tmp_path):
    console = Device(browser, server.base, "console")
    seats = create_game(console)
    teams = {rid: Device(browser, server.base, rid, PHONE) for rid in TEAMS}
    for rid, dev in teams.items():
        dev.goto(seats[rid]["link"])
        expect(dev.page.locator("h1")).not_to_have_text("")
    expect(teams["usa"].page.locator("h1")).to_have_text("United States")
    expect(teams["deepseek"].page.locator("#my-state")).to_contain_text("Months behind")
    expect(teams["deepseek"].page.locator("#my-state")).to_contain_text("Budget this year")
    projector = Device(browser, server.base, "projector")
    projector.goto("/projector")
    expect(projector.page.locator("#year")).to_have_text("2025–2026")

    # --- round 1: secret moves
    submit(teams["usa"], {"enforcement": "0.93"})
    submit(teams["china"], {"subsidy_usd": "123B"})
    for rid, other in (("china", "0.93"), ("usa", "123")):
        expect(teams[rid].page.locator("body")).not_to_contain_text(other)
        live = teams[rid].page.request.get(seats[rid]["link"] + "/live").text()
        assert other not in live  # not even in the HTML the page receives
    expect(console.page.locator("#submitted li[data-role=usa]")).to_have_text(
        "United States: submitted"
    )
    expect(projector.page.locator("#submitted li[data-role=china]")).to_have_text(
        "China: submitted"
    )
    for dev in (console, projector):
        text = dev.page.locator("body").inner_text()
        assert "0.93" not in text and "123" not in text  # who submitted, never what
    submit(teams["deepseek"], {"efficiency_share": "0.5"})
    submit(teams["eu"], {"subsidy_usd": "20B"})
    console.page.select_option("#card", "taiwan-crisis")
    console.page.click("#card-form button")
    expect(console.page.locator("#msg")).to_contain_text("Card queued")
    expect(projector.page.locator(".queued")).to_contain_text("Taiwan Strait crisis")
    for dev in (console, *teams.values(), projector):
        dev.shot(f"10-round1-before-resolve-{dev.name}")
    console.page.click("#resolve")
    for dev in (*teams.values(), projector, console):
        expect(dev.page.locator("#year").first).to_have_text(re.compile("^2027"), timeout=15000)
    expect(projector.page.locator(".proj-news")).to_contain_text("Military exercises around Taiwan")
    expect(projector.page.locator(".proj-figs svg")).to_have_count(3)
    expect(projector.page.locator(".proj-figs")).to_contain_text("Months behind the frontier")
    expect(teams["usa"].page.locator(".results")).to_contain_text("enforcement = 0.93")  # revealed
    for dev in (console, *teams.values(), projector):
        dev.shot(f"20-round2-start-{dev.name}")

    # --- a reload, or a new visit to the join page, keeps the team's identity
    teams["china"].page.reload()
    expect(teams["china"].page.locator("h1")).to_have_text("China")
    teams["china"].goto("/join")
    assert teams["china"].page.url == seats["china"]["link"]
    teams["eu"].goto(f"/join?code={seats['eu']['code'].lower()}")
    expect(teams["eu"].page.locator("h1")).to_have_text("European Union")

    # --- round 2: an override with a reason, a resolve without waiting, then an undo
    submit(teams["china"], {"domestic_mandate_share": "0.6"})
    console.page.select_option("#ov-role", "deepseek")
    console.page.fill("#ov-move", "efficiency_share = 0.2")
    console.page.fill("#ov-reason", "team stepped out")
    console.page.click("#override-form button")
    expect(console.page.locator("#msg")).to_contain_text("Override of deepseek recorded")
    console.page.click("#resolve")  # usa, deepseek, eu have not moved: confirmed, keep levers
    expect(console.page.locator("#year")).to_have_text(re.compile("^2029"), timeout=15000)
    log = console.page.locator("#log")
    expect(log).to_contain_text("override: labs.deepseek.efficiency_share = 0.2")
    expect(log).to_contain_text("team stepped out")
    expect(log).to_contain_text("resolved without this team's move")
    console.page.click("#undo")  # confirmed in the dialog
    expect(console.page.locator("#year")).to_have_text(re.compile("^2027"), timeout=15000)
    expect(log).to_contain_text("undid round 2")
    for dev in teams.values():  # the team pages follow the undo back to round 2
        expect(dev.page.locator(".status .round")).to_have_text("Round 2 of 3", timeout=15000)
    expect(teams["china"].page.locator("#my-status")).to_contain_text("Your move is in")
    console.shot("30-console-after-undo")

    # --- rounds 2 and 3 for real, then the end
    for year in ("2029", "2031"):
        for rid, dev in teams.items():
            if rid != "china" or year == "2031":
                submit(dev, {})
        console.page.click("#resolve")
        for dev in (*teams.values(), projector):
            expect(dev.page.locator("#year").first).to_contain_text(
                "Game over" if year == "2031" else year, timeout=15000
            )
    for dev in (console, *teams.values(), projector):
        dev.shot(f"40-end-{dev.name}")
    console.page.reload()
    expect(console.page.locator("#year")).to_have_text("Game over")
    # no team is still "deciding" once the game is over
    expect(console.page.locator("#seats")).not_to_contain_text("deciding")
    expect(console.page.locator("#seats")).to_contain_text("game over")

    # --- the report opens as one file, with nothing fetched
    html = console.page.request.get(server.base + "/report.html").text()
    path = tmp_path / "report.html"
    path.write_text(html)
    reader = Device(browser, server.base, "report-reader")
    reader.goto(path.as_uri())
    expect(reader.page.locator("h1")).to_contain_text("After-action report")
    expect(reader.page.locator("figure svg")).to_have_count(3)
    expect(reader.page.locator("body")).to_contain_text("undid round 2")
    expect(reader.page.locator("body")).to_contain_text("subsidy_usd = $123B")
    assert [u for u in reader.requests if not u.startswith("file:")] == []
    reader.shot("50-report")

    for dev in (console, *teams.values(), projector):
        assert dev.outside() == [], f"{dev.name} fetched {dev.outside()}"
        dev.close()
    reader.close()


def test_explorer_redraws_after_a_slider_move(server, browser):
    dev = Device(browser, server.base, "explorer")
    page = dev.goto("/explore")
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-state", "band", timeout=20000)
    expect(chart.locator("svg")).to_have_count(1)
    expect(chart).to_contain_text("China: months behind the frontier")
    # untouched sliders show and run the scenario's own values (4,800 TPP is not on a 500 grid
    # from 1,000) and are not sent: the first runs are the scenario as written
    expect(page.locator("output[data-for=controls-tpp_threshold]")).to_have_text("4800")
    first = [u for u in dev.requests if "/api/explore" in u]
    assert first and not [u for u in first if "v." in u]
    before = int(chart.get_attribute("data-seq"))
    page.locator("#nations-china-subsidy_usd").fill("250000000000")
    expect(page.locator("output[data-for=nations-china-subsidy_usd]")).to_have_text("$250B")
    page.wait_for_function(
        f"() => +document.querySelector('#chart').dataset.seq > {before}"
        " && document.querySelector('#chart').dataset.state === 'band'",
        timeout=20000,
    )
    moved = [u for u in dev.requests if "/api/explore" in u][len(first) :]
    assert moved and all("v.nations.china.subsidy_usd" in u and "tpp" not in u for u in moved)
    expect(page.locator("#why")).to_contain_text("Why did it move?")
    expect(page.locator("#why")).to_contain_text("own efficiency research")
    assert re.search(r"\(-\d+\.\d\)", page.locator("#why").inner_text())  # China closes the gap
    # the crux assumptions sit apart from the levers, and moving one changes the run
    expect(page.locator("h2.assumptions")).to_contain_text("assumptions")
    expect(page.locator("#world-idle_capacity_build")).to_have_count(1)
    api = server.base + "/api/explore?scenario=baseline"
    plain = page.request.get(api).json()
    lean = page.request.get(api + "&v.world.idle_capacity_build=0").json()
    assert "error" not in lean and lean["svg"] != plain["svg"]
    dev.shot("60-explorer")
    assert dev.outside() == []
    dev.close()


def test_console_is_the_facilitators_and_bad_codes_are_refused(server, browser):
    dev = Device(browser, server.base, "stranger")
    r = dev.page.request.get(server.base + "/console")
    assert r.status == 403 and "facilitator" in r.text()
    assert dev.page.request.post(server.base + "/console/resolve").status == 403
    page = dev.goto("/join?code=NOPE42")
    expect(page.locator("#join-error")).to_have_text("Unknown code.")
    assert dev.page.request.get(server.base + "/team/not-a-token/live").status == 404
    dev.close()


def test_kill_restart_and_terminal_resume(tmp_path, browser):
    """kill -9 loses at most the round in progress; the terminal game opens the browser's save."""
    import shutil

    from sim.cli import main

    srv = Server(tmp_path / "g.db").start()
    try:
        api = browser.new_context()
        req = api.request
        ok = req.post(
            f"{srv.base}/console/new?key={KEY}",
            data={"scenario": "baseline", "humans": ["usa", "china"], "preset": "60"},
        )
        assert ok.status == 200, ok.text()
        tokens = {rid: srv_token for rid, srv_token in _tokens(req, srv.base).items()}
        for rid in ("usa", "china"):
            assert req.post(f"{srv.base}/team/{tokens[rid]}/move", data={}).status == 200
        assert req.post(f"{srv.base}/console/resolve?key={KEY}", data={}).status == 200
        assert req.post(f"{srv.base}/team/{tokens['usa']}/move", data={"enforcement": "0.4"}).ok
        srv.stop(signal.SIGKILL)  # a crash with a move entered for round 2
        srv.start()
        page = api.new_page()
        page.goto(f"{srv.base}/team/{tokens['usa']}")  # the same link still seats the team
        expect(page.locator("h1")).to_have_text("United States")
        expect(page.locator(".status .round")).to_contain_text("Round 2 of 4")
        expect(page.locator("#my-status")).to_contain_text("not submitted")  # round 2 was lost
        api.close()
    finally:
        srv.stop()
    copy = tmp_path / "copy.db"
    shutil.copy(tmp_path / "g.db", copy)
    assert main(["play", "--resume", str(copy), "--bots", "--rounds", "2"]) == 0


def _tokens(req, base: str) -> dict[str, str]:
    text = req.get(f"{base}/console/live?key={KEY}").text()
    return dict(re.findall(r'data-role="(\w+)">.*?/team/([\w-]+)"', text, flags=re.S))
