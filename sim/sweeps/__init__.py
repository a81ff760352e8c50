"""Parameter sweeps at scale: specs, samplers, parallel/Dask runner, Parquet storage, analysis.

Python API (all return plain objects or pandas DataFrames)::

    from sim import sweeps
    spec = sweeps.load_spec("scenarios/sweeps/smoke.toml")
    res = sweeps.run_sweep(spec, "out/smoke", workers=2)      # or scheduler="tcp://host:8786"
    df = res.outcomes()                                       # one row per run
    sweeps.summarise("out/smoke")                             # outcome distributions per lever
    sweeps.sobol_indices("out/sobol"), sweeps.morris_indices("out/morris")
    sweeps.discover("out/smoke", "lag_months:china:2030 < 6")   # PRIM boxes

Heavy modules (SALib, Dask, matplotlib) are imported only when used.
"""

from __future__ import annotations

from typing import Any

from sim.sweeps.spec import SweepSpec, load_spec, parse_spec

_LAZY = {
    "run_sweep": "sim.sweeps.runner",
    "SweepResult": "sim.sweeps.runner",
    "build_design": "sim.sweeps.samplers",
    "load_outcomes": "sim.sweeps.analysis",
    "load_yearly": "sim.sweeps.analysis",
    "summarise": "sim.sweeps.analysis",
    "fan_data": "sim.sweeps.analysis",
    "sobol_indices": "sim.sweeps.analysis",
    "morris_indices": "sim.sweeps.analysis",
    "discover": "sim.sweeps.analysis",
    "analyze": "sim.sweeps.analysis",
    "ranking": "sim.sweeps.analysis",
    "crosstab": "sim.sweeps.analysis",
    "informative": "sim.sweeps.analysis",
    "prim": "sim.sweeps.prim",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim.sweeps' has no attribute {name!r}")


__all__ = ["SweepSpec", "load_spec", "parse_spec", *_LAZY]
