"""After-action report: decision log, trajectories against a bots-only counterfactual, scores,
predictions, cards fired and turning points, as ``report.md`` (with SVG chart files beside it)
and ``report.html``, one self-contained file (charts inline as SVG) that can be e-mailed alone.
Also the printable briefing pack per role (:func:`write_briefings`).

The counterfactual is the same game (scenario, seed, rounds, deck, hand-played cards) with every
role played by its bot. A turning point is a move or card whose removal changes a trajectory
most; it is estimated by re-running the game without it (all other logged moves kept).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.game import metrics, views
from sim.game.engine import Game, GameSetup, autoplay
from sim.game.levers import fmt_value

MAX_CANDIDATES = 40  # re-runs for turning points; each costs one game re-run (~ms per year)


def counterfactual(game: Game) -> Game:
    """The same game played by bots alone from the same seed (hand-played cards kept)."""
    s = game.setup
    cards = {
        str(r["round"]): {"cards": list(r["manual_cards"])} for r in game.log if r["manual_cards"]
    }
    setup = GameSetup(
        s.scenario,
        s.source,
        s.seed,
        s.years_per_round,
        len(game.log),
        [],
        dict(s.bots),
        cards,
        s.deck,
        s.role_file,
    )
    cf = Game(setup)
    autoplay(cf)
    return cf


def _without(game: Game, kind: str, rnd: int, key: str) -> Game:
    """Re-run ``game`` without one move (kind ``move``) or one card (kind ``card``)."""
    rounds = []
    suppress: set[str] = set()
    for rec in game.log:
        # everything the replay reads (held levers and decisions too: without them events and
        # cards would overwrite the teams' levers and every re-run would differ from the start)
        keep = ("round", "moves", "overrides", "manual_cards", "predictions", "held", "decisions")
        r = {k: rec[k] for k in keep if k in rec}
        if rec["round"] == rnd and kind == "move":
            r["moves"] = {k: v for k, v in r["moves"].items() if k != key}
            r["overrides"] = {k: v for k, v in r["overrides"].items() if k != key}
        if kind == "card":
            r["manual_cards"] = [c for c in r["manual_cards"] if c != key]
            suppress.add(key)
        rounds.append(r)
    return Game(GameSetup.from_dict(game.setup.to_dict()), rounds, suppress=suppress)


@dataclass
class TurningPoint:
    """A move or card and how much removing it would have changed the game."""

    round: int
    year: int
    what: str
    nation: str
    at_year: int
    actual: float
    without: float
    oom_change: float

    @property
    def impact(self) -> float:
        """Months of lag the move or card was worth (absolute)."""
        return abs(self.actual - self.without)


def turning_points(game: Game, n: int = 5) -> list[TurningPoint]:
    """The ``n`` (3-5 when there are enough) moves and cards whose removal moves a lag most."""
    cands: list[tuple[str, int, int, str, str]] = []
    for rec in game.log:
        for rid, ch in rec["effective"].items():
            by = "override" if rid in rec["overrides"] else rec["moves"][rid]["by"]
            text = ", ".join(f"{p.split('.')[-1]} = {_fv(p, v)}" for p, v in ch.items())
            cands.append(("move", rec["round"], rec["year"], rid, f"{rid} ({by}): {text}"))
        for f in rec["fired"]:
            if f["how"] != "ends":
                cands.append(
                    ("card", rec["round"], f["year"], f["card"], f"card: {f['title']} ({f['how']})")
                )
    # Prefer people's moves and cards over bot moves when the budget of re-runs is short.
    cands.sort(key=lambda c: ("bot:" in c[4], c[1]))
    cols = ["year", "nation", "lag_months", "oom"]
    base = game.tables()["nations"][cols].set_index(["year", "nation"])
    out: list[TurningPoint] = []
    for kind, rnd, year, key, text in cands[:MAX_CANDIDATES]:
        alt = _without(game, kind, rnd, key).tables()["nations"][cols]
        j = alt.merge(base.add_suffix("_game").reset_index(), on=["year", "nation"]).dropna()
        if not len(j):
            continue
        d = (j["lag_months_game"] - j["lag_months"]).abs()
        r = j.loc[d.idxmax()]
        if d.max() > 1e-6:
            out.append(
                TurningPoint(
                    rnd,
                    year,
                    text,
                    str(r["nation"]),
                    int(r["year"]),
                    float(r["lag_months_game"]),
                    float(r["lag_months"]),
                    float(r["oom_game"] - r["oom"]),
                )
            )
    out.sort(key=lambda t: -t.impact)
    return out[:n]


def scores(game: Game) -> list[dict[str, Any]]:
    """Each role's score (0-100) against its goals on the game's last year, for roles people or a script played."""
    rows = []
    for rid, r in game.roles.items():
        if game.player_of(rid).startswith("bot:") or not r.goals:
            continue
        total = sum(g.weight for g in r.goals)
        parts = []
        for g in r.goals:
            v = metrics.value(game.model, g.metric)
            parts.append((g, v, g.achievement(None if v is None else float(v))))
        score = 100 * sum(g.weight * a for g, _, a in parts) / total if total else 0.0
        rows.append({"role": rid, "score": score, "parts": parts})
    return rows


def prediction_scores(game: Game) -> list[dict[str, Any]]:
    """Every prediction with its outcome; accuracy = 100 x (1 - |error| / max(|actual|, |predicted|))."""
    out = []
    for rec in game.log:
        for rid, p in rec["predictions"].items():
            act = rec["actuals"].get(rid)
            if act is None:
                continue
            denom = max(abs(act), abs(p["value"]), 1e-9)
            out.append(
                {
                    "round": rec["round"],
                    "role": rid,
                    "metric": p["metric"],
                    "predicted": p["value"],
                    "actual": float(act),
                    "error": p["value"] - act,
                    "accuracy": 100 * max(0.0, 1 - abs(p["value"] - act) / denom),
                }
            )
    return out


def _figures(game: Game, cf: Game) -> list[tuple[str, str, str]]:
    """(file name, title, svg) of the report's figures: game solid, bots only dashed."""
    from sim.game import figures
    from sim.game.roles import rival_of

    names = {k: v.name for k, v in game.scenario.nations.items()}
    c = game.scenario.controls
    focus = rival_of(game.scenario, c.controller) or next(iter(game.scenario.nations))
    out = figures.game_figures(game.tables(), names, focus, cf.tables()["nations"])
    return [(f"chart_{i + 1}.svg", title, svg) for i, (title, svg) in enumerate(out)]


