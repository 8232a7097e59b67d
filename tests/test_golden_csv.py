"""The CLI's CSV for one seeded demo database, byte for byte.

A refactoring must not change a single byte of what ``audit`` writes. The expected files are
not stored (they are hundreds of kilobytes); their SHA-256 digests and sizes are. When a change
*means* to alter the output (a contract change, a new column, new demo data), regenerate the
digests with ``python tests/test_golden_csv.py`` and say why in the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ARGS = ("--start", "2024-03-01", "--end", "2024-03-31")
LEVELS = ("invoice", "customer")

# level -> (sha256, bytes) of `audit --level <level>` over the database of `_generate`.
EXPECTED: dict[str, tuple[str, int]] = {
    "invoice": ("2b8487fd3fd64a17ca4b71048bf9ecc33ee2a7d1403d486ed26627274c543d85", 104817),
    "customer": ("5865345822b670592e836135e3ed473869e21d0a363c15be5fe2c0f52003a5f4", 98452),
}


def _generate(path: Path) -> str:
    from carteiro.demo import generate

    url = f"sqlite:///{path}"
    generate(url, customers=1_500, months=2, seed=11, end_month=dt.date(2024, 3, 1),
             as_of=dt.date(2024, 3, 20))
    return url


def _audit_csv(url: str, level: str, out: Path) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "carteiro", "audit", "--db", url, *ARGS, "--level", level,
         "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def _digests(folder: Path) -> dict[str, tuple[str, int]]:
    url = _generate(folder / "golden.sqlite")
    found = {}
    for level in LEVELS:
        data = _audit_csv(url, level, folder / f"{level}.csv")
        found[level] = (hashlib.sha256(data).hexdigest(), len(data))
    return found


@pytest.fixture(scope="module")
def digests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, int]]:
    return _digests(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("level", LEVELS)
def test_audit_csv_is_byte_identical(digests: dict[str, tuple[str, int]], level: str) -> None:
    assert digests[level] == EXPECTED[level], (
        f"the {level}-level CSV changed; if that is intended, run "
        "`python tests/test_golden_csv.py` and update EXPECTED"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for level, (digest, size) in _digests(Path(tmp)).items():
            print(f'    "{level}": ("{digest}", {size}),')
