"""The dashboard part of the benchmark (``bench/run.py``), with Streamlit's ``AppTest``.

In a fresh process, against one benchmark database and period:

1. **first page** — ``app.py`` runs with a cold cache until the Cobertura page is rendered
   (the audit loads behind the status box that names each step; the steps and when they were
   announced are recorded too);
2. **Não recebem, first visit** — switching to the page (its derived table is built once);
3. **filter change** — on «Não recebem», picking a reason in the «Motivo» filter, then a city,
   then typing a search, each a rerun with the audit cached.

And, in another fresh process (:func:`measure_periods`, the 1M targets of issue 13):

4. **first page cold** of Cobertura (the period, the earlier months' aggregates, the send log);
5. **switch back** — «Mês anterior» (a new period), then «Mês seguinte» back to the first one,
   already loaded: the time of that last rerun;
6. **twelve periods** — «Mês anterior» until twelve different months were shown, the process's
   RSS (``VmRSS``; AppTest runs the app in this process, as the server would) after each, and
   the peak (``VmHWM``), with the cache's budget (``CARTEIRO_CACHE_MB``) and what it holds.

``python bench/dashboard.py DB.sqlite [--periods 12]`` runs 4–6 alone and prints JSON.

Written against the dashboard as it is (``app.py``, ``pages/``); anything missing (no
``app.py``, a page or a filter renamed) is reported as skipped with a message, never a crash.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 900


def _page_path(common: Any, constant: str, *patterns: str) -> str | None:
    path = getattr(common, constant, None)
    if path and (ROOT / path).exists():
        return str(path)
    for pattern in patterns:
        found = sorted((ROOT / "pages").glob(pattern))
        if found:
            return str(found[0].relative_to(ROOT))
    return None


def _title(at: Any) -> str:
    return at.title[0].value if len(at.title) else ""


def _problem(at: Any) -> str | None:
    """An exception, or an error box that is not a configuration alert (conditions 1 and 2
    and the days without sends are shown in red above every page: content, not a failure)."""
    if len(at.exception):
        return f"exception: {at.exception[0].value}"
    for error in at.error:
        text = str(error.value)
        if "Onde corrigir" not in text and "Verificar:" not in text:
            return f"error shown: {text[:300]}"
    return None


def _first_value(widget: Any, name: str) -> Any:
    """The value behind the first option of a multiselect (AppTest lists the labels)."""
    if not widget.options:
        return None
    label = widget.options[0]
    if name == "reason":
        try:
            from carteiro.rules.catalogue import REASON_LABELS
        except ImportError:
            return None
        by_label = {str(v): k for k, v in REASON_LABELS.items()}
        return by_label.get(label)
    return label


def measure_dashboard(db: Path, period: tuple[dt.date, dt.date]) -> dict[str, Any]:
    if not (ROOT / "app.py").exists():
        return {"skipped": "app.py not found"}
    os.environ["CARTEIRO_DB_URL"] = f"sqlite:///{db}"
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    result: dict[str, Any] = {"steps": []}
    started = [time.perf_counter()]
    try:  # record the progress messages the status box shows (same process as AppTest)
        from pages import _common as common

        original = common.run_audit

        def recording(source: Any, chosen: Any, progress: Any = None) -> Any:
            def say(message: str) -> None:
                result["steps"].append([round(time.perf_counter() - started[0], 2), message])
                if progress:
                    progress(message)

            return original(source, chosen, progress=say)

        common.run_audit = recording
    except (ImportError, AttributeError) as err:
        common = None
        result["steps_note"] = f"progress not recorded ({err})"

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["inicio"] = period[0].isoformat()
    at.query_params["fim"] = period[1].isoformat()
    started[0] = time.perf_counter()
    at.run()
    result["first_page_seconds"] = time.perf_counter() - started[0]
    result["first_page_title"] = _title(at)
    problem = _problem(at)
    if problem:
        result["first_page_problem"] = problem
        return result

    page = _page_path(common, "PAGE_NAO_RECEBEM", "*recebem*.py", "*non_recipients*.py")
    if page is None:
        result["filter_note"] = "the «Não recebem» page was not found"
        return result
    began = time.perf_counter()
    at.switch_page(page).run()
    result["non_recipients_first_visit_seconds"] = time.perf_counter() - began
    result["non_recipients_title"] = _title(at)
    problem = _problem(at)
    if problem:
        result["filter_note"] = problem
        return result

    changes: dict[str, float] = {}
    keys = {name: getattr(common, constant, default) for name, constant, default in (
        ("reason", "K_NR_REASONS", "nr_reasons"), ("city", "K_NR_CITIES", "nr_cities"),
        ("search", "K_NR_QUERY", "nr_query"))}
    for name in ("reason", "city"):
        try:
            widget = at.multiselect(key=keys[name])
        except KeyError:
            continue
        value = _first_value(widget, name)
        if value is None:
            continue
        began = time.perf_counter()
        widget.set_value([value]).run()
        changes[name] = time.perf_counter() - began
    try:
        search = at.text_input(key=keys["search"])
    except KeyError:
        search = None
    if search is not None:
        began = time.perf_counter()
        search.set_value("silva").run()
        changes["search"] = time.perf_counter() - began
    problem = _problem(at)
    if problem:
        result["filter_note"] = problem
    if not changes:
        result.setdefault("filter_note", "no filter widget found on «Não recebem»")
        return result
    result["filter_changes_seconds"] = changes
    result["filter_change_seconds"] = max(changes.values())
    return result


def _rss_mb() -> dict[str, float]:
    """This process's resident memory now and its peak, in MB (Linux)."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def _time_calls(common: Any, coverage_data: Any) -> dict[str, float]:
    """Wrap the first page's reads to record where its time goes: the period's audit, the
    earlier months' invoices (read on the period's reference tables), the send log's read and
    its reconciliation."""
    spent: dict[str, float] = {}

    def timed(module: Any, name: str, label: Callable[..., str]) -> None:
        original = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                key = label(*args)
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - began

        setattr(module, name, wrapper)

    timed(common, "run_audit", lambda source, chosen, *rest: f"audit {chosen.label()}")
    timed(coverage_data, "run_audit_of_other_period",
          lambda audit, source, chosen: f"earlier invoices {chosen.label()}")
    timed(common, "_send_log", lambda *args: "send log (wait for the read begun with the audit)")
    timed(common, "reconcile", lambda *args: "send log reconcile")
    return spent


