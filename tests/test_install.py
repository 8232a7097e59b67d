"""``pip install .`` gives a ``carteiro`` command that works from any folder.

The package is built from a copy of the repository's files and installed into a fresh
virtual environment (``--system-site-packages`` lends it the already installed dependencies,
so nothing is downloaded); the command then runs from a folder that is not the checkout, with
the ``queries/`` it carries inside the package.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from carteiro.demo import generate

ROOT = Path(__file__).resolve().parent.parent


def _tracked_files() -> list[str]:
    done = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("not a git checkout: the install test copies the tracked files")
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``carteiro`` script of a fresh virtual environment with the package installed."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    for name in _tracked_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    env_dir = base / "venv"
    # without its own pip and setuptools: the ones installed with the dependencies build it
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return env_dir / "bin" / "carteiro"


def test_installed_command_audits_from_another_folder(installed: Path, tmp_path: Path) -> None:
    database = tmp_path / "erp.sqlite"
    generate(f"sqlite:///{database}", customers=200, months=1, seed=3,
             end_month=dt.date(2024, 3, 1), as_of=dt.date(2024, 3, 20))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [str(installed), "audit", "--db", f"sqlite:///{database}", "--start", "2024-03-01",
         "--end", "2024-03-31", "--level", "customer"],
        cwd=elsewhere, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CARTEIRO_STATE_DB":
             str(tmp_path / "state.sqlite")},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("customer_id,status,primary_reason,reasons,")
    assert "Clientes no escopo:" in done.stderr
    # the same rows as this checkout's own CLI
    here = subprocess.run(
        [sys.executable, "-m", "carteiro", "audit", "--db", f"sqlite:///{database}",
         "--start", "2024-03-01", "--end", "2024-03-31", "--level", "customer"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.stdout == here.stdout
    # the installed package is not the checkout: it reads its own copy of queries/
    where = subprocess.run(
        [str(installed.parent / "python"), "-c",
         "import carteiro.erp.source as s; print(s.checkout_root(), s.queries_dir())"],
        cwd=elsewhere, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert where[0] == "None"
    assert Path(where[1], "invoices.sql").is_file()
    assert not Path(where[1]).is_relative_to(ROOT)
