"""`python -m bench [--quick] [--only NAME ...]`: run the benchmarks, print one table, save it as JSON.

Each module in MODULES exposes `run(session) -> list[Row]` (bench/README.md). They run in this
order and share one PostgreSQL server and one sandbox process; a module that fails adds a MISSED
row saying so, and the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from bench.harness import Session
from bench.table import MISSED, Row, load, render, render_markdown, save

MODULES = [
    "bench.emulator",
    "bench.cuecast_burst",
    "bench.baseline_celery",
    "bench.baseline_django_tasks",
    "bench.table_scaling",
    "bench.idle",
    "bench.rate_limit",
    "bench.reports",
]
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def run_module(name: str, session: Session) -> list[Row]:
    started = time.monotonic()
    print(f"… {name}", flush=True)
    try:
        rows: list[Row] = importlib.import_module(name).run(session)
    except Exception as exc:
        traceback.print_exc()
        rows = [Row(name.removeprefix("bench."), "module failed", None, "", "", MISSED, repr(exc))]
    print(f"  {name} took {time.monotonic() - started:.0f} s", flush=True)
    print(render(rows), flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small workloads (2-3 minutes)")
    parser.add_argument(
        "--only", nargs="*", default=None, help="run these modules only (e.g. cuecast_burst)"
    )
    parser.add_argument("--keep", action="store_true", help="keep logs and data afterwards")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print the saved run (--output) as a Markdown table for docs/performance.md; run nothing",
    )
    args = parser.parse_args(argv)
    if args.markdown:
        rows, _ = load(args.output)
        print(render_markdown(rows))
        return 0
    wanted = (
        [f"bench.{name.removeprefix('bench.')}" for name in args.only] if args.only else MODULES
    )
    session = Session(quick=args.quick, keep=args.keep)
    session.context["load_average_before"] = os.getloadavg()
    started = time.monotonic()
    rows: list[Row] = []
    try:
        for name in wanted:
            rows += run_module(name, session)
    finally:
        session.close()
    session.context["seconds"] = round(time.monotonic() - started)
    session.context["load_average_after"] = os.getloadavg()
    print("\n" + render(rows))
    busy = max(session.context["load_average_before"][0], session.context["load_average_after"][0])
    if busy > (os.cpu_count() or 1):
        print(f"\nWARNING: the machine was busy (load average {busy:.1f}): figures are low.")
    save(rows, args.output, quick=args.quick, context=session.context)
    print(f"\nSaved to {args.output} ({session.context['seconds']} s).")
    return 1 if any(row.verdict == MISSED and row.measure == "module failed" for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