def _step(at: Any, key: str) -> float:
    began = time.perf_counter()
    at.sidebar.button(key=key).click().run()
    return time.perf_counter() - began


def measure_periods(db: Path, period: tuple[dt.date, dt.date], count: int = 12) -> dict[str, Any]:
    """First page cold, a switch back to a loaded period, and the RSS over ``count`` periods
    (months, stepping back from ``period``)."""
    os.environ["CARTEIRO_DB_URL"] = f"sqlite:///{db}"
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    from pages import _common as common
    from pages import _coverage_data as coverage_data

    spent = _time_calls(common, coverage_data)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["inicio"] = period[0].isoformat()
    at.query_params["fim"] = period[1].isoformat()
    result: dict[str, Any] = {"cache_budget_mb": round(common.AUDITS.budget_bytes / 2**20)}
    began = time.perf_counter()
    at.run()
    result["first_page_seconds"] = time.perf_counter() - began
    result["first_page_parts_seconds"] = {k: round(v, 2) for k, v in spent.items()}
    result["first_page_title"] = _title(at)
    problem = _problem(at)
    if problem:
        result["first_page_problem"] = problem
        return result
    result["rss_after_first_mb"] = _rss_mb().get("VmRSS")
    result["new_period_seconds"] = _step(at, "period_previous")
    result["switch_back_seconds"] = _step(at, "period_next")
    rss: list[float | None] = [_rss_mb().get("VmRSS")]
    seconds: list[float] = []
    for _ in range(count - 1):  # the first period is shown: count - 1 more
        seconds.append(_step(at, "period_previous"))
        rss.append(_rss_mb().get("VmRSS"))
        problem = _problem(at)
        if problem:
            result["periods_problem"] = problem
            break
    memory = _rss_mb()
    result.update({
        "periods_shown": len(rss), "period_seconds": [round(s, 2) for s in seconds],
        "rss_mb_per_period": [round(r or 0) for r in rss],
        "rss_after_periods_mb": memory.get("VmRSS"), "peak_rss_mb": memory.get("VmHWM"),
        "cache_entries": len(common.AUDITS),
        "cache_mb": round(common.AUDITS.total_bytes / 2**20),
    })
    return result


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Cobertura at scale: first page, switch back, "
                                     "RSS over twelve periods (one fresh process).")
    parser.add_argument("db", type=Path)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--start", default="2025-06-01")
    parser.add_argument("--end", default="2025-06-30")
    args = parser.parse_args()
    chosen = (dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end))
    print(json.dumps(measure_periods(args.db.resolve(), chosen, args.periods)))
