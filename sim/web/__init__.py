"""The workshop and classroom in the browser (``sputnik serve``; needs the ``web`` extra).

A FastAPI app with server-rendered pages (Jinja2, autoescaped), a little plain JavaScript,
Server-Sent Events for "something changed" and matplotlib SVG charts. Every asset is served
by the app itself, so it works with no internet. Pages: facilitator console, one team page per
role (a team token in the URL plus a cookie), projector view, classroom explorer, reports and
briefing packs. The game lives in :mod:`sim.game` and its SQLite store; this package only
portrays it and forwards clicks (see :mod:`sim.web.room`).
"""