def _fv(path: str, value: Any) -> str:
    """A lever value for the log: money as ``$150B``, the rest as :func:`fmt_value` does."""
    return fmt_value(value, "USD" if path.endswith("_usd") else "")


def decision_rows(game: Game) -> list[list[Any]]:
    """The decision log: every move, override, card, proposal and every change to a team's
    lever with who made it, round by round."""
    rows: list[list[Any]] = []
    for rec in game.log:
        rnd, year = rec["round"], rec["year"]
        for u in rec.get("undone", []):
            what = f"undid round {u['round']} ({', '.join(map(str, u['years']))}); its moves went back to the teams"
            rows.append([rnd, year, "facilitator", "facilitator", what])
        for rid, mv in rec["moves"].items():
            ch = rec["effective"].get(rid, {}) if rid not in rec["overrides"] else {}
            txt = ", ".join(f"{p} = {_fv(p, v)}" for p, v in mv["set"].items())
            note = "" if ch or rid in rec["overrides"] else " (no change)"
            rows.append([rnd, year, rid, mv["by"], "move: " + txt + note])
        for rid in rec.get("missing", []):
            rows.append([rnd, year, rid, "facilitator", "resolved without this team's move"])
        for rid, ov in rec["overrides"].items():
            txt = ", ".join(f"{p} = {_fv(p, v)}" for p, v in ov["set"].items())
            rows.append(
                [rnd, year, rid, "facilitator", f"override: {txt} (reason: {ov['reason']})"]
            )
        for cid in rec["manual_cards"]:
            rows.append([rnd, year, "facilitator", "facilitator", f"played card {cid}"])
        for rid, ds in rec.get("decisions", {}).items():
            for d in ds:
                verb = "accepted" if d["accepted"] else "refused"
                rows.append(
                    [
                        rnd,
                        d["year"],
                        rid,
                        rid,
                        f"{verb}: {d['title']} ({d['path']} "
                        f"{_fv(d['path'], d['old'])} -> {_fv(d['path'], d['new'])})",
                    ]
                )
        for p in rec.get("proposals", []):
            owner = game.owner_of(p["path"]) or "-"
            rows.append(
                [
                    rnd,
                    p["year"],
                    owner,
                    p["source"],
                    f"proposed, not applied (team holds the "
                    f"lever): {p['title']}: {p['path']} {_fv(p['path'], p['old'])} -> {_fv(p['path'], p['new'])}",
                ]
            )
        for c in rec.get("changes", []):
            if c["role"] is None or c["by"] == "model":  # yearly drift of a strategy rule
                continue
            rows.append(
                [
                    rnd,
                    c["year"],
                    c["role"],
                    c["by"],
                    f"changed {c['path']}: "
                    f"{_fv(c['path'], c['old'])} -> {_fv(c['path'], c['new'])} ({c['what']})",
                ]
            )
    for u in game.undone:  # undone, the round not yet played again
        what = f"undid round {u['round']} ({', '.join(map(str, u['years']))}); its moves went back to the teams"
        rows.append([game.round, game.year, "facilitator", "facilitator", what])
    return rows


