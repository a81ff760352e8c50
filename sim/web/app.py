"""The FastAPI app: routes only. Game calls run on one game thread, model runs and charts in a
process pool (spawn, warmed at start-up, shut down with ``cancel_futures``); the event loop
only routes requests and pushes "changed" notices over Server-Sent Events.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import secrets
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from sim.errors import ScenarioError, UserError
from sim.web import pages, work
from sim.web.config import BAND_SEEDS, METRICS, SLIDERS
from sim.web.room import Room

HERE = Path(__file__).resolve().parent
TEAM_COOKIE = "sputnik_team"
FAC_COOKIE = "sputnik_facilitator"


class Hub:
    """Who listens for changes: one queue per open page (Server-Sent Events)."""

    def __init__(self) -> None:
        self.version = 0
        self.queues: set[asyncio.Queue[int]] = set()

    def bump(self) -> None:
        """Something changed: every page re-fetches its live part."""
        self.version += 1
        for q in list(self.queues):
            q.put_nowait(self.version)


def create_app(db: str | Path, key: str | None = None, workers: int = 2) -> FastAPI:
    """The web app for the game saved in ``db`` (created from the console when missing).

    ``key`` guards the facilitator console (random when None; printed by ``sputnik serve``).
    """
    room = Room(Path(db))
    hub = Hub()
    gx = ThreadPoolExecutor(max_workers=1, thread_name_prefix="game")
    state: dict[str, Any] = {"key": key or secrets.token_urlsafe(12), "figs": (-1, [])}
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        state["pool"] = pool
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, work.warm) for _ in range(workers)))
        try:
            yield
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            await loop.run_in_executor(gx, room.close)
            gx.shutdown(wait=True)

    app = FastAPI(title="Sputnik Moment", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.room, app.state.hub, app.state.key = room, hub, state["key"]
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    async def on_game(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(gx, fn, *args)

    async def on_pool(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(state["pool"], fn, *args)

    def page(request: Request, name: str, **ctx: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, ctx)

    def is_facilitator(request: Request) -> bool:
        got = request.query_params.get("key") or request.cookies.get(FAC_COOKIE) or ""
        return secrets.compare_digest(got, state["key"])

    def refuse() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><title>Console</title><p>This page is the facilitator's. "
            "Use the console link <code>sputnik serve</code> printed.</p>",
            status_code=403,
        )

    async def act(fn: Callable[..., str], *args: Any) -> JSONResponse:
        """Run a game action; one JSON line back: ``{"ok": message}`` or ``{"error": ...}``."""
        try:
            msg = await on_game(fn, *args)
        except (UserError, ScenarioError) as exc:
            return JSONResponse({"error": " ".join(exc.problems)}, status_code=400)
        hub.bump()
        return JSONResponse({"ok": msg})

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    async def figures() -> list[tuple[str, str]]:
        """The projector's charts, drawn in the pool once per game version."""
        if state["figs"][0] == hub.version:
            return state["figs"][1]
        version = hub.version

        def tables() -> tuple[Any, dict[str, str], str]:
            from sim.game.roles import rival_of

            g = room.game
            s = g.scenario
            focus = rival_of(s, s.controls.controller) or next(iter(s.nations))
            return g.tables(), {k: v.name for k, v in s.nations.items()}, focus

        if room.game is None or not room.game.log:
            return []
        t, names, focus = await on_game(tables)
        figs = await on_pool(work.game_figures, t, names, focus)
        state["figs"] = (version, figs)
        return figs

    # ------------------------------------------------------------------ pages
    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        st = await on_game(room.status)
        return page(request, "index.html", s=st)

    @app.get("/join")
    async def join(request: Request, code: str = "") -> Response:
        if code:
            token = await on_game(room.token_for_code, code)
            if token:
                return RedirectResponse(f"/team/{token}", status_code=303)
            return page(request, "index.html", s=await on_game(room.status), error="Unknown code.")
        token = request.cookies.get(TEAM_COOKIE)
        if token and await on_game(room.role_for_token, token):
            return RedirectResponse(f"/team/{token}", status_code=303)
        return page(request, "index.html", s=await on_game(room.status))

    @app.get("/team/{token}", response_class=HTMLResponse)
    async def team_page(request: Request, token: str) -> Response:
        role = await on_game(room.role_for_token, token)
        if role is None:
            return RedirectResponse("/join", status_code=303)
        room.joined.add(role)
        view = await on_game(pages.team, room, role)
        hub.bump()  # the console shows who joined
        resp = page(request, "team.html", s=view, token=token)
        resp.set_cookie(TEAM_COOKIE, token, httponly=True, samesite="lax", max_age=86400)
        return resp

    @app.get("/team/{token}/live", response_class=HTMLResponse)
    async def team_live(request: Request, token: str) -> Response:
        role = await on_game(room.role_for_token, token)
        if role is None:
            return Response(status_code=404)
        return page(request, "team_live.html", s=await on_game(pages.team, room, role), token=token)

    @app.post("/team/{token}/{action}")
    async def team_action(request: Request, token: str, action: str) -> JSONResponse:
        role = await on_game(room.role_for_token, token)
        if role is None:
            return JSONResponse({"error": "unknown team link"}, status_code=404)
        data = await body(request)
        if action == "move":
            return await act(room.submit, role, {k: str(v) for k, v in data.items()})
        if action == "withdraw":
            return await act(room.withdraw, role)
        if action == "decide":
            return await act(room.decide, role, str(data.get("id", "")), bool(data.get("accept")))
        return JSONResponse({"error": f"unknown action '{action}'"}, status_code=404)

    @app.get("/team/{token}/briefing", response_class=HTMLResponse)
    async def team_briefing(token: str) -> Response:
        role = await on_game(room.role_for_token, token)
        if role is None:
            return Response(status_code=404)
        return HTMLResponse(await on_game(_briefing, room, role))

    @app.get("/projector", response_class=HTMLResponse)
    async def projector(request: Request) -> HTMLResponse:
        return page(
            request, "projector.html", s=await on_game(pages.public, room), figs=await figures()
        )

    @app.get("/projector/live", response_class=HTMLResponse)
    async def projector_live(request: Request) -> HTMLResponse:
        return page(
            request,
            "projector_live.html",
            s=await on_game(pages.public, room),
            figs=await figures(),
        )

    @app.get("/console", response_class=HTMLResponse)
    async def console(request: Request) -> Response:
        if not is_facilitator(request):
            return refuse()
        if "key" in request.query_params:
            resp: Response = RedirectResponse("/console", status_code=303)
            resp.set_cookie(FAC_COOKIE, state["key"], httponly=True, samesite="lax", max_age=86400)
            return resp
        if room.game is None:
            import sim
            from sim.game.engine import PRESETS

            scen = [s.id for s in sim.list_scenarios()]
            return page(request, "new_game.html", scenarios=scen, presets=PRESETS)
        view = await on_game(pages.console, room, str(request.base_url))
        return page(request, "console.html", s=view)

    @app.get("/console/live", response_class=HTMLResponse)
    async def console_live(request: Request) -> Response:
        if not is_facilitator(request):
            return refuse()
        view = await on_game(pages.console, room, str(request.base_url))
        return page(request, "console_live.html", s=view)

    @app.get("/console/roles")
    async def console_roles(request: Request, scenario: str = "baseline") -> JSONResponse:
        if not is_facilitator(request):
            return JSONResponse({"error": "facilitator only"}, status_code=403)
        return JSONResponse(await on_game(_roles_of, scenario))

    @app.post("/console/{action}")
    async def console_action(request: Request, action: str) -> JSONResponse:
        if not is_facilitator(request):
            return JSONResponse({"error": "facilitator only"}, status_code=403)
        d = await body(request)
        actions: dict[str, tuple[Callable[..., str], tuple[Any, ...]]] = {
            "new": (_new_game, (room, d)),
            "resolve": (room.resolve, (bool(d.get("force")),)),
            "card": (room.play_card, (str(d.get("card", "")),)),
            "override": (
                room.override,
                (str(d.get("role", "")), str(d.get("move", "")), str(d.get("reason", ""))),
            ),
            "undo": (room.undo, ()),
            "pause": (room.pause, ()),
            "resume": (room.resume, ()),
            "end": (room.end, ()),
            "timer": (room.start_timer, (_float(d.get("minutes"), 10.0),)),
            "timer-stop": (room.stop_timer, ()),
        }
        if action not in actions:
            return JSONResponse({"error": f"unknown action '{action}'"}, status_code=404)
        fn, args = actions[action]
        return await act(fn, *args)

    @app.get("/report.html")
    async def report(request: Request) -> Response:
        if room.game is None:
            return HTMLResponse("<p>No game yet.</p>", status_code=404)
        setup, rounds = await on_game(lambda: (room.game.setup.to_dict(), room.game.inputs()))
        text = await on_pool(work.report, setup, rounds)
        headers = {"Content-Disposition": 'inline; filename="report.html"'}
        return HTMLResponse(text, headers=headers)

    @app.get("/briefing", response_class=HTMLResponse)
    async def briefings(request: Request) -> Response:
        if not is_facilitator(request):
            return refuse()
        if room.game is None:
            return HTMLResponse("<p>No game yet.</p>", status_code=404)
        roles = [(rid, r.name) for rid, r in room.game.roles.items()]
        return page(request, "briefings.html", roles=roles)

    @app.get("/briefing/{role}", response_class=HTMLResponse)
    async def briefing(request: Request, role: str) -> Response:
        if not is_facilitator(request):
            return refuse()
        if room.game is None or role not in room.game.roles:
            return HTMLResponse("<p>No such role.</p>", status_code=404)
        return HTMLResponse(await on_game(_briefing, room, role))

    # ------------------------------------------------------------------ live updates
    @app.get("/events")
    async def events(request: Request) -> StreamingResponse:
        q: asyncio.Queue[int] = asyncio.Queue()
        hub.queues.add(q)

        async def stream() -> AsyncIterator[str]:
            try:
                yield f"retry: 1000\ndata: {hub.version}\n\n"
                while True:
                    try:
                        v = await asyncio.wait_for(q.get(), timeout=15)
                        yield f"data: {v}\n\n"
                    except TimeoutError:
                        yield ": keep-alive\n\n"  # proxies and phones drop silent streams
                    if await request.is_disconnected():
                        break
            finally:
                hub.queues.discard(q)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    # ------------------------------------------------------------------ explorer
    @app.get("/explore", response_class=HTMLResponse)
    async def explore(request: Request, scenario: str = "baseline") -> Response:
        import sim

        scen = [s.id for s in sim.list_scenarios()]
        if scenario not in scen:
            scenario = "baseline" if "baseline" in scen else scen[0]
        sliders = await on_game(_sliders, scenario)
        return page(
            request,
            "explore.html",
            scenarios=scen,
            scenario=scenario,
            sliders=sliders,
            metrics=METRICS,
        )

    @app.get("/api/explore")
    async def api_explore(request: Request) -> JSONResponse:
        q = request.query_params
        scenario = q.get("scenario", "baseline")
        try:
            overrides = await on_game(_overrides, scenario, dict(q))
        except (UserError, ScenarioError) as exc:
            return JSONResponse({"error": " ".join(exc.problems)}, status_code=400)
        t0 = time.perf_counter()
        if q.get("mode") != "band":
            out = await on_pool(work.single, scenario, overrides)
            out["why"] = _why_rows(out["why"])
            out["ms"] = 1000 * (time.perf_counter() - t0)
            return JSONResponse(out)
        n = max(2, min(int(_float(q.get("seeds"), BAND_SEEDS)), 64))
        chunks = [list(range(i, n, workers)) for i in range(workers)]
        jobs = [on_pool(work.series_many, scenario, overrides, c) for c in chunks]
        jobs += [on_pool(work.series_many, scenario, {}, c) for c in chunks]
        got = await asyncio.gather(*jobs)
        run = [r for part in got[:workers] for r in part]
        base = [r for part in got[workers:] for r in part]
        svg = await on_pool(work.draw, run, base, f"band: 10th-90th percentile over {n} seeds")
        why = _why_rows(work.why(run, base))
        return JSONResponse(
            {"svg": svg, "why": why, "seeds": n, "ms": 1000 * (time.perf_counter() - t0)}
        )

    return app


