"""Local worker processes for sweeps and ensembles: how they start and that they die with us.

:func:`process_pool` is the one place that decides the start method. On Linux, when the calling
process runs no other Python thread, workers are forked (they inherit the imported model and
start in milliseconds) and forked at once, before a progress bar or the pool's own manager thread
starts a thread. Otherwise (other threads, whose locks a fork could copy held; macOS; Windows)
they are spawned and import the model themselves (~1 s each).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def die_with_parent(parent: int) -> None:
    """Worker initialiser: exit when the parent process dies, even by ``kill -9``.

    Linux delivers SIGTERM to the worker when its parent exits (``PR_SET_PDEATHSIG``); the pid
    check covers a parent that died before the signal was armed.
    """
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux: no parent-death signal
        pass
    if os.getppid() != parent:
        os._exit(1)


def start_method() -> str:
    """``"fork"`` if forking workers is safe here, else ``"spawn"``.

    Fork copies only the calling thread: a lock another thread holds at that moment stays held
    in the child forever. So fork only when this process runs no other Python thread (a web
    server, a Dask client or a GUI do), and only on Linux (macOS system libraries are not
    fork-safe). The native threads of numpy's BLAS pool are fork-safe (OpenBLAS re-initialises
    them in the child)."""
    import multiprocessing
    import sys
    import threading

    if (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    ):
        return "fork"
    return "spawn"


def process_pool(
    workers: int,
    *,
    method: str | None = None,
    preload: Sequence[str] = (),
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes that die with this one.

    ``method`` defaults to :func:`start_method`. With fork, the modules in ``preload`` are
    imported here first (the workers inherit them) and the workers are forked at once.
    ``initializer(*initargs)`` runs in each worker after :func:`die_with_parent`.
    """
    import multiprocessing

    method = method or start_method()
    if method == "fork":
        for name in preload:
            importlib.import_module(name)
    ex = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
    if method == "fork":
        _fork_now(ex)
    return ex


def _start_worker(
    parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def _fork_now(ex: ProcessPoolExecutor) -> None:
    """Fork the pool's workers now, while this process is known to run one Python thread (with
    fork, the first task starts every worker; the pool's manager thread starts after them).
    Python 3.12+ warns on any fork of a process with native threads; the only ones here are the
    BLAS pool's, which are fork-safe."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*multi-threaded.*", category=DeprecationWarning)
        ex.submit(os.getpid).result()
