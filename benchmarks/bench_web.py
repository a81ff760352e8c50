"""Web app latency in a real browser (Debian's Chromium driven by Playwright), server local.

- explorer: slider move -> the single run redrawn (target < 300 ms) and the band over seeds
  filled (target < 2 s), medians over several moves;
- workshop: the facilitator's resolve -> every team page showing the new year, with 6 team
  browsers connected (target < 1 s), median over rounds.
Timing uses ``wait_for_function(..., polling="raf")`` (``expect`` polls with a back-off).
Run: ``python benchmarks/bench_web.py`` (part of ``make bench``).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from web_support import KEY, Device, Server, launch_browser  # noqa: E402

SINGLE_MS, BAND_MS, RESOLVE_MS = 300.0, 2000.0, 1000.0
TEAMS = ("usa", "china", "eu", "gulf", "deepseek", "stargate")


def explorer(browser, base: str, moves: int = 6) -> tuple[list[float], list[float]]:
    dev = Device(browser, base, "bench-explorer")
    page = dev.goto("/explore")
    page.wait_for_function("document.querySelector('#chart').dataset.state === 'band'")
    single, band = [], []
    for i in range(moves):
        seq = int(page.locator("#chart").get_attribute("data-seq"))
        value = str(int(5e10 + 4e10 * (i % 5)))
        t0 = time.perf_counter()
        page.locator("#nations-china-subsidy_usd").fill(value)
        page.wait_for_function(
            f"+document.querySelector('#chart').dataset.seq > {seq}", polling="raf"
        )
        single.append(1000 * (time.perf_counter() - t0))
        page.wait_for_function(
            "document.querySelector('#chart').dataset.state === 'band'",
            polling="raf",
            timeout=20000,
        )
        band.append(1000 * (time.perf_counter() - t0))
    dev.close()
    return single, band


def workshop(browser, base: str, rounds: int = 4) -> list[float]:
    console = Device(browser, base, "bench-console")
    req = console.page.request
    r = req.post(
        f"{base}/console/new?key={KEY}",
        data={
            "scenario": "baseline",
            "humans": list(TEAMS),
            "preset": "custom",
            "rounds": rounds + 1,
        },
    )
    assert r.ok, r.text()
    live = req.get(f"{base}/console/live?key={KEY}").text()
    import re

    tokens = dict(re.findall(r'data-role="([\w-]+)">.*?/team/([\w-]+)"', live, flags=re.S))
    teams = {}
    for rid in TEAMS:
        dev = Device(browser, base, rid, (390, 844))
        dev.goto(f"/team/{tokens[rid]}")
        teams[rid] = dev
    out = []
    for n in range(rounds):
        for rid in TEAMS:
            assert req.post(f"{base}/team/{tokens[rid]}/move", data={}).ok
        year = 2026 + n
        time.sleep(0.3)  # let the pages settle on "submitted"
        t0 = time.perf_counter()
        assert req.post(f"{base}/console/resolve?key={KEY}", data={}).ok
        for dev in teams.values():
            dev.page.wait_for_function(
                f"() => {{ const y = document.querySelector('#year'); return y && y.textContent.startsWith('{year}'); }}",
                polling="raf",
                timeout=20000,
            )
        out.append(1000 * (time.perf_counter() - t0))
    for dev in (*teams.values(), console):
        dev.close()
    return out


def main() -> int:
    from playwright.sync_api import sync_playwright

    ok = True
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        srv = Server(Path(tmp) / "bench.db").start()
        browser = launch_browser(p)
        try:
            single, band = explorer(browser, srv.base)
            res = workshop(browser, srv.base)
        finally:
            browser.close()
            srv.stop()
    ms, mb, mr = (statistics.median(x) for x in (single, band, res))
    ok = ms < SINGLE_MS and mb < BAND_MS and mr < RESOLVE_MS
    print(
        f"explorer slider -> single run redrawn: median {ms:.0f} ms, max {max(single):.0f} ms "
        f"(target < {SINGLE_MS:.0f} ms)"
    )
    print(
        f"explorer slider -> band over 16 seeds: median {mb:.0f} ms, max {max(band):.0f} ms "
        f"(target < {BAND_MS:.0f} ms)"
    )
    print(
        f"resolve -> 6 team pages show the new year: median {mr:.0f} ms, max {max(res):.0f} ms "
        f"(target < {RESOLVE_MS:.0f} ms)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