# ---------------------------------------------------------------------- helpers (game thread)
def _float(v: Any, default: float) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def _briefing(room: Room, role: str) -> str:
    from sim.game.report import briefing_blocks, render_html

    g = room.game
    return render_html(briefing_blocks(g, role), f"Briefing: {g.roles[role].name}")


def _roles_of(scenario: str) -> dict[str, Any]:
    from sim.config.loader import load_scenario
    from sim.game.bots import BOT_DOCS
    from sim.game.roles import build_roles, read_role_file

    try:
        roles = build_roles(load_scenario(scenario), read_role_file())
    except (UserError, ScenarioError) as exc:
        return {"error": " ".join(exc.problems)}
    return {
        "roles": [
            {"id": rid, "name": r.name, "kind": r.kind, "bot": r.bot} for rid, r in roles.items()
        ],
        "bots": {k: list(v) for k, v in BOT_DOCS.items()},
    }


def _new_game(room: Room, d: dict[str, Any]) -> str:
    humans = [str(h) for h in d.get("humans", []) if str(h).strip()]
    bots = {str(k): str(v) for k, v in dict(d.get("bots", {})).items() if v and v != "scenario"}
    rounds = int(_float(d.get("rounds"), 0)) or None
    ypr = int(_float(d.get("years_per_round"), 0)) or None
    room.new_game(
        str(d.get("scenario", "baseline")),
        humans,
        bots,
        preset=str(d.get("preset", "90")),
        rounds=rounds,
        years_per_round=ypr,
        seed=int(_float(d.get("seed"), 0)),
    )
    return f"Game created: {len(humans)} team(s) played by people."