def build_blocks(
    game: Game, cf: Game, charts: list[tuple[str, str, str]], tps: list[TurningPoint]
) -> list[tuple]:
    """The report as blocks: ("h1"|"h2"|"p", text), ("table", header, rows),
    ("svg", file, title, svg)."""
    s = game.scenario
    yrs = [y for r in game.log for y in r["years"]]
    span = f"{yrs[0]}-{yrs[-1]}" if yrs else "no rounds played"
    b: list[tuple] = [("h1", f"After-action report: {s.title}")]
    players = ", ".join(
        f"{rid} ({game.player_of(rid)})"
        for rid in game.roles
        if not game.player_of(rid).startswith("bot:scenario")
    )
    b.append(
        (
            "p",
            f"Scenario {s.id}, seed {game.setup.seed}, {len(game.log)} round(s) of {game.setup.years_per_round} year(s): {span}. "
            f"Players: {players or 'bots only'}. Every other role was played by the 'scenario' bot (no moves).",
        )
    )
    b.append(("h2", "Turning points"))
    if tps:
        b.append(
            (
                "p",
                "Moves and cards whose removal changes a nation's lag most, found by re-running the game without each one.",
            )
        )
        b.append(
            (
                "table",
                ["round", "year", "move or card", "biggest effect"],
                [
                    [
                        t.round,
                        t.year,
                        t.what,
                        f"{t.nation} lag in {t.at_year}: {t.actual:.1f} months, {t.without:.1f} without it "
                        f"({t.actual - t.without:+.1f}; OOM {t.oom_change:+.2f})",
                    ]
                    for t in tps
                ],
            )
        )
    else:
        b.append(("p", "No move or card changed any nation's trajectory."))
    b.append(("h2", "Scores"))
    sc = scores(game)
    if sc:
        rows = []
        for r in sc:
            detail = "; ".join(
                f"{g.label or g.metric} {g.op} {g.target:g}: {'-' if v is None else f'{float(v):.3g}'} ({a:.0%})"
                for g, v, a in r["parts"]
            )
            rows.append([r["role"], f"{r['score']:.0f}", detail])
        b.append(("table", ["role", "score /100", "goals: outcome (achieved)"], rows))
    else:
        b.append(("p", "No role was played by a person or a script."))
    b.append(("h2", "Predictions"))
    ps = prediction_scores(game)
    if ps:
        b.append(
            (
                "table",
                ["round", "role", "metric", "predicted", "actual", "accuracy"],
                [
                    [
                        p["round"],
                        p["role"],
                        p["metric"],
                        f"{p['predicted']:.3g}",
                        f"{p['actual']:.3g}",
                        f"{p['accuracy']:.0f}",
                    ]
                    for p in ps
                ],
            )
        )
    else:
        b.append(("p", "No predictions were made."))
    b.append(("h2", "Cards fired"))
    fired = [
        [
            r["round"],
            f["year"],
            f["title"],
            f["how"],
            f.get("text", ""),
            ", ".join(f"{p} = {_fv(p, v)}" for p, v in f.get("set", {}).items())
            + (f" (held by a team, not applied: {', '.join(f['held'])})" if f.get("held") else ""),
        ]
        for r in game.log
        for f in r["fired"]
    ]
    b.append(
        ("table", ["round", "year", "card", "how", "story", "what it changed"], fired)
        if fired
        else ("p", "No cards fired.")
    )
    b.append(("h2", "Trajectories: game (solid) against bots only (dashed)"))
    b.append(("p", "Thin lines are labs, in a shade of their nation's colour."))
    for name, title, svg in charts:
        b.append(("svg", name, title, svg))
    final = game.tables()["nations"]
    cfin = cf.tables()["nations"]
    if len(final):
        last = final.year.max()
        rows = []
        for nid in s.nations:
            a = final[(final.year == last) & (final.nation == nid)].iloc[0]
            c = cfin[(cfin.year == last) & (cfin.nation == nid)]
            cl = c.iloc[0].lag_months if len(c) else float("nan")
            rows.append(
                [
                    nid,
                    f"{a.oom:.2f}",
                    f"{a.lag_months:.1f}",
                    f"{cl:.1f}",
                    views.fmt(a.compute_share, "pct"),
                    views.fmt(a.smuggled_share, "pct"),
                    views.fmt_money(a.ai_spend_usd),
                ]
            )
        b.append(
            (
                "table",
                [
                    f"nation ({last})",
                    "OOM",
                    "lag (months)",
                    "lag, bots only",
                    "compute share",
                    "smuggled share",
                    "AI spending",
                ],
                rows,
            )
        )
    labs = game.lab_results()
    if labs:
        b.append(
            (
                "table",
                ["lab", "nation", "OOM", "lag (months)"],
                [
                    [r["name"], r["nation"], f"{r['oom']:.2f}", f"{r['lag_months']:.1f}"]
                    for r in sorted(labs, key=lambda r: r["lag_months"])
                ],
            )
        )
    b.append(("h2", "Decision log"))
    b.append(
        (
            "p",
            "Every move, override and card, every change to a team's lever and who made it, and "
            "every change the model only proposed because a team held the lever.",
        )
    )
    rows = decision_rows(game)
    b.append(
        ("table", ["round", "year", "role", "by", "what"], rows) if rows else ("p", "Nobody moved.")
    )
    return b


