"""Shared helpers for the browser tests: a real ``sputnik serve`` process and Debian's Chromium.

Never ``playwright install``: the tests drive /usr/bin/chromium (``make test`` installs it with
apt when missing). Every request a page makes is recorded, so a test can assert that nothing
leaves the server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("SPUTNIK_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "out" / "test-web"
KEY = "test-facilitator-key"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A ``sputnik serve`` subprocess on a free local port."""

    db: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    log: Any = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        cmd = [sys.executable, "-m", "sim", "serve", "--port", str(self.port), "--db", str(self.db)]
        if self.log is None:
            self.log = open(self.db.with_suffix(".log"), "a")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*cmd, "--key", KEY],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.db.with_suffix('.log').read_text()}")
            try:
                with urllib.request.urlopen(self.base + "/", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not answer within 60 s")

    def stop(self, sig: int = signal.SIGINT) -> None:
        """Stop the server (SIGINT: graceful, the pool shuts down; SIGKILL: a crash)."""
        if sig != signal.SIGKILL and self.log is not None:
            self.log.close()
            self.log = None
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        if sig == signal.SIGKILL:  # the pool's workers were the server's children: end them too
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)


def launch_browser(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make test' (it installs Debian's chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


class Device:
    """One browser context (a phone or laptop) with one page; records every request."""

    def __init__(self, browser, base: str, name: str, viewport=(1280, 720)):
        self.name = name
        self.base = base
        self.ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.page = self.ctx.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: d.accept())  # confirmations: the test says yes

    def goto(self, path: str):
        self.page.goto(path if path.startswith(("http", "file")) else self.base + path)
        return self.page

    def outside(self) -> list[str]:
        """Requests to anywhere but the server (data: URLs are inline, not requests out)."""
        return [
            u for u in self.requests if not u.startswith((self.base, "data:", "about:", "file:"))
        ]

    def shot(self, label: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{label}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path

    def close(self) -> None:
        self.ctx.close()
