"""``sputnik serve``: the workshop and classroom web app (parsing only)."""

from __future__ import annotations

import argparse
from typing import Any

DESCRIPTION = """Serve the workshop in the browser: a facilitator console, one page per team on its
own device, a projector view, a classroom explorer and the reports. Every page works offline
(nothing is fetched from the internet). The game is saved in --db after every round (the same
SQLite format as 'sputnik play --save'; 'sputnik play --resume FILE' opens it in the terminal)."""


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    p = subparsers.add_parser("serve", help="serve the workshop web app", description=DESCRIPTION)
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0: the room's wifi)"
    )
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--db", default="games.db", help="the game's save file (created or resumed)")
    p.add_argument("--key", help="facilitator key for the console link (default: random)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run ``sputnik serve`` until Ctrl-C."""
    from sim.errors import UserError

    try:
        import uvicorn

        from sim.web.app import create_app
    except ModuleNotFoundError as exc:
        raise UserError(
            f"serve: the web extra is not installed ({exc.name} missing): "
            "pip install 'sputnik-moment[web]'"
        ) from None
    if not 0 < args.port < 65536:
        raise UserError(f"--port {args.port}: choose a port between 1 and 65535")
    app = create_app(args.db, key=args.key)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    base = f"http://{shown}:{args.port}"
    print(f"Sputnik Moment on {base}  (game file: {args.db})")
    print(f"Facilitator console (keep it to yourself): {base}/console?key={app.state.key}")
    print(f"Projector: {base}/projector   Explorer: {base}/explore   Teams join at: {base}/")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
