"""How ensemble workers start: forked when that is safe, spawned otherwise; same results."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from ensemble_support import YEARS, tiny_ensemble

from sim.ensembles import ensemble_pool, run_ensemble
from sim.ensembles.runner import chunk_sizes
from sim.workers import start_method

SHORT = {"horizon.years": YEARS}
LINUX = sys.platform.startswith("linux")


def test_workers_fork_only_while_this_process_runs_one_thread():
    alone = threading.active_count() == 1
    assert start_method() == ("fork" if LINUX and alone else "spawn")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # a lock held by another thread would stay held in a forked child
        assert start_method() == "spawn"
    finally:
        stop.set()
        other.join()
    assert start_method() == ("fork" if LINUX and alone else "spawn")


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_forked_and_spawned_workers_give_the_serial_result(method):
    if method == "fork" and not LINUX:
        pytest.skip("workers fork on Linux only")
    ens = tiny_ensemble(4)
    serial = run_ensemble("baseline", overrides=SHORT, seed=3, ensemble=ens)
    with ensemble_pool(2, method=method) as pool:
        assert pool.executor is not None and pool.processes == 1
        par = run_ensemble("baseline", overrides=SHORT, seed=3, ensemble=ens, executor=pool)
        again = run_ensemble("no-controls", overrides=SHORT, seed=3, ensemble=ens, executor=pool)
    np.testing.assert_array_equal(par.values, serial.values)
    assert par.seeds == serial.seeds and par.metrics == serial.metrics
    # the pool is reused for a second scenario, which differs from the first
    assert not np.array_equal(again.values, par.values, equal_nan=True)


def test_chunks_cover_every_member_and_shrink_toward_the_end():
    for n, workers in [(0, 2), (1, 2), (6, 1), (100, 2), (1600, 4)]:
        sizes = chunk_sizes(n, workers)
        assert sum(sizes) == n and all(1 <= s <= 10 for s in sizes)
        assert sizes == sorted(sizes, reverse=True)  # big chunks first, small ones last
    sizes = chunk_sizes(100, 2)
    assert sizes[0] == 10 and sizes[-1] == 1  # no process is left running a last big chunk
