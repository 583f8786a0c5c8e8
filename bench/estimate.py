"""Benchmark of estimation: accuracy on real data against two baselines, and speed.

Accuracy: on the DAIAD trial A household water file, reads are hidden to
make gaps of 6 hours, 24 hours and 7 days at random (seeded) places where the
truth is measured; each gap is estimated by Relevé and by two baselines
and scored hourly and daily (MAE, WAPE) against the hidden truth:

- ``linear``: linear interpolation of the index;
- ``same_hour_last_week``: last week's hours over the gap, scaled so that
  they add up to the gap's index delta as the reads around it give it (the
  kept register interpolated linearly at the gap's ends: the total the linear
  baseline puts in the gap), as the linear baseline and Relevé conserve it;
  flat (linear) when last week used nothing.

Two rows are printed for reference only, not baselines the gains are
measured against: ``last_week_true_total``, the same hours scaled to the
hidden total of the gap's hours (which no method knows: it has seen how
much of the delta fell in the part-hours at the gap's ends), and
``last_week_unscaled``.

The open gap (prospective estimate for the next 7 days after the last read)
is scored the same way, with the average rate of the last 28 days as the
linear baseline and last week unscaled (its total is unknown). Every bounded
gap is checked to conserve the index delta.

Speed (pure part): N meters x 90 days of hourly reads validated and
estimated from scratch, in meters per second. Speed (store): ``releve
estimate`` against a plain COPY out and in of as many rows.

    python bench/estimate.py [../shared/data/daiad_swm_trialA.csv.gz] [--seed 42] [--smoke]

``--smoke`` runs every part in seconds (a handful of meters, tiny speed
runs), on synthetic meters when no path is given, and exits 1 when a bounded
gap does not conserve its index delta.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from estimate import EstimationSettings, estimate_hourly, validate_reads  # noqa: E402
from estimate.consumption import GAP_SHARE  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
DEFAULT_PATH = DEFAULT_DATA / "daiad_swm_trialA.csv.gz"
HOUR = pd.Timedelta(hours=1)
GAPS = {"6h": 6, "24h": 24, "7d": 168}
LINEAR_ONLY = EstimationSettings(short_gap_max_h=1e9)
RELEVE = EstimationSettings()
METHODS = ("releve", "linear", "same_hour_last_week")
BASELINES = ("linear", "same_hour_last_week")
CEILING_DAYS = 28
CONSERVED = 1e-6  # largest relative error on a bounded gap's total that conserves it
SMOKE = {"meters": 5, "days": 120, "speed_meters": 20, "speed_days": 30}


def read_daiad(path: Path, timezone: str) -> dict[str, pd.DataFrame]:
    """The DAIAD file as one frame of reads (ts UTC, index [L]) per household."""
    raw = pd.read_csv(path, sep=";")
    local = pd.to_datetime(raw["datetime"], format="%d/%m/%Y %H:%M:%S")
    ts = local.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    frame = pd.DataFrame({"meter_id": raw["user key"], "ts": ts, "index": raw["meter reading"]})
    frame = frame.dropna(subset=["ts"])
    return {key: group.drop(columns="meter_id") for key, group in frame.groupby("meter_id")}


@dataclass
class Scores:
    """Pooled absolute errors and truth volumes per method."""

    hourly_err: dict[str, list[np.ndarray]] = field(default_factory=dict)
    hourly_truth: list[np.ndarray] = field(default_factory=list)
    daily_err: dict[str, list[np.ndarray]] = field(default_factory=dict)
    daily_truth: list[np.ndarray] = field(default_factory=list)
    gaps: int = 0
    conservation_max_err: float = 0.0

    def add(self, truth: pd.Series, estimates: dict[str, pd.Series], timezone: str) -> None:
        self.gaps += 1
        self.hourly_truth.append(truth.to_numpy())
        day = truth.index.tz_convert(timezone).tz_localize(None).normalize()
        truth_day = truth.groupby(day).sum()
        self.daily_truth.append(truth_day.to_numpy())
        for name, est in estimates.items():
            self.hourly_err.setdefault(name, []).append(np.abs(est.to_numpy() - truth.to_numpy()))
            est_day = est.groupby(day).sum()
            self.daily_err.setdefault(name, []).append(np.abs(est_day - truth_day).to_numpy())

    def row(self, name: str) -> dict[str, float]:
        h_err, h_truth = np.concatenate(self.hourly_err[name]), np.concatenate(self.hourly_truth)
        d_err, d_truth = np.concatenate(self.daily_err[name]), np.concatenate(self.daily_truth)
        return {
            "hourly_mae_L": h_err.mean(),
            "hourly_wape_%": 100 * h_err.sum() / np.abs(h_truth).sum(),
            "daily_mae_L": d_err.mean(),
            "daily_wape_%": 100 * d_err.sum() / np.abs(d_truth).sum(),
        }


def truth_curve(reads: pd.DataFrame, timezone: str) -> tuple[pd.DataFrame, pd.Series]:
    """Valid reads and the hourly curve from all of them (the truth where measured)."""
    validated = validate_reads(reads)
    hourly = estimate_hourly(validated, as_of=validated.valid.index[-1], timezone=timezone)
    return validated.valid, hourly


def measured_starts(hourly: pd.DataFrame, before: int, after: int) -> np.ndarray:
    """Hour positions p where hours p-before .. p+after-1 are all between real reads
    at most an interval apart (no gap filled: reads off the hour split their deltas)."""
    ok = (hourly[GAP_SHARE] == 0).to_numpy().astype(int)
    window = before + after
    run = np.convolve(ok, np.ones(window, dtype=int), mode="valid") == window
    return np.flatnonzero(run) + before


def pick_gaps(candidates: np.ndarray, rng: np.random.Generator, count: int, spacing: int) -> list:
    """Up to ``count`` random positions at least ``spacing`` hours apart."""
    chosen: list[int] = []
    for pos in rng.permutation(candidates):
        if all(abs(pos - c) >= spacing for c in chosen):
            chosen.append(int(pos))
        if len(chosen) == count:
            break
    return sorted(chosen)


def conservation_error(valid: pd.DataFrame, hourly: pd.DataFrame, g0: pd.Timestamp, g1) -> float:
    """Volume of the hours spanning one bounded gap minus the index delta (linear at its ends)."""
    t = valid.index.as_unit("ns").asi8.astype(float)
    r = valid["register"].to_numpy()
    after = np.searchsorted(t, g1.value, side="left")
    t_a, t_b = t[after - 1], t[after]
    lo = pd.Timestamp(int(t_a), tz="UTC").floor("h")
    hi = pd.Timestamp(int(t_b), tz="UTC").ceil("h")
    expected = np.interp(float(hi.value), t, r) - np.interp(float(lo.value), t, r)
    got = hourly.loc[(hourly.index >= lo) & (hourly.index < hi), "volume"].sum()
    return abs(got - expected) / max(1.0, abs(expected))


def score_bounded(
    meters: dict[str, pd.DataFrame], hours: int, count: int, seed: int, timezone: str
) -> Scores:
    """Hide reads to make ``hours``-long gaps and score every method on them."""
    rng = np.random.default_rng(seed)
    scores = Scores()
    for reads in meters.values():
        valid, truth = truth_curve(reads, timezone)
        starts = measured_starts(truth, 8 * 24, hours + 24)
        gaps = pick_gaps(starts, rng, count, spacing=hours + 60 * 24)
        if not gaps:
            continue
        hide = np.zeros(len(valid), dtype=bool)
        windows = [(truth.index[p], truth.index[p] + hours * HOUR) for p in gaps]
        for g0, g1 in windows:
            hide |= (valid.index > g0) & (valid.index < g1)
        kept = valid[~hide]
        as_of = valid.index[-1]
        releve = estimate_hourly(kept, as_of=as_of, timezone=timezone, settings=RELEVE)
        linear = estimate_hourly(kept, as_of=as_of, timezone=timezone, settings=LINEAR_ONLY)
        for g0, g1 in windows:
            known = gap_total(kept, g0, g1)
            scores.conservation_max_err = max(
                scores.conservation_max_err, conservation_error(kept, releve, g0, g1)
            )
            span = (truth.index >= g0) & (truth.index < g1)
            true = truth.loc[span, "volume"]
            last_week = truth["volume"].shift(168).loc[span]
            scores.add(
                true,
                {
                    "releve": releve.loc[true.index, "volume"],
                    "linear": linear.loc[true.index, "volume"],
                    "same_hour_last_week": scaled_to_total(last_week, known),
                    "last_week_true_total": scaled_to_total(last_week, true.sum()),
                    "last_week_unscaled": last_week,
                    "ceiling": hindsight_profile(truth["volume"], true, timezone),
                },
                timezone,
            )
    return scores


def gap_total(kept: pd.DataFrame, g0: pd.Timestamp, g1: pd.Timestamp) -> float:
    """The index delta over [g0, g1) as the reads kept around a gap give it: the
    register interpolated linearly at both ends [meter unit]."""
    t = kept.index.as_unit("ns").asi8.astype(float)
    r = kept["register"].to_numpy()
    return float(np.interp(float(g1.value), t, r) - np.interp(float(g0.value), t, r))


def scaled_to_total(shape: pd.Series, total: float) -> pd.Series:
    """``shape`` [m3 per hour] multiplied so that it adds up to ``total`` [m3]: the
    gap's known index delta shaped like last week; flat when last week's total
    is not positive (nothing to shape by, or a reversal outweighing use)."""
    used = float(shape.sum())
    if used <= 0:
        return pd.Series(total / len(shape), index=shape.index)
    return shape * (total / used)


def hindsight_profile(volume: pd.Series, true: pd.Series, timezone: str) -> pd.Series:
    """The hidden total shaped by the meter's mean hour of the week over the
    ``CEILING_DAYS`` on either side of the gap, the hidden hours included.

    Not a method (it has seen the answer): a bound on what shaping a known
    total by a like-day profile can do on this data.
    """
    reach = CEILING_DAYS * 24 * HOUR
    near = volume[
        (volume.index >= true.index[0] - reach) & (volume.index <= true.index[-1] + reach)
    ]

    def week_hour(index: pd.DatetimeIndex) -> np.ndarray:
        local = index.tz_convert(timezone)
        return np.asarray(local.day_of_week * 24 + local.hour)

    profile = near.groupby(week_hour(near.index)).mean()
    weights = profile.reindex(week_hour(true.index)).fillna(0.0).to_numpy()
    if weights.sum() <= 0:
        weights = np.ones(len(true))
    return pd.Series(true.sum() * weights / weights.sum(), index=true.index)


def score_prospective(
    meters: dict[str, pd.DataFrame], count: int, seed: int, timezone: str
) -> Scores:
    """Cut each series, estimate the next 7 days prospectively, score against the truth."""
    rng = np.random.default_rng(seed)
    scores = Scores()
    week = 168
    for reads in meters.values():
        valid, truth = truth_curve(reads, timezone)
        starts = measured_starts(truth, 28 * 24, week)
        for p in pick_gaps(starts, rng, count, spacing=60 * 24):
            cut = truth.index[p]
            kept = valid[valid.index <= cut]
            as_of = cut + week * HOUR
            releve = estimate_hourly(kept, as_of=as_of, timezone=timezone, settings=RELEVE)
            span = (truth.index >= cut) & (truth.index < as_of)
            true = truth.loc[span, "volume"]
            recent = truth.loc[(truth.index >= cut - 28 * 24 * HOUR) & (truth.index < cut)]
            rate = recent["volume"].mean()
            scores.add(
                true,
                {
                    "releve": releve.loc[true.index, "volume"],
                    "linear": pd.Series(rate, index=true.index),
                    "same_hour_last_week": truth["volume"].shift(168).loc[span],
                },
                timezone,
            )
    return scores


def print_accuracy(name: str, scores: Scores) -> dict[str, dict[str, float]]:
    """Print one gap length's table and its target check; the rows."""
    rows = {method: scores.row(method) for method in scores.hourly_err}
    table = pd.DataFrame(rows).T.round(2)
    print(
        f"\n== {name}: {scores.gaps} gaps, conservation max relative error "
        f"{scores.conservation_max_err:.2e}"
    )
    print(table.to_string())
    for metric in ("hourly_wape_%", "daily_wape_%"):
        best = min(rows[baseline][metric] for baseline in BASELINES)
        gain = 100 * (1 - rows["releve"][metric] / best)
        line = f"   {metric}: Relevé {gain:+.1f}% vs better baseline ({best:.2f})"
        if "ceiling" in rows:
            ceiling = 100 * (1 - rows["ceiling"][metric] / best)
            line += f"; hindsight like-week profile {ceiling:+.1f}%"
        print(line)
    return rows


