"""``sputnik play``: the workshop game in the terminal (parsing only; the engine does the work)."""

from __future__ import annotations

import argparse
from typing import Any

from sim.cli import add_set_option, count_arg, seed_arg

DESCRIPTION = """Play the workshop game. People take roles (nations and labs) at this terminal, a
script plays prepared moves, and bots play every other role. Moves are secret and resolve together;
each round is one or more model years. Save with --save, continue with --resume, fork with
--resume OLD.db --from-round N --save NEW.db. Reports go to --out DIR."""


def register(subparsers: Any) -> None:
    """Add the ``play`` subcommand."""
    p = subparsers.add_parser(
        "play", help="play the turn-based workshop game", description=DESCRIPTION
    )
    p.add_argument("scenario", nargs="?", help="scenario id or file (not needed with --resume)")
    p.add_argument(
        "--roles", help="roles played by people here, comma-separated (e.g. usa,deepseek-like)"
    )
    p.add_argument("--bots", action="store_true", help="every role is played by a bot")
    p.add_argument(
        "--bot",
        action="append",
        default=[],
        metavar="ROLE=STRATEGY",
        help="choose a role's bot (repeatable), e.g. china=hawkish",
    )
    p.add_argument(
        "--script",
        help="moves file (TOML) for scripted roles; see scenarios/games/example-moves.toml",
    )
    p.add_argument("--save", help="save the game to this SQLite file after every round")
    p.add_argument("--resume", help="continue a saved game")
    p.add_argument(
        "--from-round",
        type=count_arg,
        help="with --resume: fork, replaying the rounds before N (needs --save NEW.db)",
    )
    p.add_argument(
        "--out",
        help="write the after-action report (report.md, report.html, charts) to this directory",
    )
    p.add_argument(
        "--years-per-round",
        type=count_arg,
        help="model years per round (default: the 90-minute preset's when people play, else 1)",
    )
    p.add_argument(
        "--rounds",
        type=count_arg,
        help="stop after this many rounds (default: 6 when people play, a 90-minute workshop; "
        "else to the scenario's last year)",
    )
    p.add_argument(
        "--preset",
        choices=["60", "90"],
        help="workshop length in minutes: sets --rounds and --years-per-round (default 90 with people)",
    )
    p.add_argument(
        "--briefing",
        metavar="DIR",
        help="write a printable briefing pack per role (HTML) to DIR, then exit",
    )
    p.add_argument("--seed", type=seed_arg, help="random seed (default 0)")
    add_set_option(
        p,
        "set an assumption or starting value for a new game, e.g. world.diffusion=2 "
        "(a TOML literal; repeatable); the saved game keeps it",
    )
    p.add_argument("--deck", help="inject-card deck (TOML); default scenarios/games/deck.toml")
    p.add_argument(
        "--role-file", help="role briefs and scoring (TOML); default scenarios/games/roles.toml"
    )
    p.add_argument(
        "--list-roles", action="store_true", help="show roles, levers, bots and cards, then exit"
    )
    p.set_defaults(func=handle)


def _parse_bots(items: list[str]) -> dict[str, str]:
    from sim.errors import UserError

    out = {}
    for it in items:
        role, sep, name = it.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise UserError(f"--bot {it}: use ROLE=STRATEGY, e.g. china=hawkish")
        out[role.strip()] = name.strip()
    return out


def _split_roles(text: str | None) -> list[str]:
    return [r.strip() for r in (text or "").split(",") if r.strip()]


