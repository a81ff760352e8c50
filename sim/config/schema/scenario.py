"""The complete scenario: horizon, world, controls, agents, market access and dated events.

:class:`Scenario` checks cross-references (every nation, lab and rival named exists) both as the
file states them and as they will be after the events of each event year.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError, model_validator

from sim.config.params import param
from sim.config.schema.agents import Lab, Nation, Vendor
from sim.config.schema.base import FORMAT_VERSION, Frozen, Name, Number, Slug, Text
from sim.config.schema.controls import Controls
from sim.config.schema.events import Event
from sim.config.schema.world import World


class Horizon(Frozen):
    """Simulated years (inclusive). One model step is one year."""

    start_year: int = param(2025, "First simulated year.", unit="year", ge=2000, le=2100)
    end_year: int = param(2045, "Last simulated year (inclusive).", unit="year", ge=2000, le=2100)

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end_year < self.start_year:
            raise ValueError(f"end_year ({self.end_year}) is before start_year ({self.start_year})")
        return self


class Scenario(Frozen):
    """A complete, validated scenario."""

    format_version: int = Field(FORMAT_VERSION, description="Version of the scenario file format.")
    id: Slug = Field(description="Scenario id (file stem); names the output folder.")
    title: Name = Field(description="Title.")
    description: Text = Field("", description="Text a workshop can read aloud.")
    extends: str | None = Field(None, description="Parent scenario id.", max_length=4096)
    horizon: Horizon = Field(default_factory=Horizon)
    world: World = Field(default_factory=World)
    controls: Controls = Field(default_factory=Controls)
    nations: dict[Slug, Nation]
    labs: dict[Slug, Lab]
    vendors: dict[Slug, Vendor]
    market_access: dict[str, dict[str, Number]] = Field(
        default_factory=dict,
        description="market_access[seller][buyer] in 0-1 (default 1): how far a nation's labs can sell in another's market.",
    )
    events: tuple[Event, ...] = Field(
        (), description="Dated events (appended across extends).", strict=False
    )

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        # imported here: sim.config.paths imports this package (its sections are schema models)
        from sim.config.paths import check_param_path, resolve_field

        problems: list[str] = []
        nations = set(self.nations)
        if self.format_version != FORMAT_VERSION:
            hint = (
                " (format 2 renamed max_ai_capex_gdp_share to ai_capex_saturation_gdp_share, "
                "power_limit_gw to power_gw, [nations.X.reaction] to [[nations.X.reactions]] and dropped "
                "world.follower_bonus_*: see CHANGELOG.md)"
                if self.format_version == 1
                else ""
            )
            problems.append(
                f"format_version: {self.format_version} is not supported (this version reads {FORMAT_VERSION}){hint}"
            )
        if not self.labs:
            problems.append("labs: at least one lab is needed")
        for lid, lab in self.labs.items():
            if lab.nation not in nations:
                problems.append(
                    f"labs.{lid}.nation: nation '{lab.nation}' is not defined{_hint(lab.nation, nations)}"
                )
        for vid, v in self.vendors.items():
            if v.nation not in nations:
                problems.append(
                    f"vendors.{vid}.nation: nation '{v.nation}' is not defined{_hint(v.nation, nations)}"
                )
            for b in v.exclusive_buyers:
                if b not in self.labs:
                    problems.append(
                        f"vendors.{vid}.exclusive_buyers: lab '{b}' is not defined{_hint(b, set(self.labs))}"
                    )
        if self.controls.controller not in nations:
            problems.append(
                f"controls.controller: nation '{self.controls.controller}' is not defined{_hint(self.controls.controller, nations)}"
            )
        for nid, n in self.nations.items():
            for k, r in enumerate(n.reactions):
                where = f"nations.{nid}.reactions[{k}]"
                if r.rival is not None and r.rival not in nations:
                    problems.append(
                        f"{where}.rival: nation '{r.rival}' is not defined{_hint(r.rival, nations)}"
                    )
                if r.trigger in ("sputnik_by_rival", "rival_lag_below") and r.rival is None:
                    problems.append(f"{where}.rival: trigger '{r.trigger}' needs a rival nation")
                if r.trigger.startswith("rival_lever_"):
                    if r.watch is None:
                        problems.append(f"{where}.watch: trigger '{r.trigger}' needs a lever path")
                    else:
                        why = resolve_field(self, r.watch)[1]
                        if why:
                            problems.append(f"{where}.watch: {why}")
                for path, value in r.set.items():
                    err = check_param_path(self, path, value)
                    if err:
                        problems.append(f"{where}.set.{path}: {err}")
                for path in r.add:
                    why = resolve_field(self, path)[1]
                    if why:
                        problems.append(f"{where}.add.{path}: {why}")
            if n.programme and n.programme.lab not in self.labs:
                problems.append(
                    f"nations.{nid}.programme.lab: lab '{n.programme.lab}' is not defined{_hint(n.programme.lab, set(self.labs))}"
                )
        for seller, row in self.market_access.items():
            if seller not in nations:
                problems.append(
                    f"market_access.{seller}: nation '{seller}' is not defined{_hint(seller, nations)}"
                )
            for buyer, access in row.items():
                if buyer not in nations:
                    problems.append(
                        f"market_access.{seller}.{buyer}: nation '{buyer}' is not defined{_hint(buyer, nations)}"
                    )
                elif not 0 <= access <= 1:
                    problems.append(f"market_access.{seller}.{buyer}: {access} is outside 0-1")
        h = self.horizon
        for i, ev in enumerate(self.events):
            if not h.start_year <= ev.year <= h.end_year:
                problems.append(
                    f"events[{i}].year: {ev.year} ('{ev.title}') is outside the horizon {h.start_year}-{h.end_year}"
                )
            if ev.announce_year is not None and ev.announce_year > ev.year:
                problems.append(
                    f"events[{i}].announce_year: {ev.announce_year} is after the event year {ev.year}"
                )
            for path, value in ev.set.items():
                err = check_param_path(self, path, value)
                if err:
                    problems.append(f"events[{i}].set.{path}: {err}")
        if self.controls.comply_year < self.controls.announce_year:
            problems.append("controls.comply_year: before controls.announce_year")
        if not problems:
            problems = self._after_events()
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _after_events(self) -> list[str]:
        """Problems of the scenario as it will be after the events of each event year.

        Events are checked path by path above; this catches what only shows in combination: a
        lab moved to an undefined nation, a controller or rival that does not exist, an exclusive
        buyer that is not a lab, origin shares that no longer sum to 1, a minimum above a maximum.
        Each problem is blamed on the event that last set a path at or under the broken key.
        """
        from sim.config.paths import set_path  # here: sim.config.paths imports this package

        if not self.events:
            return []
        state = self.model_dump(mode="python", exclude={"events"})
        setters: dict[str, int] = {}  # path -> index of the last event that set it
        order = sorted(range(len(self.events)), key=lambda i: self.events[i].year)
        problems: list[str] = []
        seen: set[str] = set()
        for n, i in enumerate(order):
            ev = self.events[i]
            for path, value in ev.set.items():
                set_path(state, path, value)
                setters[path] = i
            if n + 1 < len(order) and self.events[order[n + 1]].year == ev.year:
                continue  # check once all events of a year have applied
            for where, reason in _state_problems(state):
                i_blame = _blame(where, setters, fallback=i)
                line = f"events[{i_blame}].set: after the events of {ev.year}, {where}: {reason}"
                if line not in seen:
                    seen.add(line)
                    problems.append(line)
        return problems


def _state_problems(state: dict[str, Any]) -> list[tuple[str, str]]:
    """(key path, reason) for each problem of a scenario state (given as plain data, no events)."""
    try:
        Scenario.model_validate(state)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            msg = str(err["msg"]).removeprefix("Value error, ")
            for line in msg.splitlines():
                sub, sep, rest = line.partition(": ")
                if not where and sep and " " not in sub:
                    out.append((sub, rest))
                else:
                    out.append((where or "(top level)", line))
        return out
    return []


def _blame(where: str, setters: dict[str, int], fallback: int) -> int:
    """The event that last set ``where``, a key under it or a table above it."""
    hits = [
        i
        for path, i in setters.items()
        if path == where or path.startswith(f"{where}.") or where.startswith(f"{path}.")
    ]
    return max(hits) if hits else fallback


def _hint(word: str, choices: set[str]) -> str:
    from sim.config.paths import did_you_mean

    return did_you_mean(word, choices, cutoff=0.6, fallback="defined")
