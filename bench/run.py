"""Carteiro's benchmark: one month of demo ERP databases of 10k, 100k and 1M customers.

Run by hand (not by CI), from the project root::

    python bench/run.py                       # every size, 3 runs each, dashboard included
    python bench/run.py --sizes 10000 --runs 1 --no-dashboard
    python bench/run.py --reader sqlalchemy   # the reference path (pandas.read_sql)

For each size it measures, each as the median of ``--runs`` runs in fresh processes:

* **load** — SQL → the normalised frames (``carteiro.erp.load.load_data``, the one path the
  dashboard and the CLI take; every ``queries/*.sql`` read and normalised, each step timed);
* **eval** — normalised frames in memory → the invoice and customer tables (``evaluate``; the
  frames are loaded first, untimed);
* **CLI** — the whole ``python -m carteiro audit --db ... --output FILE``, from the SQLite
  file to the CSV on disk, wall time and peak RSS of the CLI process (``getrusage`` of the
  child in a fresh wrapper process);
* **delivery** — the whole ``python -m carteiro audit --level delivery --as-of 2025-06-15``
  (the audit, the period's send log read and reconciled, the delivery CSV), wall time and peak
  RSS like the CLI; target at 1M: at most 1.5× the invoice-level CLI, at most 2 GB;
* **dashboard** — with Streamlit's ``AppTest``: the first rendered Cobertura page (cold cache,
  the loading status naming each step) and a filter change on «Não recebem» (warm cache).
  Skipped with a message when ``app.py`` is absent.

Databases come from ``carteiro.demo.generate`` with ``end_month`` and ``as_of`` pinned (June
2025, snapshot on the 15th), cached as ``bench/data/demo-<customers>c-<months>m-2025-06.sqlite``
(git-ignored) and reused; the audited period is June 2025. A 1M database takes about 75 s and
2.5 GB to generate. Results: a table on standard output and JSON in ``bench/results/``
(git-ignored; ``latest.json`` is the last run), with the machine and the versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
RESULTS_DIR = ROOT / "bench" / "results"
END_MONTH = dt.date(2025, 6, 1)
AS_OF = dt.date(2025, 6, 15)
PERIOD = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
SEED = 42
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)

# The targets (this machine, one month, medians).
TARGETS = {
    "eval_s": 3.0,  # at 1M
    "cli_s": 12.0,  # at 1M
    "cli_rss_mb": 2048.0,  # at 1M
    "growth": 12.0,  # 1M CLI / 100k CLI
    "dashboard_first_1m_s": 20.0,
    "dashboard_first_10k_s": 3.0,
    "dashboard_filter_s": 1.0,
    "delivery_ratio": 1.5,  # at 1M: delivery CLI / invoice-level CLI
    "delivery_rss_mb": 2048.0,  # at 1M
}

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------------------------------------
# Databases


def database_path(customers: int, months: int) -> Path:
    return DATA_DIR / f"demo-{customers}c-{months}m-{END_MONTH:%Y-%m}.sqlite"


def ensure_database(customers: int, months: int) -> Path:
    """The cached demo database of this size, generated when missing (via a ``.partial`` file
    renamed at the end, so an interrupted run never leaves half a database behind)."""
    path = database_path(customers, months)
    if path.exists():
        return path
    from carteiro import demo

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    print(f"generating {path.name} …", file=sys.stderr, flush=True)
    summary = demo.generate(f"sqlite:///{partial}", customers=customers, months=months,
                            seed=SEED, end_month=END_MONTH, as_of=AS_OF)
    partial.replace(path)
    print(f"  {summary}", file=sys.stderr, flush=True)
    return path


# ---------------------------------------------------------------------------------------------
# Workers: each measurement runs in a fresh process (``python bench/run.py _worker ...``)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed_load(db: Path) -> tuple[Any, dict[str, Any]]:
    """``load_data`` — the path the dashboard and the CLI take — with the time of each step,
    taken from its progress messages."""
    from carteiro.erp.load import load_data
    from carteiro.period import Period

    marks: list[tuple[str, float]] = []
    started, cpu = time.perf_counter(), time.process_time()
    data = load_data(f"sqlite:///{db}", Period(*PERIOD),
                     progress=lambda message: marks.append((message, time.perf_counter())))
    ended = time.perf_counter()
    steps: dict[str, float] = {}
    for (message, at), (_, until) in zip(marks, marks[1:] + [("", ended)], strict=True):
        steps[message] = steps.get(message, 0.0) + until - at
    return data, {"seconds": ended - started, "cpu_seconds": time.process_time() - cpu,
                  "steps": steps}


def _worker_load(db: Path) -> dict[str, Any]:
    from carteiro.erp.connect import make_engine
    from carteiro.erp.readers import reader_for

    data, timing = _timed_load(db)
    engine = make_engine(f"sqlite:///{db}")
    reader = reader_for(engine)
    engine.dispose()
    return {**timing, "rows": {"invoices": len(data.invoices), "customers": len(data.customers)},
            "reader": reader, "peak_rss_mb": _peak_rss_mb()}


def _worker_eval(db: Path) -> dict[str, Any]:
    import gc

    from carteiro.period import Period
    from carteiro.rules.engine import evaluate

    data, _ = _timed_load(db)
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    audit = evaluate(data, Period(*PERIOD))
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "invoices": len(audit.invoices),
        "customers": len(audit.customers),
        "problems": len(audit.problems),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _worker_cli(db: Path, *extra: str) -> dict[str, Any]:
    """Run the CLI as the only child of this fresh process: its wall time and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "audit.csv"
        command = [sys.executable, "-m", "carteiro", "audit", "--db", f"sqlite:///{db}",
                   "--start", PERIOD[0].isoformat(), "--end", PERIOD[1].isoformat(),
                   "--output", str(output), *extra]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"CLI failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "seconds": seconds,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "csv_bytes": output.stat().st_size,
            "csv_lines": sum(1 for _ in output.open("rb")) - 1,
        }


