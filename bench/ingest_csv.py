"""Benchmark: `releve ingest csv` end to end against a raw COPY, on one server, in one run.

    python bench/ingest_csv.py [--rows 2000000] [--meters 5000] [--repeat 3] [--daiad PATH]

(a) `releve ingest csv` of a generated readings CSV into a fresh database, as a
    subprocess (parse, validate, stage, insert; its peak RSS is measured);
(b) a raw `COPY` of the same rows, already in the table's column format, into
    an empty table with the readings table's columns and primary key: the
    physical limit on this machine.
Runs alternate (a), (b) and the medians are compared: target (a)/(b) >= 0.5.
With --daiad, also loads the DAIAD file with its column mapping.

``--smoke`` runs the same path in seconds (a few thousand rows, one run),
loads a small synthetic file in the DAIAD layout when --daiad is not given,
and exits 1 when a load stores fewer readings than it was given.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_store import bench_server, fresh_database  # noqa: E402

REFERENCE_TABLE = """
CREATE TABLE copy_reference (
    meter_id text NOT NULL, ts timestamptz NOT NULL, index_value double precision NOT NULL,
    quality text NOT NULL, source text NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    batch_id bigint, PRIMARY KEY (meter_id, ts))
"""
DAIAD_MAPPING = 'meter_id="user key",timestamp=datetime,index="meter reading"'
SMOKE = {"rows": 5_000, "meters": 50, "repeat": 1, "daiad_meters": 5, "daiad_hours": 200}


def write_readings_csv(path: Path, *, rows: int, meters: int) -> pd.DataFrame:
    """Hourly readings of ``meters`` meters, ``rows`` in all, meter by meter."""
    hours = rows // meters
    ids = np.repeat([f"MTR-{i:06d}" for i in range(meters)], hours)
    stamps = pd.date_range("2025-01-01", periods=hours, freq="h", tz="UTC")
    ts = np.tile(stamps.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(), meters)
    use = np.random.default_rng(42).gamma(0.5, 0.02, (meters, hours))
    index = np.round(100 + np.cumsum(use, axis=1), 3).ravel()
    frame = pd.DataFrame(
        {"meter_id": ids, "timestamp": ts, "index": index, "unit": "m3", "quality": "actual"}
    )
    frame.to_csv(path, index=False)
    return frame


def write_daiad_like(path: Path, *, meters: int, hours: int) -> int:
    """A small gzipped file in the DAIAD trial's layout (``user key;datetime;meter
    reading;diff``, local day-first times, litres), away from clock changes; its rows."""
    rng = np.random.default_rng(7)
    stamps = pd.date_range("2016-05-02 00:19:43", periods=hours, freq="h")
    lines = ["user key;datetime;meter reading;diff"]
    for k in range(meters):
        litres = 68_000 + np.cumsum(rng.poisson(8.0, hours))
        diffs = np.diff(litres, prepend=litres[0])
        lines += [f"{k:08d}-5d67-4895-9215-6e247087ea00;{t:%d/%m/%Y %H:%M:%S};{v};{d}"
                  for t, v, d in zip(stamps, litres, diffs, strict=True)]  # fmt: skip
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return meters * hours


def stored_readings(url: str) -> int:
    """Readings in the store at ``url``."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM readings").fetchone()
    return int(row[0]) if row else 0


def write_copy_file(path: Path, frame: pd.DataFrame) -> None:
    """The same rows in the reference table's COPY text format."""
    out = pd.DataFrame(
        {
            "meter_id": frame["meter_id"],
            "ts": frame["timestamp"],
            "index_value": frame["index"],
            "quality": frame["quality"],
            "source": "csv:bench",
            "received_at": "2026-01-01T00:00:00Z",
            "batch_id": 1,
        }
    )
    out.to_csv(path, sep="\t", header=False, index=False)


