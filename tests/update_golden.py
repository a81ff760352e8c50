"""Regenerate the golden numbers of the regression test (Covasim-style baseline).

Run this on purpose, after a change that is meant to alter model results, and add a ``[results]``
line to ``CHANGELOG.md`` saying what changed and why::

    .venv/bin/python tests/update_golden.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent / "golden" / "baseline_seed0.json"
SCENARIO, SEED = "baseline", 0


def key_numbers(result: Any) -> dict[str, float | int | str | None]:
    """A few headline numbers of a run: capability, lag, shares, compute, money."""
    n = result.nations.set_index(["year", "nation"])
    y = result.years.set_index("year")
    out: dict[str, float | int | str | None] = {}
    for year in (2025, 2030, 2045):
        out[f"frontier_oom_{year}"] = float(y.frontier_oom.loc[year])
        out[f"frontier_lab_{year}"] = str(y.frontier_lab.loc[year])
        out[f"world_compute_h100e_{year}"] = float(y.world_compute_h100e.loc[year])
        for nation in ("usa", "china"):
            out[f"{nation}_lag_months_{year}"] = float(n.lag_months.loc[(year, nation)])
            out[f"{nation}_compute_share_{year}"] = float(n.compute_share.loc[(year, nation)])
        out[f"china_domestic_chip_share_{year}"] = float(n.domestic_chip_share.loc[(year, "china")])
        out[f"china_smuggled_share_{year}"] = float(n.smuggled_share.loc[(year, "china")])
        out[f"china_efficiency_spend_share_{year}"] = float(
            n.efficiency_spend_share.loc[(year, "china")]
        )
    out["licence_fees_usd_total"] = float(y.licence_fees_usd.sum())
    out["sputnik_year"] = result.manifest["sputnik_moment"]["year"]
    return out


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import sim

    numbers = key_numbers(sim.run(SCENARIO, seed=SEED))
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(numbers, indent=2, sort_keys=True) + "\n")
    print(f"wrote {len(numbers)} numbers to {GOLDEN}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
