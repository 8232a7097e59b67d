"""Carteiro's benchmark: one month of demo ERP databases of 10k, 100k and 1M customers, on
SQLite, PostgreSQL and MariaDB.

Run by hand (not by CI), from the project root::

    python bench/run.py                                   # every size and database, 3 runs
    python bench/run.py --sizes 1000000 --databases postgresql,mariadb --only cli
    python bench/run.py --sizes 10000 --runs 1 --no-dashboard
    python bench/run.py --reader sqlalchemy               # the reference path (pandas.read_sql)
    python bench/run.py --sizes 1000000 --profile         # py-spy profile of each target missed

For each database and size it measures, each as the median of ``--runs`` runs in fresh
processes:

* **load** — SQL → the normalised frames (``carteiro.erp.load.load_data``, the one path the
  dashboard and the CLI take), with the time of each step taken from its progress messages:
  *read* (every ``queries/*.sql``; the period's invoices are read in the background meanwhile,
  so their step is only the wait left after the other tables), *normalise* (value rules and
  e-mail validation of the other tables), *normalise invoices*;
* **eval** — normalised frames in memory → the invoice and customer tables (``evaluate``; the
  frames are loaded first, untimed), then **write**: the invoice CSV (``to_machine_csv``);
* **CLI** — the whole ``python -m carteiro audit --db ... --output FILE``, from the database to
  the CSV on disk: wall time, CPU time (user + system) and peak RSS of the CLI process
  (``getrusage`` of the child in a fresh wrapper process);
* **delivery** — the whole ``python -m carteiro audit --level delivery --as-of 2025-06-15``
  (the audit, the period's send log read and reconciled, the delivery CSV), wall time, CPU and
  peak RSS like the CLI; target at 1M: at most 1.5× the invoice-level CLI, at most 2 GB;
* **dashboard** (SQLite only) — with Streamlit's ``AppTest``: the first rendered Cobertura page
  (cold cache) and a filter change on «Não recebem» (warm cache). Skipped with a message when
  ``app.py`` is absent.

The databases are built once by ``carteiro.demo.generate`` and kept (``bench/databases.py``:
SQLite files under ``bench/data/``, ``carteiro_bench_<customers>`` databases on the servers of
``CARTEIRO_BENCH_POSTGRES_URL`` / ``CARTEIRO_BENCH_MYSQL_URL``); a server that cannot be reached
is skipped with a message. The audited period is June 2025. With ``--profile``, every CLI run
that misses its target is run once more under ``py-spy`` (all threads, native frames
included): the raw profile goes to ``bench/results/`` and the functions with the most samples
are printed. Results: tables on standard output and JSON in ``bench/results/`` (git-ignored;
``latest.json`` is the last run), with the machine, the load average and the versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.databases import AS_OF, BACKENDS, ensure_database  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
PERIOD = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)

# The targets (this machine, one month, 1M customers, medians).
TARGETS = {
    "eval_s": 3.0,
    "cli_s": {"sqlite": 6.0, "postgresql": 8.0, "mariadb": 12.0},
    "cli_rss_mb": 1200.0,
    "growth": 12.0,  # 1M / 100k
    "dashboard_first_1m_s": 20.0,
    "dashboard_first_10k_s": 3.0,
    "dashboard_filter_s": 1.0,
    "delivery_ratio": 1.5,  # at 1M: delivery CLI / invoice-level CLI
    "delivery_rss_mb": 2048.0,  # at 1M
}
# Step names of carteiro.erp.load's progress messages, grouped for the "where the time goes"
# table (anything starting with "Lendo" is reading).
NORMALISE_STEP = "Normalizando dados e validando e-mails…"
INVOICE_STEP = "Normalizando faturas…"


# ---------------------------------------------------------------------------------------------
# Workers: each measurement runs in a fresh process (``python bench/run.py _worker ...``)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed_load(url: str) -> tuple[Any, dict[str, Any]]:
    """``load_data`` — the path the dashboard and the CLI take — with the time of each step,
    taken from its progress messages."""
    from carteiro.erp.load import load_data
    from carteiro.period import Period

    marks: list[tuple[str, float]] = []
    started, cpu = time.perf_counter(), time.process_time()
    data = load_data(url, Period(*PERIOD),
                     progress=lambda message: marks.append((message, time.perf_counter())))
    ended = time.perf_counter()
    steps: dict[str, float] = {}
    for (message, at), (_, until) in zip(marks, marks[1:] + [("", ended)], strict=True):
        steps[message] = steps.get(message, 0.0) + until - at
    return data, {"seconds": ended - started, "cpu_seconds": time.process_time() - cpu,
                  "steps": steps, **step_groups(steps)}


def step_groups(steps: dict[str, float]) -> dict[str, float]:
    """The load's steps as read / normalise / normalise invoices seconds."""
    read = sum(v for k, v in steps.items() if k.startswith("Lendo"))
    return {"read_s": read, "normalise_s": steps.get(NORMALISE_STEP, 0.0),
            "normalise_invoices_s": steps.get(INVOICE_STEP, 0.0)}


