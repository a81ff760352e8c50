"""View models for the web pages: plain dicts built on the game thread, rendered by templates.

``public`` is what anyone in the room may see; ``team`` adds one team's own state, pending move
and proposals (and nothing of any other team's pending move); ``console`` adds the facilitator's
tools. Numbers are formatted here, projector-style (:mod:`sim.game.views`).
"""

from __future__ import annotations

from typing import Any

from sim.game import views
from sim.game.levers import fmt_value
from sim.palette import ORIGIN_LABELS, nation_colour
from sim.web.room import Room


def _fv(path: str, v: Any, unit: str = "") -> str:
    return fmt_value(v, unit or ("USD" if path.endswith("_usd") else ""))


def public(room: Room) -> dict[str, Any]:
    """Status, the last round's results (nations, labs, cards with story and effect, revealed
    moves) for every page."""
    out = room.status()
    g = room.game
    if g is None:
        return out
    names = {k: v.name for k, v in g.scenario.nations.items()}
    out["names"] = names
    out["colours"] = {k: nation_colour(k, i) for i, k in enumerate(g.scenario.nations)}
    out["queued"] = [g.deck[c].title for c in g.queued_cards]
    if not g.log:
        out["last"] = None
        return out
    rec = g.log[-1]
    res = g.result_of(rec)
    yrs = rec["years"]
    nations = [
        {
            "id": n["nation"],
            "name": names[n["nation"]],
            "lag": views.fmt(n["lag_months"], "months"),
            "d_lag": views.fmt_signed(n["d_lag"], "months"),
            "share": views.fmt(n["compute_share"], "pct"),
            "parts": [f"{n.get(p, 0.0):+.2f}" for p in views.NATION_PARTS],
        }
        for n in res.nations
    ]
    labs = sorted(g.lab_results(), key=lambda r: r["lag_months"] or 0.0)
    cards = [
        {
            "title": f["title"],
            "year": f["year"],
            "how": f["how"],
            "text": f.get("text", ""),
            "effect": ", ".join(f"{p} = {_fv(p, v)}" for p, v in f.get("set", {}).items()),
            "held": f.get("held", []),
        }
        for f in rec["fired"]
    ]
    moves = []
    for rid, ch in rec["effective"].items():
        levers = {lv.path: lv for lv in g.roles[rid].levers}
        shown = ", ".join(
            f"{levers[p].name if p in levers else p} = {_fv(p, v, levers[p].unit if p in levers else '')}"
            for p, v in ch.items()
        )
        who = "facilitator override" if rid in rec["overrides"] else rec["moves"][rid]["by"]
        moves.append({"role": g.roles[rid].name, "by": who, "text": shown})
    out["last"] = {
        "round": rec["round"],
        "span": f"{yrs[0]}" if len(yrs) == 1 else f"{yrs[0]}-{yrs[-1]}",
        "nations": nations,
        "labs": [
            {
                "name": r["name"],
                "nation": names.get(r["nation"], r["nation"]),
                "lag": views.fmt(r["lag_months"], "months"),
                "d_lag": views.fmt_signed(r["d_lag"], "months"),
            }
            for r in labs
        ],
        "cards": cards,
        "moves": moves,
        "proposals": len(rec.get("proposals", [])),
    }
    return out


def team(room: Room, role: str) -> dict[str, Any]:
    """One team's page: brief, own state, proposals, levers (with its own pending move)."""
    g = room.game
    out = public(room)
    r = g.roles[role]
    cur = g.current_values(role)
    pending = g.pending_move(role) or {}
    st = g.team_state(role)
    out["me"] = {
        "role": role,
        "name": r.name,
        "kind": r.kind,
        "brief": r.brief,
        "objectives": list(r.objectives),
        "submitted": g.has_submitted(role),
        "headline": r.headline,
        "prediction": (g.prediction_of(role) or {}).get("value"),
        "state": [(label, views.fmt(v, how)) for label, v, how in st["rows"]],
        "d_lag": views.fmt_signed(st["d_lag"], "months") if st["d_lag"] is not None else "",
        "origins": [
            (ORIGIN_LABELS.get(o, o), views.fmt_count(v))
            for o, v in st["origins"].items()
            if v is not None and v > 0
        ],
        "levers": [
            {
                "name": lv.name,
                "kind": lv.kind,
                "explain": lv.explain,
                "bounds": lv.bounds_text(),
                "choices": list(lv.choices),
                "now": fmt_value(cur[lv.path], lv.unit),
                "value": fmt_value(pending.get(lv.path, cur[lv.path]), lv.unit),
                "raw": pending.get(lv.path, cur[lv.path]),
                "changed": lv.path in pending,
            }
            for lv in r.levers
        ],
        "proposals": [
            {
                "id": p["id"],
                "title": p["title"],
                "source": p["source"],
                "year": p["year"],
                "lever": p["lever"],
                "old": _fv(p["path"], p["old"], p.get("unit", "")),
                "new": _fv(p["path"], p["new"], p.get("unit", "")),
                "decision": p["decision"],
            }
            for p in g.proposals_for(role)
        ],
    }
    return out


def console(room: Room, base_url: str) -> dict[str, Any]:
    """The facilitator's view: seats with links and QR codes, cards, the decision log."""
    out = public(room)
    g = room.game
    if g is None:
        return out
    import segno

    from sim.game.report import decision_rows

    seats = []
    for rid, seat in room.seats.items():
        link = f"{base_url}team/{seat['token']}"
        seats.append(
            {
                "role": rid,
                "name": g.roles[rid].name,
                "link": link,
                "code": seat["code"],
                "qr": segno.make(link).svg_inline(scale=3, title=f"Join link for {rid}"),
            }
        )
    out["seats"] = seats
    out["cards"] = [
        {"id": c.id, "title": c.title, "when": c.describe_trigger()}
        for c in g.deck.values()
        if not c.unavailable and c.id not in g.fired and c.id not in g.queued_cards
    ]
    out["roles"] = [
        {"id": rid, "name": r.name, "levers": ", ".join(lv.name for lv in r.levers)}
        for rid, r in g.roles.items()
    ]
    out["log"] = decision_rows(g)[-60:][::-1]
    out["pending_count"] = g.submitted_count()
    out["waiting"] = g.waiting_for()
    out["round_minutes"] = g.setup.web.get("round_minutes", 10)
    return out
