"""One place that decides the matplotlib backend for the package's charts."""

from __future__ import annotations

import os
import sys
from types import ModuleType


def pyplot() -> ModuleType:
    """Return ``matplotlib.pyplot``, choosing the file-only Agg backend for scripts and the CLI.

    Inside Jupyter (``ipykernel`` loaded), when pyplot is already in use, or when the user set
    ``MPLBACKEND``, the backend is left alone so inline plots keep working after a report is drawn.
    """
    interactive = "ipykernel" in sys.modules or "matplotlib.pyplot" in sys.modules
    if not interactive and "MPLBACKEND" not in os.environ:
        import matplotlib

        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
