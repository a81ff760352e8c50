"""Golden baseline: key numbers of ``baseline`` seed 0 must not drift.

If a change is meant to alter results, run ``.venv/bin/python tests/update_golden.py`` and add a
``[results]`` line to ``CHANGELOG.md``. If it is not meant to, this test caught a bug.
"""

from __future__ import annotations

import json
import math

from conftest import run_cached
from update_golden import GOLDEN, SCENARIO, SEED, key_numbers


def test_baseline_key_numbers_match_golden():
    expected = json.loads(GOLDEN.read_text())
    actual = key_numbers(run_cached(SCENARIO, SEED))
    assert set(actual) == set(expected), "golden keys changed: run tests/update_golden.py"
    drift = []
    for key, want in sorted(expected.items()):
        got = actual[key]
        if isinstance(want, float) and isinstance(got, float):
            if not math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
                drift.append(f"{key}: golden {want:.6g}, now {got:.6g}")
        elif got != want:
            drift.append(f"{key}: golden {want!r}, now {got!r}")
    assert not drift, "results drifted (run tests/update_golden.py if on purpose):\n" + "\n".join(
        drift
    )
