"""Calibration and documentation tools: parameter reference, history back-test, fit, sensitivity.

Thin layers over :func:`sim.run` and the scenario schema; none of them re-implements a model rule.

- :mod:`sim.calibration.params`: the parameter table generated from the schema (``sputnik params``).
- :mod:`sim.calibration.backtest`: one ``history-2020`` run against Epoch AI data
  (``sputnik backtest --no-ensemble``); :mod:`sim.calibration.ensemble_backtest`: the ensemble
  against every target, and its 2025 predictions (``sputnik backtest``).
- :mod:`sim.calibration.targets`, :mod:`~sim.calibration.simulators`,
  :mod:`~sim.calibration.history_matching`: targets as data, how a run expresses them, and the
  history-matching engine behind ``sputnik calibrate`` (wired in :mod:`sim.ensembles.calibrate`).
- :mod:`sim.calibration.calibrate`: the older grid fit (``sputnik calibrate --method grid``).
- :mod:`sim.calibration.sensitivity`: one-at-a-time tornado (``sputnik sensitivity``).

The data in ``sim/calibration/data/`` are derived from Epoch AI datasets (CC BY 4.0); see the
README there.
"""
