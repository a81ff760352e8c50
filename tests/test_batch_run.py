"""Mesa's own tools on the model: ``mesa.batch_run`` (scenarios and dotted overrides as swept
parameters) and the constructor signature SolaraViz inspects."""

from __future__ import annotations

import importlib.util
import inspect

import mesa
import pandas as pd
import pytest

import sim


def test_batch_run_over_scenarios():
    rows = mesa.batch_run(
        sim.ComputeRaceModel,
        parameters={"scenario": ["baseline", "no-controls"]},
        iterations=2,
        max_steps=10,
        number_processes=1,
        display_progress=False,
    )
    df = pd.DataFrame(rows)
    assert {"scenario", "iteration", "Step", "year", "frontier_oom"} <= set(df.columns)
    assert {"lag_months_china", "oom_china", "lag_months_usa", "smuggled_share_china"} <= set(
        df.columns
    )
    # Mesa 3.3 runs max_steps + 1 steps, 3.5 exactly max_steps: at least ten simulated years.
    assert df.groupby(["scenario", "iteration"]).year.max().min() >= 2034
    first = df[df.Step == 0]
    assert (first.year == 2024).all()  # the start state, scored for the year before the horizon
    # the scenario really changed the runs: without controls nothing is smuggled into China
    last = df[df.Step == df.Step.max()].groupby("scenario").smuggled_share_china.max()
    assert last["no-controls"] == 0.0 < last["baseline"]


def test_batch_run_passes_dotted_overrides_to_the_model():
    rows = mesa.batch_run(
        sim.ComputeRaceModel,
        parameters={"scenario": "baseline", "controls.enforcement": [0.1, 0.9], "seed": 3},
        iterations=1,
        max_steps=3,
        number_processes=1,
        display_progress=False,
    )
    df = pd.DataFrame(rows)
    end = df[df.Step == df.Step.max()].set_index("controls.enforcement")
    # weak enforcement lets more of China's compute in through smugglers (same seed)
    assert end.loc[0.1, "smuggled_share_china"] > 2 * end.loc[0.9, "smuggled_share_china"]


def test_keyword_overrides_with_double_underscores_and_the_overrides_argument_agree():
    a = sim.ComputeRaceModel("baseline", seed=1, controls__enforcement=0.8)
    b = sim.ComputeRaceModel("baseline", seed=1, overrides={"controls.enforcement": 0.8})
    c = sim.ComputeRaceModel(sim.load_scenario("baseline"), seed=1, **{"controls.enforcement": 0.8})
    assert a.controls.enforcement == b.controls.enforcement == c.controls.enforcement == 0.8
    with pytest.raises(sim.ScenarioError, match="enforcement"):
        sim.ComputeRaceModel("baseline", overrides={"controls.enforcement": 2.0})


def test_every_constructor_parameter_has_a_default():
    """SolaraViz refuses a model whose constructor has a parameter without a default, except a
    catch-all named ``kwargs`` (which also lets it pass dotted sliders through)."""
    params = inspect.signature(sim.ComputeRaceModel.__init__).parameters
    for name, p in params.items():
        if name == "self":
            continue
        assert p.default is not inspect.Parameter.empty or name == "kwargs", name
    assert "overrides" in params


@pytest.mark.skipif(importlib.util.find_spec("solara") is None, reason="needs the viz extra")
def test_solara_viz_accepts_the_model():
    import warnings

    with warnings.catch_warnings():
        # Mesa 3.3's own SolaraViz component trips solara's hook checker at import time.
        warnings.filterwarnings("ignore", "Failed to validate hooks", UserWarning)
        from mesa.visualization import SolaraViz, make_plot_component
        from mesa.visualization.solara_viz import _check_model_params

        params = {"scenario": "baseline", "seed": 1, "controls.enforcement": 0.5}
        _check_model_params(sim.ComputeRaceModel.__init__, params)
        model = sim.ComputeRaceModel(**params)
        page = SolaraViz(model, components=[make_plot_component(["lag_months_china"])])
    assert page is not None
