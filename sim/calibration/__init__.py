"""Calibration and documentation tools: parameter reference, history back-test, fit, sensitivity.

Thin layers over :func:`sim.run` and the scenario schema; none of them re-implements a model rule.

- :mod:`sim.calibration.params`: the parameter table generated from the schema (``sputnik params``).
- :mod:`sim.calibration.backtest`: ``history-2020`` against Epoch AI data (``sputnik backtest``).
- :mod:`sim.calibration.calibrate`: deterministic fit of assumption parameters (``sputnik calibrate``).
- :mod:`sim.calibration.sensitivity`: one-at-a-time tornado (``sputnik sensitivity``).

The data in ``sim/calibration/data/`` are derived from Epoch AI datasets (CC BY 4.0); see the
README there.
"""
