"""Every notebook in ``notebooks/`` runs top to bottom without error (teaching material stays true).

Each notebook is executed with nbclient on the ``python3`` kernel of the interpreter running the
tests (the project's virtualenv), with the notebook's folder as working directory.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
TIMEOUT_S = 120  # per cell; a notebook that needs longer is too slow for a classroom anyway


def test_notebooks_exist() -> None:
    """The first-run notebook ships (the parametrised test below would silently run nothing)."""
    assert (NOTEBOOK_DIR / "01_first_run.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    """Execute every cell; any exception in a cell fails the test with the cell's error."""
    with warnings.catch_warnings():
        # tqdm (pulled in by the Jupyter stack) warns when ipywidgets is absent; irrelevant here.
        warnings.simplefilter("ignore")
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell failed:\n{exc}")
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"{path.name}: error outputs: {[e.get('ename') for e in errors]}"
    ran = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count")]
    assert ran, f"{path.name}: no code cell was executed"
