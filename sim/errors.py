"""Errors that reach users as one clear line each (exit code 2), never as a traceback."""

from __future__ import annotations

from sim.config.loader import ScenarioError


class UserError(Exception):
    """Bad user input outside scenario files (a sweep spec, a game move, a CLI argument).

    ``problems`` holds one line per problem, each naming where (file or argument), what and why.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


__all__ = ["ScenarioError", "UserError"]
