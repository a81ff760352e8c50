"""After-action report: decision log, trajectories against a bots-only counterfactual, scores,
predictions, cards fired and turning points, as ``report.md``, ``report.html`` and PNG charts.

The counterfactual is the same game (scenario, seed, rounds, deck, hand-played cards) with every
role played by its bot. A turning point is a move or card whose removal changes a trajectory
most; it is estimated by re-running the game without it (all other logged moves kept).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.game import metrics
from sim.game.engine import Game, GameSetup, autoplay
from sim.game.levers import fmt_value

CHARTS = (
    ("oom", "Capability (OOM of effective training compute)"),
    ("lag_months", "Lag behind the frontier (months)"),
    ("compute_share", "Share of world AI compute"),
    ("efficiency_spend_share", "Spending split: share on efficiency R&D"),
    ("smuggled_share", "Smuggled share of compute"),
)
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
        r = {k: rec[k] for k in ("round", "moves", "overrides", "manual_cards", "predictions")}
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
            text = ", ".join(f"{p.split('.')[-1]} = {fmt_value(v)}" for p, v in ch.items())
            cands.append(("move", rec["round"], rec["year"], rid, f"{rid} ({by}): {text}"))
        for f in rec["fired"]:
            if f["how"] != "ends":
                cands.append(
                    ("card", rec["round"], f["year"], f["card"], f"card: {f['title']} ({f['how']})")
                )
    # Prefer people's moves and cards over bot moves when the budget of re-runs is short.
    cands.sort(key=lambda c: ("bot:" in c[4], c[1]))
    base = {(r.year, r.nation): (r.lag_months, r.oom) for r in game.model.nation_rows}
    out: list[TurningPoint] = []
    for kind, rnd, year, key, text in cands[:MAX_CANDIDATES]:
        alt = _without(game, kind, rnd, key)
        best = None
        for r in alt.model.nation_rows:
            a = base.get((r.year, r.nation))
            if a is None:
                continue
            d = abs(a[0] - r.lag_months)
            if best is None or d > best[0]:
                best = (d, r.nation, r.year, a[0], r.lag_months, a[1] - r.oom)
        if best and best[0] > 1e-6:
            out.append(TurningPoint(rnd, year, text, best[1], best[2], best[3], best[4], best[5]))
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


def _charts(game: Game, cf: Game, out: Path) -> list[tuple[str, str]]:
    from sim.plotting import pyplot

    plt = pyplot()

    g = game.tables()["nations"]
    c = cf.tables()["nations"]
    files = []
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for col, title in CHARTS:
        fig, ax = plt.subplots(figsize=(7, 3.6))
        for i, nid in enumerate(game.scenario.nations):
            colour = colours[i % len(colours)]
            a, b = g[g.nation == nid], c[c.nation == nid]
            ax.plot(a.year, a[col], color=colour, lw=2, label=f"{nid} (game)")
            ax.plot(b.year, b[col], color=colour, lw=1, ls="--", label=f"{nid} (bots only)")
        ax.set_title(title)
        ax.set_xlabel("year")
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        name = f"chart_{col}.png"
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        files.append((name, title))
    return files


def build_blocks(
    game: Game, cf: Game, charts: list[tuple[str, str]], tps: list[TurningPoint]
) -> list[tuple]:
    """The report as blocks: ("h1"|"h2"|"p", text), ("table", header, rows), ("img", file, alt)."""
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
    fired = [[r["round"], f["year"], f["title"], f["how"]] for r in game.log for f in r["fired"]]
    b.append(
        ("table", ["round", "year", "card", "how"], fired) if fired else ("p", "No cards fired.")
    )
    b.append(("h2", "Trajectories: game (solid) against bots only (dashed)"))
    for name, title in charts:
        b.append(("img", name, title))
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
                    f"{a.compute_share:.1%}",
                    f"{a.smuggled_share:.1%}",
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
                ],
                rows,
            )
        )
    b.append(("h2", "Decision log"))
    rows = []
    for rec in game.log:
        for rid, mv in rec["moves"].items():
            ch = rec["effective"].get(rid, {}) if rid not in rec["overrides"] else {}
            txt = ", ".join(f"{p} = {fmt_value(v)}" for p, v in mv["set"].items())
            rows.append(
                [
                    rec["round"],
                    rec["year"],
                    rid,
                    mv["by"],
                    txt + ("" if ch or rid in rec["overrides"] else " (no change)"),
                ]
            )
        for rid, ov in rec["overrides"].items():
            txt = ", ".join(f"{p} = {fmt_value(v)}" for p, v in ov["set"].items())
            rows.append(
                [
                    rec["round"],
                    rec["year"],
                    rid,
                    "facilitator override",
                    f"{txt} (reason: {ov['reason']})",
                ]
            )
        for cid in rec["manual_cards"]:
            rows.append([rec["round"], rec["year"], "facilitator", "card", cid])
    b.append(
        ("table", ["round", "year", "role", "by", "levers set"], rows)
        if rows
        else ("p", "Nobody moved.")
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
        elif kind == "img":
            out.append(f"![{blk[2]}]({blk[1]})\n")
        elif kind == "table":
            head, rows = blk[1], blk[2]
            cell = lambda x: str(x).replace("|", "\\|")  # noqa: E731
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "---|" * len(head))
            out += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
            out.append("")
    return "\n".join(out)


def render_html(blocks: list[tuple]) -> str:
    """A self-contained HTML page for report blocks (charts referenced next to it)."""
    e = html.escape
    body = []
    for blk in blocks:
        kind = blk[0]
        if kind in ("h1", "h2"):
            body.append(f"<{kind}>{e(blk[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{e(blk[1])}</p>")
        elif kind == "img":
            body.append(
                f'<figure><img src="{e(blk[1])}" alt="{e(blk[2])}"><figcaption>{e(blk[2])}</figcaption></figure>'
            )
        elif kind == "table":
            head = "".join(f"<th>{e(str(h))}</th>" for h in blk[1])
            rows = "".join(
                "<tr>" + "".join(f"<td>{e(str(x))}</td>" for x in r) + "</tr>" for r in blk[2]
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    style = "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}img{max-width:100%}"
    return f"<!doctype html><html><head><meta charset='utf-8'><title>After-action report</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n"


def write_report(game: Game, out: str | Path) -> Path:
    """Write report.md, report.html, charts, tables (CSV), moves.toml and policy.toml to ``out``."""
    from sim.game.script import export_script
    from sim.game.store import export_policy

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cf = counterfactual(game)
    tps = turning_points(game)
    charts = _charts(game, cf, out) if game.log else []
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
