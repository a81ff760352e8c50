"""The one metric vocabulary (``sim.metrics``): the same names over a finished run, a live model,
sweep outcomes, PRIM rules, the compare charts and the game."""

from __future__ import annotations

import logging
import math

import pytest
from conftest import run_cached

import sim
from sim import metrics
from sim.game import metrics as game_metrics
from sim.summary import COMPARE_METRICS
from sim.sweeps import outcomes
from sim.sweeps.analysis import parse_rule


@pytest.fixture(scope="module")
def result() -> sim.Result:
    return run_cached("baseline", 3, {"horizon.end_year": 2032})


def nation_value(result, nation, column, year):
    n = result.nations
    return float(n[(n.nation == nation) & (n.year == year)][column].iloc[0])


def test_a_nation_column_by_year_and_at_the_end(result):
    assert metrics.value(result, "lag_months:china:2030") == nation_value(
        result, "china", "lag_months", 2030
    )
    end = metrics.value(result, "compute_share:china")
    assert end == metrics.value(result, "compute_share:china:end")
    assert end == nation_value(result, "china", "compute_share", 2032)
    series = metrics.series(result, "smuggled_share:china")
    assert list(series.index) == list(range(2025, 2033))
    assert series[2027] == nation_value(result, "china", "smuggled_share", 2027)


def test_a_lab_column_and_a_lab_that_shares_a_nations_id(result):
    labs = result.labs

    def lab_value(lab, column, year):
        return float(labs[(labs.lab == lab) & (labs.year == year)][column].iloc[0])

    assert metrics.value(result, "market_share:deepseek:2028") == lab_value(
        "deepseek", "market_share", 2028
    )
    # "rest" is a nation and a lab: the nation by default, "rest-lab" for the lab
    assert metrics.value(result, "compute_h100e:rest:2028") == nation_value(
        result, "rest", "compute_h100e", 2028
    )
    assert metrics.value(result, "efficiency:rest-lab:2028") == lab_value(
        "rest", "efficiency", 2028
    )


def test_oom_gap_is_the_difference_of_two_nations_scores(result):
    gap = metrics.value(result, "oom_gap:usa:china:2029")
    usa = nation_value(result, "usa", "oom", 2029)
    china = nation_value(result, "china", "oom", 2029)
    assert gap == pytest.approx(usa - china)


def test_whole_run_metrics(result):
    first = result.manifest["sputnik_moment"]["year"]
    got = metrics.value(result, "sputnik_year")
    assert math.isnan(got) if first is None else got == first
    assert metrics.value(result, "sputnik_moment") == (0.0 if first is None else 1.0)
    lag = result.nation_series("lag_months")["china"]
    caught = next((y for y, v in lag.items() if v <= 3.0), None)
    got = metrics.value(result, "catch_up_year:china:3")
    assert (caught is None and math.isnan(got)) or got == caught
    fees = result.years.set_index("year").licence_fees_usd
    assert metrics.value(result, "cumulative_licence_fees:2030") == pytest.approx(
        fees.loc[:2030].sum()
    )


def test_the_summary_sweeps_and_sensitivity_share_the_vocabulary(result):
    gap = next(m for m in COMPARE_METRICS if m.key == "oom_gap")
    via_summary = gap.series(result, "usa", "china")
    via_metrics = metrics.series(result, "oom_gap:usa:china")
    assert via_summary.equals(via_metrics)
    scen = sim.load_scenario("baseline", {"horizon.end_year": 2032})
    (o,) = [outcomes.parse_outcome("oom_gap:usa:china:2030", scen)]
    assert outcomes.compute([o], result) == [via_metrics[2030]]
    assert o.column == "oom_gap_usa_china_2030"


def test_prim_rules_accept_the_metric_spelling():
    columns = ["lag_months_china_2030", "oom_gap_usa_china_end"]
    assert parse_rule("lag_months:china:2030 < 6", columns) == ("lag_months_china_2030", "<", 6.0)
    assert parse_rule("lag_months_china_2030 < 6", columns)[0] == "lag_months_china_2030"


def test_live_values_now_and_in_a_past_year():
    m = sim.ComputeRaceModel("baseline", seed=0)
    # before the first step: the start fleets' scores are known, recorded columns are not
    assert metrics.live_value(m, "lag_months:china") == m.nations["china"].lag_months
    assert metrics.live_value(m, "compute_share:china") is None
    assert metrics.live_value(m, "frontier_oom") == m.frontier_oom
    assert metrics.live_value(m, "sputnik_moment") == 0.0
    assert metrics.live_value(m, "year") == 2025
    assert metrics.live_value(m, "controls.enforcement") == 0.5
    m.step()
    m.step()
    share = metrics.live_value(m, "compute_share:china:2025")
    assert share == m.nation_rows[1].compute_share  # nation rows: usa, china, ...
    assert metrics.live_value(m, "compute_share:china") == m.nation_rows[6].compute_share
    assert metrics.live_value(m, "compute_share:china:2031") is None  # not simulated yet


def test_old_spellings_still_work_with_a_deprecation_message(caplog):
    metrics._WARNED.clear()
    m = sim.ComputeRaceModel("baseline", seed=0)
    with caplog.at_level(logging.WARNING, logger="sim.metrics"):
        old = game_metrics.value(m, "lag_months.china")
        flag = game_metrics.value(m, "sputnik")
    assert old == game_metrics.value(m, "lag_months:china")
    assert flag == 0.0
    assert "write 'lag_months:china'" in caplog.text and "write 'sputnik_moment'" in caplog.text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("lag_month:china", "unknown metric 'lag_month' (did you mean 'lag_months'?)"),
        ("lag_months:chna", "nation 'chna' is not defined (did you mean 'china'?)"),
        ("lag_months:narnia", "'narnia' is neither a nation nor a lab"),
        ("market_share:deepsek", "lab 'deepsek' is not defined (did you mean 'deepseek'?)"),
        ("oom_gap:usa", "'oom_gap' takes 2 argument(s): oom_gap:nation:nation:YEAR"),
        ("lag_months:china:2090", "year '2090' is outside the simulated years 2025-2045"),
        ("catch_up_year:china:soon", "'soon' is not a number"),
        ("market_share:china", "lab 'china' is not defined (labs: stargate, google"),
    ],
)
def test_bad_metrics_say_why(text, why):
    scen = sim.load_scenario("baseline")
    with pytest.raises(ValueError) as e:
        metrics.for_scenario(text, scen)
    assert why in str(e.value)


def test_game_conditions_use_the_vocabulary():
    nations, labs = {"usa", "china"}, {"deepseek"}
    clauses = game_metrics.parse_condition("lag_months:china < 6 and year >= 2027", nations, labs)
    assert clauses == [("lag_months:china", "<", 6.0), ("year", ">=", 2027.0)]
    m = sim.ComputeRaceModel("baseline", seed=0)
    assert game_metrics.holds(m, [("lag_months:china", "<", 100.0), ("year", ">=", 2025.0)])
    assert not game_metrics.holds(m, [("compute_share:china", ">", 0.0)])  # not known yet


def test_every_metric_is_described():
    described = {usage.split(":", 1)[0] for usage, _, _ in metrics.describe()}
    assert described == set(metrics.METRICS)
    assert {"lag_months", "oom_gap", "sputnik_year", "catch_up_year"} <= described