def render_md(blocks: list[tuple]) -> str:
    """Markdown for report blocks."""
    out = []
    for blk in blocks:
        kind = blk[0]
        if kind == "h1":
            out.append(f"# {blk[1]}\n")
        elif kind == "h2":
            out.append(f"## {blk[1]}\n")
        elif kind == "p":
            out.append(f"{blk[1]}\n")
        elif kind == "svg":
            out.append(f"![{blk[2]}]({blk[1]})\n")
        elif kind == "table":
            head, rows = blk[1], blk[2]
            cell = lambda x: str(x).replace("|", "\\|")  # noqa: E731
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "---|" * len(head))
            out += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
            out.append("")
    return "\n".join(out)


STYLE = (
    "body{font-family:system-ui,sans-serif;font-size:20px;line-height:1.4;max-width:70em;"
    "margin:1.5em auto;padding:0 1em;color:#111}h1{font-size:2em}h2{font-size:1.5em;"
    "margin-top:1.6em;border-bottom:2px solid #ddd}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #bbb;padding:4px 8px;vertical-align:top}th{background:#f0f0f0}"
    "figure{margin:1em 0}figure svg{max-width:100%;height:auto}"
    "@media print{body{font-size:12pt}figure{break-inside:avoid}}"
)


def render_html(blocks: list[tuple], title: str = "After-action report") -> str:
    """One self-contained HTML page for report blocks: charts inline as SVG, no other file."""
    e = html.escape
    body = []
    for blk in blocks:
        kind = blk[0]
        if kind in ("h1", "h2"):
            body.append(f"<{kind}>{e(blk[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{e(blk[1])}</p>")
        elif kind == "svg":
            body.append(f"<figure>{blk[3]}<figcaption>{e(blk[2])}</figcaption></figure>")
        elif kind == "table":
            head = "".join(f"<th>{e(str(h))}</th>" for h in blk[1])
            rows = "".join(
                "<tr>" + "".join(f"<td>{e(str(x))}</td>" for x in r) + "</tr>" for r in blk[2]
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )


