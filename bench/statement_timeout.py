"""How long a load takes to give up on a query that outlives CARTEIRO_STATEMENT_TIMEOUT.

The tests check only *that* the time limit stops such a query (the error says so); how fast it
gives up is a timing, measured here (tests on a busy shared machine must not assert times).

    python bench/statement_timeout.py [--timeout 0.5] [--repeat 3]

SQLite through the default (fast) reader: the query counts to 30 million, far beyond the limit.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLOW_CUSTOMERS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000000)\n"
    "SELECT id_cliente AS customer_id, nome_razaosocial AS name, cpf_cnpj AS document,\n"
    "  cidade AS city, ativo AS active\n"
    "FROM cliente WHERE (SELECT MAX(i) FROM n) > 0")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/statement_timeout.py")
    parser.add_argument("--timeout", type=float, default=0.5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from carteiro.erp import source as config
    from carteiro.erp.load import load_data
    from carteiro.errors import DataSourceError
    from tests.conftest import MARCH
    from tests.erp_builder import Erp

    with tempfile.TemporaryDirectory() as tmp:
        queries = Path(tmp) / "queries"
        queries.mkdir()
        for path in config.queries_dir().glob("*.sql"):
            (queries / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        (queries / "customers.sql").write_text(SLOW_CUSTOMERS, encoding="utf-8")
        os.environ["CARTEIRO_QUERIES_DIR"] = str(queries)
        os.environ["CARTEIRO_STATEMENT_TIMEOUT"] = str(args.timeout)
        url = Erp.baseline().write_sqlite(Path(tmp) / "erp.sqlite")
        for _ in range(args.repeat):
            started = time.perf_counter()
            try:
                load_data(url, MARCH)
                outcome = "finished (the limit did not stop it)"
            except DataSourceError as err:
                outcome = str(err).splitlines()[0][:80]
            print(f"limit {args.timeout:.1f} s: gave up after "
                  f"{time.perf_counter() - started:.2f} s — {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
