"""A non-editable install ships what the package needs: scenarios, game decks and roles, sweep specs.

Builds the wheel once from a copy of the source tree (offline: ``--no-build-isolation`` with the
project venv's setuptools), installs it with ``--no-deps`` into a fresh venv that borrows the
project venv's dependencies through a ``.pth`` line, and uses it from outside the repository.
"""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``bin`` directory of a venv with the wheel installed."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "sim", src / "sim", symlinks=True, ignore=ignore)
    shutil.copytree(REPO / "scenarios", src / "scenarios", ignore=ignore)
    assert (src / "sim" / "_scenarios").is_symlink()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp / "dist").glob("*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site_dir,) = venv.glob("lib/python*/site-packages")
    # dependencies come from the project venv; the package itself only from the wheel
    (site_dir / "borrowed-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site_dir), str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv


def _py(venv: Path, code: str, cwd: Path) -> str:
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], cwd=cwd, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_wheel_ships_scenarios_decks_roles_and_sweeps(installed: Path, tmp_path: Path):
    out = _py(
        installed,
        "import sim, sim.config.loader as L\n"
        "from sim.game.cards import read_deck\n"
        "from sim.game.roles import read_role_file\n"
        "from sim.sweeps import load_spec\n"
        "print(sim.__file__)\n"
        "print(L.shipped_dir().is_symlink())\n"
        "print(sim.load_scenario('baseline').id, len(sim.list_scenarios()))\n"
        "print(len(read_deck()), len(read_role_file()))\n"
        "print(load_spec(L.shipped_dir() / 'sweeps' / 'smoke.toml').n_runs)\n"
        "r = sim.run('stargate', overrides={'horizon.end_year': 2026})\n"
        "print(len(r.years))\n",
        tmp_path,
    )
    where, link, scen, cards, spec, years = out.splitlines()
    assert str(REPO) not in where and "site-packages" in where
    assert link == "False"  # a real folder in the wheel, not a link back to the checkout
    name, count = scen.split()
    assert name == "baseline" and int(count) >= 12
    n_cards, n_roles = map(int, cards.split())
    assert n_cards >= 8 and n_roles >= 9
    assert int(spec) > 0 and years == "2"
