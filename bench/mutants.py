"""Planted bugs: does the test suite catch them?

Each mutation in ``bench/mutations.toml`` replaces one exact snippet of a source file with a
wrong version (a planted bug). For each, this script copies the repository's tracked files to
a temporary folder, applies the mutation there (never to the checkout), runs the test files the
mutation names, and records whether a test failed (the mutant is *killed*) or not (it
*survived*). A mutation whose snippet is not found exactly once is reported as *stale*: the code
moved on and the list must follow it.

    python bench/mutants.py                    # every mutation
    python bench/mutants.py --only delivery    # ids containing "delivery"
    python bench/mutants.py --list

Results go to standard output (one line per mutation, then the share killed) and to
``bench/results/mutants-<time>.json``. A survivor is either a gap in the tests (write the test
that kills it) or a change that provably changes nothing (say why in its ``equivalent`` field).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTATIONS = ROOT / "bench" / "mutations.toml"
RESULTS_DIR = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Mutation:
    id: str
    file: str
    find: str
    replace: str
    tests: tuple[str, ...]
    why: str
    equivalent: str = ""


def load_mutations(path: Path = MUTATIONS) -> list[Mutation]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Mutation(id=m["id"], file=m["file"], find=m["find"], replace=m["replace"],
                 tests=tuple(m["tests"]), why=m["why"], equivalent=m.get("equivalent", ""))
        for m in data["mutation"]
    ]


def copy_checkout(target: Path) -> None:
    """The tracked files of the checkout (as they are in the working tree) into ``target``."""
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    for name in names:
        source = ROOT / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def run_one(mutation: Mutation, pristine: Path, timeout: float) -> dict[str, object]:
    """Apply ``mutation`` to a fresh copy of ``pristine`` and run its tests."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="carteiro-mutant-") as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(pristine, work)
        path = work / mutation.file
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if text.count(mutation.find) != 1:
            return {"id": mutation.id, "outcome": "stale",
                    "detail": f"snippet found {text.count(mutation.find)} times"}
        path.write_text(text.replace(mutation.find, mutation.replace), encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                   *mutation.tests]
        try:
            done = subprocess.run(command, cwd=work, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"id": mutation.id, "outcome": "killed", "detail": "timeout",
                    "seconds": time.perf_counter() - started}
    outcome = "survived" if done.returncode == 0 else "killed"
    last = [line for line in done.stdout.splitlines() if line.strip()][-1:] or [""]
    return {"id": mutation.id, "outcome": outcome, "detail": last[0],
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/mutants.py", description=__doc__)
    parser.add_argument("--only", default="", help="run the mutations whose id contains this")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per mutant")
    args = parser.parse_args(argv)

    mutations = [m for m in load_mutations() if args.only in m.id]
    if args.list:
        for m in mutations:
            print(f"{m.id:<40} {m.file}: {m.why}")
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="carteiro-pristine-") as tmp:
        pristine = Path(tmp) / "repo"
        copy_checkout(pristine)
        for index, mutation in enumerate(mutations, 1):
            result = run_one(mutation, pristine, args.timeout)
            result.update(file=mutation.file, why=mutation.why, tests=list(mutation.tests),
                          equivalent=mutation.equivalent)
            results.append(result)
            print(f"[{index}/{len(mutations)}] {result['outcome']:<8} {mutation.id}: "
                  f"{mutation.why} ({result.get('detail', '')})", flush=True)
    counted = [r for r in results if r["outcome"] in ("killed", "survived")]
    killed = sum(r["outcome"] == "killed" for r in counted)
    survivors = [r for r in counted if r["outcome"] == "survived"]
    print(f"\nkilled {killed} of {len(counted)} "
          f"({killed / len(counted):.0%})" if counted else "\nno mutation ran")
    for r in survivors:
        print(f"  survived: {r['id']}" + (f" — equivalent: {r['equivalent']}"
                                          if r["equivalent"] else ""))
    stale = [r["id"] for r in results if r["outcome"] == "stale"]
    if stale:
        print(f"  stale (snippet not found): {', '.join(stale)}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    output = RESULTS_DIR / f"mutants-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"JSON: {output.relative_to(ROOT)}")
    return 0 if not stale else 1


if __name__ == "__main__":
    sys.exit(main())