def _worker_load(url: str) -> dict[str, Any]:
    from carteiro.erp.connect import make_engine
    from carteiro.erp.readers import reader_for

    data, timing = _timed_load(url)
    engine = make_engine(url)
    reader = reader_for(engine)
    engine.dispose()
    return {**timing, "rows": {"invoices": len(data.invoices), "customers": len(data.customers)},
            "reader": reader, "peak_rss_mb": _peak_rss_mb()}


def _worker_eval(url: str) -> dict[str, Any]:
    import gc

    from carteiro.cli.audit import audit_frame
    from carteiro.export import to_machine_csv
    from carteiro.period import Period
    from carteiro.rules.engine import evaluate

    data, _ = _timed_load(url)
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    audit = evaluate(data, Period(*PERIOD))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as tmp:
        written = time.perf_counter()
        to_machine_csv(audit_frame(audit, "invoice"), str(Path(tmp) / "audit.csv"))
        write_s = time.perf_counter() - written
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "write_s": write_s,
        "invoices": len(audit.invoices),
        "customers": len(audit.customers),
        "problems": len(audit.problems),
        "peak_rss_mb": _peak_rss_mb(),
    }


def cli_command(url: str, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "carteiro", "audit", "--db", url,
            "--start", PERIOD[0].isoformat(), "--end", PERIOD[1].isoformat(),
            "--output", str(output), *extra]


def _worker_cli(url: str, *extra: str) -> dict[str, Any]:
    """Run the CLI as the only child of this fresh process: its wall time, CPU time and peak
    RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "audit.csv"
        started = time.perf_counter()
        done = subprocess.run(cli_command(url, output, *extra), cwd=ROOT, capture_output=True,
                              text=True)
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


def _worker_delivery(url: str) -> dict[str, Any]:
    """The CLI at the delivery level, as of the snapshot day (the demo's log ends there)."""
    return _worker_cli(url, "--level", "delivery", "--as-of", AS_OF.isoformat())


def _worker_dashboard(url: str) -> dict[str, Any]:
    from bench.dashboard import measure_dashboard

    return measure_dashboard(Path(url.removeprefix("sqlite:///")), PERIOD)


def _worker_periods(url: str) -> dict[str, Any]:
    from bench.dashboard import measure_periods

    return measure_periods(Path(url.removeprefix("sqlite:///")), PERIOD)


WORKERS = {"load": _worker_load, "eval": _worker_eval, "cli": _worker_cli,
           "delivery": _worker_delivery, "dashboard": _worker_dashboard,
           "periods": _worker_periods}


def run_worker(kind: str, url: str, env: dict[str, str]) -> dict[str, Any]:
    """One measurement in a fresh Python process."""
    command = [sys.executable, str(Path(__file__).resolve()), "_worker", kind, url]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env})
    if done.returncode != 0:
        raise RuntimeError(f"{kind} worker failed on {url}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Profiles


def profile_cli(url: str, label: str, env: dict[str, str]) -> dict[str, Any]:
    """The CLI once more under ``py-spy record`` (raw collapsed stacks, every thread, native
    frames): the file, and the functions with the most samples (self and total)."""
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        return {"skipped": "py-spy not installed (pip install -r requirements-dev.txt)"}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    raw = RESULTS_DIR / f"profile-{label}-{dt.datetime.now():%Y%m%d-%H%M%S}.txt"
    with tempfile.TemporaryDirectory() as tmp:
        command = [py_spy, "record", "--rate", "200", "--format", "raw", "--native",
                   "--output", str(raw), "--", *cli_command(url, Path(tmp) / "audit.csv")]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, **env})
    if done.returncode != 0 or not raw.exists():
        return {"skipped": f"py-spy failed: {done.stderr.strip()[-500:]}"}
    return {"file": str(raw.relative_to(ROOT)), **top_functions(raw)}


