"""``releve simulate scenarios``: labelled anomaly scenarios for evaluation."""

from __future__ import annotations

import argparse
from pathlib import Path

from releve.simulate.scenarios import (
    CADENCES,
    generate_scenarios,
    inject_on_background,
    read_daiad,
    write_scenario,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve simulate scenarios``."""
    p = subparsers.add_parser(
        "scenarios",
        help="write synthetic readings with labelled anomalies",
        description="Household water and gas meters with anomalies of every type injected; "
        "writes readings.csv, meters.csv, events.csv and labels.json.",
    )
    p.add_argument("--meters", type=int, default=20, help="number of meters (default 20)")
    p.add_argument("--days", type=int, default=120, help="days of readings (default 120)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--cadence", choices=list(CADENCES), default="1h", help="read cadence")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument(
        "--background",
        type=Path,
        help="inject on the real DAIAD file at this path instead of synthetic profiles",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Generate the scenario and write its files."""
    if args.background is not None:
        backgrounds = read_daiad(args.background)
        chosen = dict(list(sorted(backgrounds.items()))[: args.meters])
        scenario = inject_on_background(
            chosen, seed=args.seed, cadence=args.cadence, coarse_share=0.25
        )
    else:
        scenario = generate_scenarios(args.meters, args.days, seed=args.seed, cadence=args.cadence)
    paths = write_scenario(scenario, args.out)
    print(
        f"{len(scenario.meters)} meters, {len(scenario.readings)} readings, "
        f"{len(scenario.labels)} labelled anomalies written to {args.out}"
    )
    for name, path in paths.items():
        print(f"  {name}: {path}")
    return 0