def synthetic_meters(count: int, days: int, seed: int, missing: float = 0.02) -> list[pd.DataFrame]:
    """Hourly reads (ts, index [L]) of ``count`` water meters with a daily pattern,
    a ``missing`` share of reads lost."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-01-01", periods=days * 24, freq="h", tz="UTC")
    shape = np.tile(np.array([0.2] * 6 + [3, 4, 2] + [1] * 9 + [3, 3, 2, 1, 0.5, 0.3]), days)
    meters = []
    for _ in range(count):
        volume = rng.poisson(shape * rng.uniform(2, 20))
        keep = rng.random(ts.size) >= missing
        keep[0] = True
        meters.append(pd.DataFrame({"ts": ts[keep], "index": np.cumsum(volume)[keep] * 1.0}))
    return meters


def bench_speed(count: int, days: int, seed: int, timezone: str) -> float:
    """Meters per second validated and estimated from scratch."""
    meters = synthetic_meters(count, days, seed)
    as_of = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=days)
    started = time.perf_counter()
    rows = 0
    for reads in meters:
        rows += len(estimate_hourly(validate_reads(reads), as_of=as_of, timezone=timezone))
    elapsed = time.perf_counter() - started
    print(
        f"\n== speed (pure): {count} meters x {days} days hourly: {elapsed:.2f} s, "
        f"{count / elapsed:.0f} meters/s, {rows / elapsed:,.0f} intervals/s"
    )
    return count / elapsed


def bench_store(count: int, days: int, seed: int) -> float:
    """Whole ``releve estimate`` run from scratch (its partitions on this machine's cores,
    as the command runs them) against plain COPY TO + COPY FROM; the ratio."""
    import psycopg
    from bench_store import bench_database, store_synthetic

    from releve.config import Settings
    from releve.jobs.runner import run_job

    with bench_database("releve_bench_estimate") as db_url, psycopg.connect(db_url) as conn:
        started = time.perf_counter()
        stored = store_synthetic(conn, count, days, seed, prefix="B")
        print(
            f"\n== speed (store): {count} meters x {days} days, {stored:,} readings "
            f"loaded in {time.perf_counter() - started:.1f} s (setup, not timed)"
        )
        as_of = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=days)
        started = time.perf_counter()
        report = run_job("estimate", Settings(database_url=db_url), as_of)
        run = time.perf_counter() - started
        summary = report.summary
        read, write = reference_io(conn, summary.written)
    io_time = read + write
    print(
        f"   releve estimate: {summary.meters} meters in {report.partitions} partitions, "
        f"{summary.written:,} intervals written in {run:.2f} s ({summary.meters / run:.0f} meters/s)"
    )
    print(
        f"   I/O limit: COPY readings TO {read:.2f} s + COPY {summary.written:,} rows FROM "
        f"{write:.2f} s = {io_time:.2f} s"
    )
    print(f"   ratio run / I/O limit: {run / io_time:.2f} (target < 2)")
    return run / io_time


def reference_io(conn, rows: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Seconds to COPY all readings out, and to COPY ``rows`` intervals into an empty table."""
    started = time.perf_counter()
    with conn.cursor().copy("COPY readings TO STDOUT (FORMAT csv)") as copy:
        size = sum(len(block) for block in copy)
    read = time.perf_counter() - started
    buffer = io.BytesIO()
    query = f"COPY (SELECT * FROM consumption_hourly LIMIT {int(rows)}) TO STDOUT (FORMAT csv)"
    with conn.cursor().copy(query) as copy:
        for block in copy:
            buffer.write(block)
    conn.execute("CREATE TABLE io_reference (LIKE consumption_hourly INCLUDING ALL)")
    conn.commit()
    started = time.perf_counter()
    with conn.cursor().copy("COPY io_reference FROM STDIN (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())
    conn.commit()
    write = time.perf_counter() - started
    del size
    return read, write


def accuracy_meters(path: Path | None, count: int | None, timezone: str, seed: int):
    """The meters the accuracy part runs on: the DAIAD file's, or (no path) synthetic
    meters with every read kept, so that gaps can be cut where the truth is measured."""
    if path is None:
        synthetic = synthetic_meters(count or SMOKE["meters"], SMOKE["days"], seed, missing=0.0)
        return "synthetic meters", {f"SYN{k:03d}": m for k, m in enumerate(synthetic)}
    meters = read_daiad(path, timezone)
    return path.name, dict(list(meters.items())[:count] if count else meters.items())


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables; 1 when a smoke run's gaps lose volume."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=None,
                        help=f"the DAIAD file (default {DEFAULT_PATH}; synthetic with --smoke)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--gaps-per-meter", type=int, default=4)
    parser.add_argument("--meters", type=int, default=None, help="use only the first N meters")
    parser.add_argument("--timezone", default="Europe/Paris")
    parser.add_argument("--speed-meters", type=int, default=1000)
    parser.add_argument("--speed-days", type=int, default=90)
    parser.add_argument("--store-meters", type=int, default=5000,
                        help="meters for the store speed part (0: skip it)")  # fmt: skip
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-speed", action="store_true", help="run only the accuracy part")
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE['meters']} meters, speed runs of {SMOKE['speed_meters']} x "
                        f"{SMOKE['speed_days']} days, in seconds")  # fmt: skip
    args = parser.parse_args(argv)
    if args.smoke:
        args.meters = args.meters or SMOKE["meters"]
        args.speed_meters = args.store_meters = SMOKE["speed_meters"]
        args.speed_days = SMOKE["speed_days"]
    elif args.path is None:
        args.path = DEFAULT_PATH
    status = 0
    if not args.skip_accuracy:
        name, meters = accuracy_meters(args.path, args.meters, args.timezone, args.seed)
        print(f"accuracy on {len(meters)} meters of {name}, seed {args.seed}")
        for gap, hours in GAPS.items():
            scores = score_bounded(meters, hours, args.gaps_per_meter, args.seed, args.timezone)
            print_accuracy(f"bounded gap {gap}", scores)
            if args.smoke and not (scores.gaps and scores.conservation_max_err <= CONSERVED):
                print(f"smoke: bounded gaps {gap}: {scores.gaps} scored, largest relative "
                      f"error on a total {scores.conservation_max_err:.2e}", file=sys.stderr)  # fmt: skip
                status = 1
        prospective = score_prospective(meters, args.gaps_per_meter, args.seed, args.timezone)
        print_accuracy("prospective 7d (open gap)", prospective)
    if args.skip_speed:
        return status
    bench_speed(args.speed_meters, args.speed_days, args.seed, args.timezone)
    if args.store_meters:
        bench_store(args.store_meters, args.speed_days, args.seed)
    return status


if __name__ == "__main__":
    sys.exit(main())