def top_functions(raw: Path, count: int = 15) -> dict[str, Any]:
    """The functions with the most samples in a py-spy raw profile (``stack;...;leaf N``)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        n = int(number)
        samples += n
        frames = [f for f in stack.split(";") if f]
        if frames:
            own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    share = (lambda n: round(100 * n / samples, 1)) if samples else (lambda n: 0.0)
    return {"samples": samples,
            "self": [(f, share(n)) for f, n in own.most_common(count)],
            "total": [(f, share(n)) for f, n in total.most_common(count)
                      if not f.startswith(("<module>", "_run_module", "main ", "_run_code"))]}


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
    for module in ("adbc_driver_sqlite", "adbc_driver_postgresql", "connectorx", "sqlalchemy",
                   "streamlit"):
        try:
            versions[module] = __import__(module).__version__
        except (ImportError, AttributeError):
            versions[module] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory_gb,
            "os": platform.platform(), "versions": versions,
            "load_average_at_start": os.getloadavg()}


def fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def _rows(results: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    return [(db, size, results["by_db"][db][str(size)])
            for db in results["databases"] for size in results["sizes"]
            if str(size) in results["by_db"].get(db, {})]


def table(results: dict[str, Any]) -> str:
    """The results as Markdown tables (the README's): the totals, then where the time goes."""
    lines = [
        "| database | customers | invoices in scope | load | eval | CLI | CLI CPU | CLI peak RSS "
        "| delivery CLI | delivery peak RSS | dashboard: first page | dashboard: filter change |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for db, size, row in _rows(results):
        dash = row.get("dashboard") or {}
        delivery = row.get("delivery") or {}
        rss = delivery.get("peak_rss_mb")
        lines.append(
            f"| {db} | {size:,} | {row['eval']['invoices']:,} | {fmt_s(row['load']['seconds'])} "
            f"| {fmt_s(row['eval']['seconds'])} | {fmt_s(row['cli']['seconds'])} "
            f"| {fmt_s(row['cli']['cpu_seconds'])} | {row['cli']['peak_rss_mb']:,.0f} MB "
            f"| {fmt_s(delivery.get('seconds'))} | {'—' if rss is None else f'{rss:,.0f} MB'} "
            f"| {fmt_s(dash.get('first_page_seconds'))} "
            f"| {fmt_s(dash.get('filter_change_seconds'))} |"
        )
    lines += [
        "",
        "| database | customers | read | normalise | normalise invoices | evaluate | write CSV "
        "| CLI − these (start-up, imports, summary) | reader |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for db, size, row in _rows(results):
        load, ev = row["load"], row["eval"]
        parts = [load["read_s"], load["normalise_s"], load["normalise_invoices_s"],
                 ev["seconds"], ev["write_s"]]
        lines.append(f"| {db} | {size:,} | " + " | ".join(fmt_s(p) for p in parts)
                     + f" | {fmt_s(row['cli']['seconds'] - sum(parts))} | {load['reader']} |")
    return "\n".join(lines)


def verdicts(results: dict[str, Any]) -> list[str]:
    """Each target, met or not (only for what was measured)."""
    out: list[str] = []

    def check(label: str, value: float | None, limit: float, unit: str = "s") -> None:
        if value is None:
            return
        mark = "ok  " if value <= limit else "MISS"
        out.append(f"{mark} {label}: {value:.2f} {unit} (target ≤ {limit:g} {unit})")

    for db in results["databases"]:
        by = results["by_db"].get(db, {})
        big, mid, small = by.get("1000000"), by.get("100000"), by.get("10000")
        if big:
            check(f"{db} 1M eval", big["eval"]["seconds"], TARGETS["eval_s"])
            check(f"{db} 1M CLI", big["cli"]["seconds"], TARGETS["cli_s"][db])
            check(f"{db} 1M CLI peak RSS", big["cli"]["peak_rss_mb"], TARGETS["cli_rss_mb"],
                  "MB")
            if big.get("delivery"):
                check(f"{db} 1M delivery CLI / invoice CLI",
                      big["delivery"]["seconds"] / big["cli"]["seconds"],
                      TARGETS["delivery_ratio"], "×")
                check(f"{db} 1M delivery CLI peak RSS", big["delivery"]["peak_rss_mb"],
                      TARGETS["delivery_rss_mb"], "MB")
            if big.get("dashboard"):
                check("1M dashboard first page", big["dashboard"]["first_page_seconds"],
                      TARGETS["dashboard_first_1m_s"])
                check("1M dashboard filter change", big["dashboard"]["filter_change_seconds"],
                      TARGETS["dashboard_filter_s"])
        if big and mid:
            for what in ("load", "eval", "cli"):
                check(f"{db} growth 100k → 1M ({what})",
                      big[what]["seconds"] / mid[what]["seconds"], TARGETS["growth"], "×")
        if small and small.get("dashboard"):
            check("10k dashboard first page", small["dashboard"]["first_page_seconds"],
                  TARGETS["dashboard_first_10k_s"])
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Carteiro benchmark: load, evaluation, CLI and dashboard for one month of "
                    "demo databases (10k, 100k, 1M customers × 12 months) on SQLite, "
                    "PostgreSQL and MariaDB.",
    )
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="customer counts, comma-separated (default: %(default)s)")
    parser.add_argument("--databases", default=",".join(BACKENDS),
                        help="databases, comma-separated (default: %(default)s)")
    parser.add_argument("--months", type=int, default=12, help="months of invoices (default 12)")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs per measurement, each in a fresh process (default 3)")
    parser.add_argument("--only", default="load,eval,cli,delivery,dashboard",
                        help="measurements to run (default: %(default)s)")
    parser.add_argument("--no-dashboard", action="store_true", help="skip the dashboard")
    parser.add_argument("--reader", choices=("auto", "sqlalchemy"), default="auto",
                        help="auto: the fastest reader the driver offers (ADBC, connectorx); "
                             "sqlalchemy: pandas.read_sql, the reference path")
    parser.add_argument("--profile", action="store_true",
                        help="profile (py-spy) every 1M CLI run that misses its target")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON file (default: bench/results/bench-<time>.json)")
    return parser.parse_args(argv)


def measure(url: str, db: str, kinds: list[str], args: argparse.Namespace,
            env: dict[str, str]) -> dict[str, Any]:
    """Every measurement of one database: the medians of ``args.runs`` runs."""
    row: dict[str, Any] = {"url": url}
    for kind in kinds:
        if kind in ("dashboard", "periods") and db != "sqlite":
            continue
        runs = []
        for i in range(args.runs):
            print(f"{db:>10} {kind:<9} run {i + 1}/{args.runs} …", file=sys.stderr, end="",
                  flush=True)
            result = run_worker(kind, url, env)
            runs.append(result)
            shown = result.get("seconds", result.get("first_page_seconds"))
            print(f" {shown:.2f} s" if isinstance(shown, float) else " done",
                  file=sys.stderr, flush=True)
            if result.get("skipped"):
                break
        row[kind] = median_of(runs)
    return row


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    databases = [d.strip() for d in args.databases.split(",") if d.strip() in BACKENDS]
    kinds = [k.strip() for k in args.only.split(",") if k.strip()]
    if args.no_dashboard and "dashboard" in kinds:
        kinds.remove("dashboard")
    if "dashboard" in kinds and not (ROOT / "app.py").exists():
        print("dashboard skipped: app.py not found", file=sys.stderr)
        kinds.remove("dashboard")
    env = {"CARTEIRO_READER": args.reader} if args.reader != "auto" else {}

    results: dict[str, Any] = {
        "started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
        "period": [d.isoformat() for d in PERIOD], "reader": args.reader, "runs": args.runs,
        "sizes": sizes, "databases": databases, "by_db": {}, "skipped": {}, "profiles": {},
    }
    for size in sizes:
        for db in databases:
            try:
                url = ensure_database(db, size, args.months)
            except Exception as err:  # a server that is not there: say so, measure the rest
                results["skipped"][db] = str(err).splitlines()[0]
                print(f"{db} skipped: {results['skipped'][db]}", file=sys.stderr)
                continue
            print(f"{size:>9,} customers, {db}: {url}", file=sys.stderr, flush=True)
            row = measure(url, db, kinds, args, env)
            results["by_db"].setdefault(db, {})[str(size)] = row
            cli = row.get("cli")
            if (args.profile and cli and size == 1_000_000
                    and (cli["seconds"] > TARGETS["cli_s"][db]
                         or cli["peak_rss_mb"] > TARGETS["cli_rss_mb"])):
                results["profiles"][f"{db}-{size}"] = profile_cli(url, f"{db}-{size}", env)
    report(results, args)
    return 0


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    results["load_average_at_end"] = os.getloadavg()
    complete = {"load", "eval", "cli"} <= set(args.only.split(","))
    results["table"] = table(results) if complete else None
    results["verdicts"] = verdicts(results) if complete else []
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
          f"{' '.join(f'{x:.1f}' for x in m['load_average_at_start'])}, at end "
          f"{' '.join(f'{x:.1f}' for x in results['load_average_at_end'])}.\n")
    if results["table"]:
        print(results["table"])
        print()
    for line in results["verdicts"]:
        print(line)
    for label, profile in results["profiles"].items():
        print(f"\nProfile {label}: {profile.get('file', profile.get('skipped'))}")
        for frame, share in profile.get("total", [])[:12]:
            print(f"  {share:5.1f}%  {frame}")
    print(f"\nJSON: {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "_worker":
        print(json.dumps(WORKERS[sys.argv[2]](sys.argv[3]), default=str))
        sys.exit(0)
    sys.exit(main())