def report_html(game: Game) -> str:
    """The after-action report of ``game`` as one self-contained HTML string."""
    cf = counterfactual(game)
    charts = _figures(game, cf) if game.log else []
    return render_html(build_blocks(game, cf, charts, turning_points(game)))


def briefing_blocks(game: Game, role: str) -> list[tuple]:
    """A role's printable briefing: brief, objectives, scoring, levers with bounds and starting
    values, what to predict, and the cards that may come up."""
    r = game.roles[game.role_id(role)]
    cur = game.current_values(r.id)
    b: list[tuple] = [("h1", f"Briefing: {r.name}"), ("p", r.brief)]
    s = game.scenario
    b.append(
        (
            "p",
            f"Scenario: {s.title}. The game starts in {s.horizon.start_year}; each round is "
            f"{game.setup.years_per_round} year(s). Moves are secret and resolve together.",
        )
    )
    if r.objectives:
        b += [("h2", "Objectives"), ("table", ["objective"], [[o] for o in r.objectives])]
    if r.goals:
        b.append(("h2", "How you are scored (0-100, on the last year)"))
        b.append(
            (
                "table",
                ["goal", "metric", "target", "weight"],
                [
                    [g.label or g.metric, g.metric, f"{g.op} {g.target:g}", f"{g.weight:g}"]
                    for g in r.goals
                ],
            )
        )
    b.append(("h2", "Your levers"))
    b.append(
        (
            "table",
            ["lever", "now", "range", "what it does"],
            [
                [lv.name, fmt_value(cur.get(lv.path), lv.unit), lv.bounds_text(), lv.explain]
                for lv in r.levers
            ],
        )
    )
    if r.headline:
        b.append(("p", f"Each round you predict {r.headline} at the end of the round."))
    b.append(("h2", "Your position now"))
    st = game.team_state(r.id)
    b.append(
        ("table", ["indicator", "value"], [[lab, views.fmt(v, how)] for lab, v, how in st["rows"]])
    )
    cards = [c for c in game.deck.values() if not c.unavailable]
    if cards:
        b.append(("h2", "News that may break (inject cards)"))
        b.append(("table", ["card", "when"], [[c.title, c.describe_trigger()] for c in cards]))
    return b


def write_briefings(game: Game, out: str | Path) -> list[Path]:
    """One printable HTML briefing per role (and ``index.html``) in ``out``; returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for rid, r in game.roles.items():
        p = out / f"briefing-{rid}.html"
        p.write_text(render_html(briefing_blocks(game, rid), f"Briefing: {r.name}"))
        paths.append(p)
    index = [("h1", f"Briefing packs: {game.scenario.title}")]
    index.append(
        (
            "table",
            ["role", "file"],
            [[r.name, f"briefing-{rid}.html"] for rid, r in game.roles.items()],
        )
    )
    (out / "index.html").write_text(render_html(index, "Briefing packs"))
    return paths


def write_report(game: Game, out: str | Path) -> Path:
    """Write report.md (+ SVG charts), report.html (self-contained), tables (CSV), moves.toml
    and policy.toml to ``out``."""
    from sim.game.script import export_script
    from sim.game.store import export_policy

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cf = counterfactual(game)
    tps = turning_points(game)
    charts = _figures(game, cf) if game.log else []
    for name, _title, svg in charts:
        (out / name).write_text(svg)
    blocks = build_blocks(game, cf, charts, tps)
    (out / "report.md").write_text(render_md(blocks))
    (out / "report.html").write_text(render_html(blocks))
    for name, df in game.tables().items():
        if name in ("years", "nations", "labs"):
            df.to_csv(out / f"{name}.csv", index=False)
    cf.tables()["nations"].to_csv(out / "nations_bots_only.csv", index=False)
    (out / "moves.toml").write_text(export_script(game))
    (out / "policy.toml").write_text(export_policy(game))
    return out / "report.md"
