"""Errors that reach users as one clear line each (exit code 2), never as a traceback."""

from __future__ import annotations

from sim.config.inputs import InputError
from sim.config.loader import ScenarioError


class UserError(InputError):
    """Bad user input outside scenario files (a sweep spec, a game move, a CLI argument).

    ``problems`` holds one line per problem, each naming where (file or argument), what and why.
    """


class RunFailure(Exception):
    """Work that started from valid input failed (a worker died, runs raised): exit code 1 with
    one line per problem and what to do next (e.g. the ``--resume`` command), not a traceback."""

    def __init__(self, problems: list[str] | str, code: int = 1):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.code = code
        super().__init__("\n".join(self.problems))


class InternalError(Exception):
    """A bug: the model produced something it never should (NaN in a table). Exit code 1."""


__all__ = ["InputError", "InternalError", "RunFailure", "ScenarioError", "UserError"]