def _sliders(scenario: str) -> list[dict[str, Any]]:
    """The explorer's sliders that exist in ``scenario``, with the scenario's own values."""
    from sim.config.loader import load_scenario
    from sim.config.paths import check_param_path
    from sim.model.model import ComputeRaceModel

    scen = load_scenario(scenario)
    model = ComputeRaceModel(scen, seed=0)
    out = []
    for s in SLIDERS:
        probe = False if s.kind == "bool" else s.lo
        if check_param_path(scen, s.path, probe) is not None:
            continue
        try:
            value = model.get_param(s.path)
        except (AttributeError, KeyError):
            continue
        row = {**s.__dict__, "value": value, "id": s.path.replace(".", "-")}
        # Put the scenario's own value on the slider's grid: a range input snaps to lo + k x step,
        # so 4,800 TPP would show, and run, as 5,000.
        steps = (value - s.lo) / s.step if s.kind != "bool" and s.lo <= value <= s.hi else 0.0
        if abs(steps - round(steps)) > 1e-9:
            row["lo"] = value - math.floor(steps) * s.step
        out.append(row)
    return out


def _overrides(scenario: str, q: dict[str, str]) -> dict[str, Any]:
    """Slider values from the query (``v.PATH=value``) that differ from the scenario's."""
    from sim.config.loader import load_scenario
    from sim.config.paths import check_param_path

    scen = load_scenario(scenario)
    known = {s["path"]: s for s in _sliders(scenario)}
    out: dict[str, Any] = {}
    for k, raw in q.items():
        if not k.startswith("v."):
            continue
        path = k[2:]
        if path not in known:
            raise UserError(f"explore: '{path}' is not one of the explorer's levers")
        s = known[path]
        value: Any = (
            raw.lower() in ("1", "true", "yes", "on")
            if s["kind"] == "bool"
            else _float(raw, s["value"])
        )
        err = check_param_path(scen, path, value)
        if err:
            raise UserError(f"explore: {path}: {err}")
        if value != s["value"]:
            out[path] = value
    return out


def _why_rows(w: dict[str, float]) -> dict[str, Any]:
    """'Why did it move' as display rows: the change against the baseline in OOM per part."""
    labels = {
        "d_oom_compute": "more or less compute",
        "d_oom_efficiency": "own efficiency research",
        "d_oom_catchup": "catch-up (copying the leader)",
    }
    m = METRICS[0]
    rows = [{"label": labels[k], "value": w[k], "text": f"{w[k]:+.2f} OOM"} for k in labels]
    top = max((abs(r["value"]) for r in rows), default=0.0) or 1.0
    for r in rows:
        r["width"] = round(100 * abs(r["value"]) / top)
        r["sign"] = "up" if r["value"] >= 0 else "down"
    d = w["metric_end"] - w["metric_end_base"]
    unit = " months" if m.fmt == "months" else ""
    end = (
        f"{m.label} in the last year: {w['metric_end']:.1f}{unit} vs {w['metric_end_base']:.1f} "
        f"in the baseline ({d:+.1f})"
    )
    return {"rows": rows, "end": end, "json": json.dumps(w)}
