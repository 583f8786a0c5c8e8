"""Benchmark of the batch jobs on Dask: meters per second for estimate and detect with
the single-process runner, ``--cluster local:1`` and ``--cluster local:2``, side by side.

Each mode runs on a fresh store loaded with the same synthetic meters (hourly
reads, ``bench_store.synthetic_store_rows``): estimate, then detect, from
scratch, as of the end of the data. The cluster is started before the clock
starts (its start-up is printed apart); a run's time is the whole job, its
partitions submitted, run and gathered. The ratio to the single process shows
the engine's overhead (local:1) and its scaling (local:2); **target: local:2 at
>= 0.8x the single-process runner on the same 2 cores**.

    python bench/scale.py [--meters 400] [--days 60] [--repeat 3] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_store import bench_database, store_synthetic  # noqa: E402

from releve.config import Settings  # noqa: E402
from releve.jobs.cluster import open_client, run_on_cluster  # noqa: E402
from releve.jobs.runner import run_job  # noqa: E402

MODES = ("single", "local:1", "local:2")
JOBS = ("estimate", "detect")
START = pd.Timestamp("2026-01-01", tz="UTC")


def run_mode(mode: str, meters: int, days: int, seed: int) -> dict[str, float]:
    """Meters per second of each job in ``mode``, on a fresh store."""
    with bench_database("releve_bench_scale") as db_url, psycopg.connect(db_url) as conn:
        store_synthetic(conn, meters, days, seed, prefix="S")
        settings = Settings(database_url=db_url)
        as_of = START + pd.Timedelta(days=days)
        if mode == "single":
            return {
                job: _timed(lambda j=job: run_job(j, settings, as_of, workers=1)) for job in JOBS
            }
        started = time.perf_counter()
        with open_client(mode) as client:
            print(
                f"   {mode}: cluster started in {time.perf_counter() - started:.1f} s (not timed)"
            )
            return {
                job: _timed(lambda j=job: run_on_cluster(j, settings, as_of, cluster=client))
                for job in JOBS
            }


def _timed(run) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    report = run()
    elapsed = time.perf_counter() - started
    if report.failures or report.failed_partitions:
        raise SystemExit(f"the run failed: {report.failures[:3]} {report.failed_partitions[:3]}")
    return float(report.summary.meters / elapsed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=400)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat")
    args = parser.parse_args(argv)
    if args.smoke:
        args.meters, args.days, args.repeat = 16, 10, 1
    print(f"== scale: {args.meters} meters x {args.days} days of hourly reads, "
          f"{args.repeat} repeat(s), medians")  # fmt: skip
    runs: dict[str, dict[str, list[float]]] = {m: {j: [] for j in JOBS} for m in MODES}
    for _ in range(args.repeat):
        for mode in MODES:  # interleaved, so the machine's load falls on every mode alike
            for job, rate in run_mode(mode, args.meters, args.days, args.seed).items():
                runs[mode][job].append(rate)
    print(
        f"\n{'job':<10}"
        + "".join(f"{m:>14}" for m in MODES)
        + f"{'local:1/1':>12}{'local:2/1':>12}"
    )
    for job in JOBS:
        rates = {m: statistics.median(runs[m][job]) for m in MODES}
        print(
            f"{job:<10}" + "".join(f"{rates[m]:>10.1f} m/s" for m in MODES)
            + f"{rates['local:1'] / rates['single']:>12.2f}"
            + f"{rates['local:2'] / rates['single']:>12.2f}"
        )  # fmt: skip
    print("target: local:2 / single >= 0.8 (meters per second, same 2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