def _build(args: argparse.Namespace) -> Any:
    """The Game for these arguments (new, resumed or branched), with its store attached."""
    from sim.config.loader import load_scenario
    from sim.errors import UserError
    from sim.game.cards import read_deck
    from sim.game.engine import DEFAULT_PRESET, PRESETS, Game, GameSetup
    from sim.game.roles import read_role_file
    from sim.game.script import normalise_roles, read_script
    from sim.game.store import Store, branch

    if args.resume and args.scenario:
        raise UserError(
            f"play: a resumed game keeps its own scenario; drop '{args.scenario}' or start a new game without --resume"
        )
    if args.resume and args.set:
        raise UserError(
            "play: a resumed game keeps its own assumptions; --set applies to a new game only"
        )
    if args.out:  # checked and created before round 1, not after the game
        from sim.outputs import prepare_dir

        prepare_dir(args.out)
    script = read_script(args.script) if args.script else None
    if args.resume:
        if args.from_round is not None:
            if not args.save:
                raise UserError("--from-round: add --save NEW.db so the original game is kept")
            setup, rounds, store = branch(args.resume, args.save, args.from_round)
        else:
            store = Store.open(args.resume)
            setup, rounds = store.setup(), store.rounds()
            if args.save and args.save != args.resume:
                store.close()
                store = Store.create(args.save, setup, rounds)
        if args.roles is not None:
            setup.humans = _split_roles(args.roles)
        if args.bots:
            setup.humans = []
        if script:
            setup.script = script["rounds"]
        setup.bots.update(_parse_bots(args.bot))
        game = Game(setup, rounds)
        game.store = store
    else:
        if args.from_round is not None:
            raise UserError("--from-round: only with --resume SAVED.db")
        meta = script["meta"] if script else {}
        name = args.scenario or meta.get("scenario")
        if not name:
            raise UserError(
                "play: name a scenario (e.g. sputnik play baseline --bots) or --resume a saved game"
            )
        if not (args.roles or script or args.bots or args.list_roles or args.briefing):
            raise UserError(
                "play: choose who plays: --roles usa,deepseek (people here), --script moves.toml, or --bots"
            )
        from sim.cli import parse_overrides

        scen = load_scenario(name, parse_overrides(args.set, None) or None)
        bots = dict(meta.get("bots", {}))
        bots.update(_parse_bots(args.bot))
        rounds, ypr = args.rounds, args.years_per_round or meta.get("years_per_round")
        people = bool(_split_roles(args.roles)) and not args.bots
        if args.preset or (people and rounds is None and ypr is None):
            # A workshop: ~10 minutes a round, the rounds spread over the horizon (not 21 rounds).
            preset = PRESETS[args.preset or DEFAULT_PRESET]
            rounds = rounds or preset.rounds
            ypr = ypr or preset.years_per_round(scen)
        setup = GameSetup(
            scen.model_dump(mode="json"),
            str(name),
            seed=args.seed if args.seed is not None else int(meta.get("seed", 0)),
            years_per_round=int(ypr or 1),
            max_rounds=rounds,
            humans=[] if args.bots else _split_roles(args.roles),
            bots=bots,
            script=script["rounds"] if script else {},
            deck=read_deck(args.deck),
            role_file=read_role_file(args.role_file),
        )
        game = Game(setup)
        if args.save and not (args.list_roles or args.briefing):
            game.store = Store.create(args.save, setup)
    if args.rounds is not None and args.resume:
        game.setup.max_rounds = args.rounds
    normalise_roles(game, args.script or "script")
    both = set(game.setup.humans) & game.script_roles
    if both:
        raise UserError(
            f"--roles and --script both move {', '.join(sorted(both))}; a role has one player"
        )
    if game.store is not None:
        game.store.update_setup(game.setup)
    return game


def _list_roles(game: Any) -> None:
    from sim.game.bots import BOT_DOCS

    for rid, r in game.roles.items():
        print(f"{rid:10} {r.kind:6} {r.name}  [bot: {game.setup.bots.get(rid, r.bot)}]")
        for lv in r.levers:
            print(f"    {lv.name:24} {lv.bounds_text():22} {lv.explain}")
    for kind, docs in BOT_DOCS.items():
        print(f"\n{kind} bots:")
        for name, doc in docs.items():
            print(f"    {name:17} {doc}")
    print("\ncards:")
    for c in game.deck.values():
        print(
            f"    {c.id:22} {c.title}: {c.describe_trigger()}"
            + (f" (not in this scenario: {c.unavailable})" if c.unavailable else "")
        )


def handle(args: argparse.Namespace) -> int:
    """Run ``sputnik play``."""
    from sim.game import terminal
    from sim.game.report import prediction_scores, scores, write_report
    from sim.game.script import apply_script_round

    game = _build(args)
    if args.list_roles:
        _list_roles(game)
        return 0
    if args.briefing:
        from sim.game.report import write_briefings

        paths = write_briefings(game, args.briefing)
        print(
            f"Briefing packs: {len(paths)} roles in {args.briefing}/ (open index.html, print each)"
        )
        return 0
    s = game.scenario
    if game.mismatches:
        print(
            f"warning: replaying the save gives different results from round {game.mismatches[0]} on (the model changed since it was saved)"
        )
    people = ", ".join(game.setup.humans) or "none"
    rounds = f"{game.setup.max_rounds} rounds" if game.setup.max_rounds else "to the last year"
    print(
        f"Sputnik Moment game: {s.title} [{s.id}], seed {game.setup.seed}, {rounds}, "
        f"{game.setup.years_per_round} year(s) per round"
    )
    print(
        f"People: {people}; script: {', '.join(sorted(game.script_roles)) or 'none'}; every other role: bot"
    )
    if game.store is None and game.setup.humans:
        print(
            "warning: no --save file: this game will not be saved (a crash or Ctrl-D loses it); "
            "add --save game.db to keep it"
        )
    if game.log:
        print(
            f"Resumed after round {len(game.log)} ({game.log[-1]['years'][-1] if game.log[-1]['years'] else ''})."
        )
    status = "over"
    if game.over:
        print("The game is over.")
    elif game.setup.humans:
        status = terminal.play(game)
    else:
        while not game.over:
            apply_script_round(game)
            terminal.show_result(game, game.resolve())
    if status == "over":
        for row in scores(game):
            print(f"Score {row['role']}: {row['score']:.0f}/100")
        preds: dict[str, list[float]] = {}
        for p in prediction_scores(game):
            preds.setdefault(p["role"], []).append(p["accuracy"])
        for rid, acc in preds.items():
            print(
                f"Predictions {rid}: {len(acc)} made, mean accuracy {sum(acc) / len(acc):.0f}/100"
            )
        if args.out:
            path = write_report(game, args.out)
            print(f"Report: {path} (and report.html, charts, moves.toml, policy.toml)")
        elif not args.list_roles:
            print("(add --out DIR for the after-action report)")
    if game.store is not None:
        game.store.close()
    return 0
