"""Benchmark of the fix plan and the what-if: ``carteiro plan`` and one toggle, at 100k and 1M.

Run by hand (not by CI), from the project root::

    python bench/plan.py                          # 100k and 1M customers, 3 runs each
    python bench/plan.py --sizes 100000 --runs 1
    python bench/plan.py --only page --runs 1      # the «Simulação» page's click only

The databases are ``bench/run.py``'s (``ensure_database``: demo, 12 months, June 2025, seed
42, cached in ``bench/data/``); the period is June 2025. Each measurement runs in a fresh
process, ``--runs`` times, and the median is reported:

* **plan CLI** — the whole ``python -m carteiro plan --db … --output FILE``: wall time, CPU
  time and peak RSS of the CLI process (``getrusage`` of the only child of a fresh wrapper);
* **what-if** — in one process: load, evaluate and build the plan (each step timed), then the
  page's situation: every configuration step of the plan switched on (one ``simulate``), and
  then each correction of the plan toggled off and back on, one ``simulate`` per toggle. The
  slowest toggle is the number that matters (the page recomputes on every click);
* **page** (``--only page``) — the «Simulação» page's own work on one click of «Simular»
  (:func:`_worker_page`): the what-if plus everything the page draws from it. Measured on
  29/11/2026 (2 shared cores, load average 5–6 from other work, median of 3 runs, 28 clicks
  each): 100k — click median 0,10 s, slowest 0,32 s, first visit 3,7 s, peak RSS 392 MB;
  1M — click median 0,24 s, slowest 1,23 s (worst run 3,11 s), first visit 11,9 s
  (simulator, plan, options; the audit load not included), peak RSS 1.963 MB.

Targets (this machine, 1M customers, medians): plan CLI under 30 s, its peak RSS at most
2.5 GB, the slowest toggle under 5 s. Results: a table on standard output, JSON in
``bench/results/plan-<time>.json`` and ``bench/results/latest-plan.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import PERIOD, RESULTS_DIR, ensure_database, machine, median_of  # noqa: E402

DEFAULT_SIZES = (100_000, 1_000_000)
TARGETS = {"plan_cli_s": 30.0, "plan_cli_rss_mb": 2560.0, "toggle_s": 5.0}


def _worker_cli(db: Path) -> dict[str, Any]:
    """``carteiro plan`` as the only child of this fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "plano.csv"
        command = [sys.executable, "-m", "carteiro", "plan", "--db", f"sqlite:///{db}",
                   "--start", PERIOD[0].isoformat(), "--end", PERIOD[1].isoformat(),
                   "--output", str(output)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"plan failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "peak_rss_mb": usage.ru_maxrss / 1024,
                "steps": sum(1 for _ in output.open("rb")) - 1}


def _timed(marks: dict[str, float], name: str, started: float) -> float:
    now = time.perf_counter()
    marks[name] = now - started
    return now