def _worker_delivery(db: Path) -> dict[str, Any]:
    """The CLI at the delivery level, as of the snapshot day (the demo's log ends there)."""
    return _worker_cli(db, "--level", "delivery", "--as-of", AS_OF.isoformat())


def _worker_dashboard(db: Path) -> dict[str, Any]:
    from bench.dashboard import measure_dashboard

    return measure_dashboard(db, PERIOD)


WORKERS = {"load": _worker_load, "eval": _worker_eval, "cli": _worker_cli,
           "delivery": _worker_delivery, "dashboard": _worker_dashboard}


def run_worker(kind: str, db: Path, env: dict[str, str]) -> dict[str, Any]:
    """One measurement in a fresh Python process."""
    command = [sys.executable, str(Path(__file__).resolve()), "_worker", kind, str(db)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env})
    if done.returncode != 0:
        raise RuntimeError(f"{kind} worker failed on {db.name}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# The benchmark


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of every numeric field over the runs; other fields from the first run."""
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in runs)
        else:
            out[key] = value
    out["runs"] = [{k: v for k, v in r.items() if isinstance(v, int | float)} for r in runs]
    return out


def machine() -> dict[str, Any]:
    import numpy
    import pandas
    import pyarrow

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {"python": platform.python_version(), "pandas": pandas.__version__,
                "pyarrow": pyarrow.__version__, "numpy": numpy.__version__}
    for module in ("adbc_driver_sqlite", "sqlalchemy", "streamlit"):
        try:
            versions[module] = __import__(module).__version__
        except (ImportError, AttributeError):
            versions[module] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory_gb,
            "os": platform.platform(), "versions": versions,
            "load_average_at_start": os.getloadavg()}


def fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table (the README's)."""
    lines = [
        "| customers | invoices in scope | load | eval | CLI | CLI peak RSS "
        "| delivery CLI | delivery peak RSS "
        "| dashboard: first page | dashboard: filter change | dashboard: Não recebem, 1st visit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        row = results["by_size"][str(size)]
        dash = row.get("dashboard") or {}
        delivery = row.get("delivery") or {}
        rss = delivery.get("peak_rss_mb")
        lines.append(
            f"| {size:,} | {row['eval']['invoices']:,} | {fmt_s(row['load']['seconds'])} "
            f"| {fmt_s(row['eval']['seconds'])} | {fmt_s(row['cli']['seconds'])} "
            f"| {row['cli']['peak_rss_mb']:,.0f} MB "
            f"| {fmt_s(delivery.get('seconds'))} | {'—' if rss is None else f'{rss:,.0f} MB'} "
            f"| {fmt_s(dash.get('first_page_seconds'))} "
            f"| {fmt_s(dash.get('filter_change_seconds'))} "
            f"| {fmt_s(dash.get('non_recipients_first_visit_seconds'))} |"
        )
    return "\n".join(lines)


def verdicts(results: dict[str, Any]) -> list[str]:
    """Each target, met or not (only for the sizes that were measured)."""
    by = results["by_size"]
    out: list[str] = []

    def check(label: str, value: float | None, limit: float, unit: str = "s") -> None:
        if value is None:
            return
        mark = "ok  " if value <= limit else "MISS"
        out.append(f"{mark} {label}: {value:.2f} {unit} (target ≤ {limit:g} {unit})")

    big, mid, small = by.get("1000000"), by.get("100000"), by.get("10000")
    if big:
        check("1M eval", big["eval"]["seconds"], TARGETS["eval_s"])
        check("1M CLI", big["cli"]["seconds"], TARGETS["cli_s"])
        check("1M CLI peak RSS", big["cli"]["peak_rss_mb"], TARGETS["cli_rss_mb"], "MB")
        if big.get("delivery"):
            check("1M delivery CLI / invoice CLI",
                  big["delivery"]["seconds"] / big["cli"]["seconds"], TARGETS["delivery_ratio"],
                  "×")
            check("1M delivery CLI peak RSS", big["delivery"]["peak_rss_mb"],
                  TARGETS["delivery_rss_mb"], "MB")
        if big.get("dashboard"):
            check("1M dashboard first page", big["dashboard"]["first_page_seconds"],
                  TARGETS["dashboard_first_1m_s"])
            check("1M dashboard filter change", big["dashboard"]["filter_change_seconds"],
                  TARGETS["dashboard_filter_s"])
    if big and mid:
        for what in ("load", "eval", "cli"):
            ratio = big[what]["seconds"] / mid[what]["seconds"]
            check(f"growth 100k → 1M ({what})", ratio, TARGETS["growth"], "×")
        check("growth 100k → 1M (CLI peak RSS)",
              big["cli"]["peak_rss_mb"] / mid["cli"]["peak_rss_mb"], TARGETS["growth"], "×")
    if small and small.get("dashboard"):
        check("10k dashboard first page", small["dashboard"]["first_page_seconds"],
              TARGETS["dashboard_first_10k_s"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Carteiro benchmark: load, evaluation, CLI and dashboard for one month of "
                    "demo databases (10k, 100k, 1M customers × 12 months).",
    )
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="customer counts, comma-separated (default: %(default)s)")
    parser.add_argument("--months", type=int, default=12, help="months of invoices (default 12)")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs per measurement, each in a fresh process (default 3)")
    parser.add_argument("--only", default="load,eval,cli,delivery,dashboard",
                        help="measurements to run (default: %(default)s)")
    parser.add_argument("--no-dashboard", action="store_true", help="skip the dashboard")
    parser.add_argument("--reader", choices=("auto", "sqlalchemy"), default="auto",
                        help="auto: the fastest reader the driver offers (ADBC for SQLite); "
                             "sqlalchemy: pandas.read_sql, the reference path")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON file (default: bench/results/bench-<time>.json)")
    args = parser.parse_args(argv)

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    kinds = [k.strip() for k in args.only.split(",") if k.strip()]
    if args.no_dashboard and "dashboard" in kinds:
        kinds.remove("dashboard")
    if "dashboard" in kinds and not (ROOT / "app.py").exists():
        print("dashboard skipped: app.py not found (the dashboard is not there yet)",
              file=sys.stderr)
        kinds.remove("dashboard")
    env = {"CARTEIRO_READER": args.reader} if args.reader != "auto" else {}

    results: dict[str, Any] = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "period": [d.isoformat() for d in PERIOD],
        "reader": args.reader,
        "runs": args.runs,
        "sizes": sizes,
        "by_size": {},
    }
    for size in sizes:
        db = ensure_database(size, args.months)
        row: dict[str, Any] = {"database": db.name, "database_mb": db.stat().st_size / 2**20}
        for kind in kinds:
            runs = []
            for i in range(args.runs):
                print(f"{size:>9,} {kind:<9} run {i + 1}/{args.runs} …", file=sys.stderr,
                      end="", flush=True)
                result = run_worker(kind, db, env)
                runs.append(result)
                shown = result.get("seconds", result.get("first_page_seconds"))
                print(f" {shown:.2f} s" if isinstance(shown, float) else " done",
                      file=sys.stderr, flush=True)
                if result.get("skipped"):
                    break
            row[kind] = median_of(runs)
        results["by_size"][str(size)] = row

    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    results["table"] = table(results) if {"load", "eval", "cli"} <= set(kinds) else None
    results["verdicts"] = verdicts(results) if {"load", "eval", "cli"} <= set(kinds) else []
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    output = args.output or RESULTS_DIR / f"bench-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    text = json.dumps(results, indent=2, default=str)
    output.write_text(text)
    (RESULTS_DIR / "latest.json").write_text(text)

    m = results["machine"]
    print(f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM; "
          f"Python {m['versions']['python']}, pandas {m['versions']['pandas']}, "
          f"pyarrow {m['versions']['pyarrow']}; reader: {args.reader}; "
          f"median of {args.runs} runs; load average at start "
          f"{' '.join(f'{x:.1f}' for x in m['load_average_at_start'])}.\n")
    if results["table"]:
        print(results["table"])
        print()
    for line in results["verdicts"]:
        print(line)
    print(f"\nJSON: {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "_worker":
        print(json.dumps(WORKERS[sys.argv[2]](Path(sys.argv[3])), default=str))
        sys.exit(0)
    sys.exit(main())
