"""Runs must not keep models alive: long sweeps and calibration loops would grow without bound."""

from __future__ import annotations

import gc
import weakref

import sim


def test_a_finished_model_is_garbage_collected():
    model = sim.ComputeRaceModel("baseline", seed=0, **{"horizon.end_year": 2027})
    while model.running:
        model.step()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None, "something (e.g. mesa.Agent._ids) still holds the model"