def _worker_whatif(db: Path) -> dict[str, Any]:
    from carteiro.erp.load import load_data
    from carteiro.period import Period
    from carteiro.plan.greedy import build_plan
    from carteiro.plan.simulator import Simulator
    from carteiro.rules.engine import evaluate

    marks: dict[str, float] = {}
    at = time.perf_counter()
    data = load_data(f"sqlite:///{db}", Period(*PERIOD))
    at = _timed(marks, "load_s", at)
    audit = evaluate(data, Period(*PERIOD))
    at = _timed(marks, "evaluate_s", at)
    sim = Simulator(audit)
    at = _timed(marks, "simulator_s", at)
    plan = build_plan(sim)
    at = _timed(marks, "plan_s", at)
    on = [s.correction for s in plan.configuration_steps]
    sim.simulate(on)
    _timed(marks, "switch_on_configuration_s", at)
    toggles: list[float] = []
    for step in plan.steps:
        picked = set(on)
        for chosen in (picked ^ {step.correction}, picked):  # off (or on), then back
            started = time.perf_counter()
            sim.simulate(chosen)
            toggles.append(time.perf_counter() - started)
    return {**marks, "steps": len(plan.steps), "invoices": len(audit.invoices),
            "customers": len(audit.customers), "toggles": len(toggles),
            "toggle_median_s": statistics.median(toggles), "toggle_max_s": max(toggles),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _worker_page(db: Path) -> dict[str, Any]:
    """The «Simulação» page's work on the cached audit: what a first visit builds once (the
    simulator, the plan, the options, today's coverage by method), then each what-if as the
    page does it on a click of «Simular» (``simulate`` + ``compare``: metrics, both figures'
    frames, the customers gained): each plan step ticked alone, in turn (from the previous
    state, as the shared simulator does), then «Aplicar o plano recomendado», then nothing."""
    from carteiro.erp.load import load_data
    from carteiro.period import Period
    from carteiro.plan.greedy import build_plan
    from carteiro.plan.simulator import Simulator
    from carteiro.rules.engine import evaluate
    from carteiro.views import coverage as coverage_view
    from carteiro.views import simulation as view

    marks: dict[str, float] = {}
    at = time.perf_counter()
    audit = evaluate(load_data(f"sqlite:///{db}", Period(*PERIOD)), Period(*PERIOD))
    at = _timed(marks, "audit_s", at)
    sim = Simulator(audit)
    plan = build_plan(sim)
    opts = view.options(audit)
    methods_now = coverage_view.coverage_by_method(audit)
    codes = view.method_codes(audit, methods_now)
    at = _timed(marks, "first_visit_s", at)
    steps = [s.number for s in plan.steps]
    picks = [(n,) for n in steps] + [tuple(steps), ()]
    clicks: list[float] = []
    gained = 0
    for numbers in picks:
        started = time.perf_counter()
        chosen = view.corrections(opts, view.Picked(plan_steps=numbers), plan)
        result = view.compare(sim, view.simulate(sim, chosen), methods_now, codes)
        clicks.append(time.perf_counter() - started)
        gained = max(gained, len(result.gained))
    return {**marks, "steps": len(steps), "invoices": len(audit.invoices),
            "customers": len(audit.customers), "clicks": len(clicks),
            "click_median_s": statistics.median(clicks), "click_max_s": max(clicks),
            "whole_plan_click_s": clicks[-2], "most_customers_gained": gained,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


WORKERS = {"cli": _worker_cli, "whatif": _worker_whatif, "page": _worker_page}


def run_worker(kind: str, db: Path) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "_worker", kind, str(db)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=os.environ)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} worker failed on {db.name}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: dict[str, Any]) -> str:
    lines = ["| customers | invoices | plan CLI | CLI CPU | CLI peak RSS | load | evaluate "
             "| plan | toggle (median) | toggle (slowest) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size in results["sizes"]:
        row = results["by_size"][str(size)]
        cli, w = row["cli"], row["whatif"]
        lines.append(
            f"| {size:,} | {w['invoices']:,} | {cli['seconds']:.1f} s | "
            f"{cli['cpu_seconds']:.1f} s | {cli['peak_rss_mb']:,.0f} MB | {w['load_s']:.1f} s | "
            f"{w['evaluate_s']:.1f} s | {w['plan_s']:.1f} s | {w['toggle_median_s']:.2f} s | "
            f"{w['toggle_max_s']:.2f} s |")
    return "\n".join(lines)


def verdicts(results: dict[str, Any]) -> list[str]:
    big = results["by_size"].get("1000000")
    if not big:
        return []
    out = []
    for label, value, limit, unit in (
        ("1M plan CLI", big["cli"]["seconds"], TARGETS["plan_cli_s"], "s"),
        ("1M plan CLI peak RSS", big["cli"]["peak_rss_mb"], TARGETS["plan_cli_rss_mb"], "MB"),
        ("1M slowest toggle", big["whatif"]["toggle_max_s"], TARGETS["toggle_s"], "s"),
    ):
        out.append(f"{'ok  ' if value <= limit else 'MISS'} {label}: {value:.2f} {unit} "
                   f"(target ≤ {limit:g} {unit})")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/plan.py", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="cli,whatif")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    kinds = [k for k in args.only.split(",") if k]
    results: dict[str, Any] = {"started": dt.datetime.now().isoformat(timespec="seconds"),
                               "machine": machine(), "period": [d.isoformat() for d in PERIOD],
                               "runs": args.runs, "sizes": sizes, "by_size": {}}
    for size in sizes:
        db = Path(ensure_database("sqlite", size, args.months).removeprefix("sqlite:///"))
        row: dict[str, Any] = {"database": db.name}
        for kind in kinds:
            runs = []
            for i in range(args.runs):
                print(f"{size:>9,} {kind:<6} run {i + 1}/{args.runs} …", file=sys.stderr,
                      end="", flush=True)
                runs.append(run_worker(kind, db))
                shown = runs[-1].get("seconds", runs[-1].get("toggle_max_s",
                                                              runs[-1].get("click_max_s")))
                print(f" {shown:.2f} s", file=sys.stderr, flush=True)
            row[kind] = median_of(runs)
        results["by_size"][str(size)] = row
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    complete = set(kinds) >= {"cli", "whatif"}
    results["table"] = table(results) if complete else None
    results["verdicts"] = verdicts(results) if complete else []
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    output = RESULTS_DIR / f"plan-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    text = json.dumps(results, indent=2, default=str)
    output.write_text(text)
    (RESULTS_DIR / "latest-plan.json").write_text(text)
    m = results["machine"]
    print(f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM; median of "
          f"{args.runs} runs; load average at start "
          f"{' '.join(f'{x:.1f}' for x in m['load_average_at_start'])}.\n")
    if results["table"]:
        print(results["table"] + "\n")
    for line in results["verdicts"]:
        print(line)
    for size in sizes:
        page = results["by_size"][str(size)].get("page")
        if page:
            print(f"page {size:,}: first visit {page['first_visit_s']:.1f} s (plan included), "
                  f"click median {page['click_median_s']:.2f} s, slowest "
                  f"{page['click_max_s']:.2f} s, whole plan {page['whole_plan_click_s']:.2f} s "
                  f"({page['clicks']} clicks), peak RSS {page['peak_rss_mb']:,.0f} MB")
    print(f"\nJSON: {output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "_worker":
        print(json.dumps(WORKERS[sys.argv[2]](Path(sys.argv[3])), default=str))
        sys.exit(0)
    sys.exit(main())