def run_ingest(url: str, home: Path, *args: str) -> tuple[float, float, str]:
    """Seconds, peak RSS [MB] and output of `releve ingest csv ...` in a subprocess.

    The peak is the child's own high-water mark (``VmHWM``), sampled while it
    runs: ``wait4``'s ``ru_maxrss`` would also count this process's memory
    (the generated rows), which Linux carries into a child across fork and exec.
    """
    env = dict(os.environ, RELEVE_DATABASE_URL=url, RELEVE_HOME=str(home))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "releve.cli", "ingest", "csv", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(
        target=lambda: output.append(proc.stdout.read() if proc.stdout else "")
    )
    reader.start()
    peak_kb = 0
    while proc.poll() is None:
        peak_kb = max(peak_kb, _high_water_kb(proc.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    reader.join()
    if proc.returncode != 0:
        raise SystemExit(f"ingest failed:\n{''.join(output)}")
    return seconds, peak_kb / 1024, "".join(output)


def _high_water_kb(pid: int) -> int:
    """Peak resident memory of a running process so far [kB] (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), "")
    return int(line.split()[1]) if line else 0


def run_copy(url: str, copy_file: Path) -> float:
    """Seconds for a raw COPY of the prepared rows into an empty keyed table."""
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS copy_reference")
        conn.execute(REFERENCE_TABLE)
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor().copy("COPY copy_reference FROM STDIN") as copy,
            open(copy_file, "rb") as f,
        ):
            while block := f.read(1 << 20):
                copy.write(block)
        conn.commit()
        return time.perf_counter() - started


def main() -> int:
    """Run the benchmark and print its figures; 1 when a load stored fewer readings
    than it was given."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--meters", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--daiad", type=Path, help="path of daiad_swm_trialA.csv.gz")
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE['rows']:,} rows, one run, a synthetic DAIAD-like file")  # fmt: skip
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.meters, args.repeat = SMOKE["rows"], SMOKE["meters"], SMOKE["repeat"]

    with tempfile.TemporaryDirectory(prefix="releve-bench-") as tmp:
        work = Path(tmp)
        with bench_server() as admin_url:
            status = run(admin_url, work, args)
    return status


def run(admin_url: str, work: Path, args: argparse.Namespace) -> int:
    """The alternating runs, then the DAIAD load; 1 when a load lost readings."""
    csv_path, copy_path = work / "readings.csv", work / "readings.copy"
    frame = write_readings_csv(csv_path, rows=args.rows, meters=args.meters)
    write_copy_file(copy_path, frame)
    rows = len(frame)
    del frame
    print(
        f"{rows:,} rows, {args.meters:,} meters, file {csv_path.stat().st_size / 1e6:.0f} MB; "
        f"server: {admin_url}"
    )
    # A fresh server allocates its WAL files on first use: warm it up untimed so that
    # neither side pays for that, then alternate which side runs first.
    run_copy(fresh_database(admin_url, "bench_copy"), copy_path)
    ingest_s, copy_s, rss, stored = [], [], [], []
    for i in range(args.repeat):
        if i % 2:
            copy_s.append(run_copy(fresh_database(admin_url, "bench_copy"), copy_path))
        url = fresh_database(admin_url, "bench_ingest")
        seconds, peak, _ = run_ingest(url, work / "home", str(csv_path))
        ingest_s.append(seconds)
        rss.append(peak)
        stored.append(stored_readings(url))
        if not i % 2:
            copy_s.append(run_copy(fresh_database(admin_url, "bench_copy"), copy_path))
        print(
            f"  run {i + 1}: ingest {seconds:.2f} s (peak RSS {peak:.0f} MB), raw COPY {copy_s[-1]:.2f} s"
        )
    a, b = statistics.median(ingest_s), statistics.median(copy_s)
    print(f"(a) releve ingest csv: {rows / a:>10,.0f} rows/s  (median of {args.repeat})")
    print(f"(b) raw COPY:          {rows / b:>10,.0f} rows/s")
    print(f"ratio (a)/(b):         {b / a:>10.2f}  (target >= 0.5)")
    print(f"peak RSS of (a):       {max(rss):>10.0f} MB")
    print(f"stored by (a):         {min(stored):>10,} of {rows:,} rows")
    status = 0 if min(stored) == rows else 1
    daiad, expected = args.daiad, None
    if daiad is None and args.smoke:
        daiad = work / "daiad_like.csv.gz"
        expected = write_daiad_like(daiad, meters=SMOKE["daiad_meters"], hours=SMOKE["daiad_hours"])
    if daiad is not None:
        url = fresh_database(admin_url, "bench_daiad")
        seconds, peak, output = run_ingest(
            url,
            work / "home",
            str(daiad),
            "--columns",
            DAIAD_MAPPING,
            "--unit",
            "L",
            "--timestamp-format",
            "%d/%m/%Y %H:%M:%S",
        )
        print(f"DAIAD ({daiad.name}): {seconds:.1f} s end to end, peak RSS {peak:.0f} MB")
        print("\n".join("  " + line for line in output.strip().splitlines()))
        if expected is not None and stored_readings(url) != expected:
            print(f"stored {stored_readings(url):,} of the {expected:,} DAIAD-like rows")
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
