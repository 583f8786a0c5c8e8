"""The batch jobs on Dask distributed: a run's partitions as tasks of the one partition runner.

Each task is ``releve.jobs.runner.run_partition``: it opens its own store
connection and writes chunk by chunk, each chunk in one transaction with its
watermarks. A task the engine runs again (its worker died, or it raised and
is retried) finds the chunks already written no longer due, so it writes
nothing twice; a chunk whose worker died mid-transaction was rolled back by
the store. A partition that still fails after the engine's retries is
reported with its meters and error, and the others complete.

Dask is the optional extra ``releve[dask]``; it is imported here only, and this
module only when a run asks for a cluster (``--cluster``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import psycopg

from core import Partition
from core.columns import METER_ID
from releve.config import Settings
from releve.connect import open_store
from releve.jobs.runner import PartitionFailure, RunReport, make_job, run_partition

if TYPE_CHECKING:
    from distributed import Client

# How long a retried task waits for the partition lock of the session its dead worker left [s].
LOCK_WAIT_S = 120.0
PARTITIONS_PER_CORE = 4  # a few per worker core: a slow partition does not hold the run back
_LOCAL = re.compile(r"local:(\d+)")
_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*://\S+")


class ClusterError(ValueError):
    """The cluster cannot be used: a bad address, or Dask is not installed."""


@dataclass(frozen=True)
class Progress:
    """Where a run on a cluster is: partitions done of total, meters done so far."""

    done: int
    total: int
    meters: int
    elapsed_s: float
    dashboard: str | None

    @property
    def meters_per_s(self) -> float:
        """Meters computed per second of the run so far [1/s]."""
        return self.meters / self.elapsed_s if self.elapsed_s > 0 else 0.0


def check_cluster(text: str) -> str:
    """``text`` if it names a cluster (``tcp://host:8786``, ``local:K``), else ClusterError."""
    local = _LOCAL.fullmatch(text)
    if (local and int(local[1]) >= 1) or _ADDRESS.fullmatch(text):
        return text
    raise ClusterError(
        f"{text!r} is not a cluster: give a scheduler address such as tcp://scheduler:8786, "
        "or local:K for K workers on this machine"
    )


@contextmanager
def open_client(cluster: str) -> Iterator[Client]:
    """A Dask client of the scheduler at ``cluster``, or of a LocalCluster of K workers
    (``local:K``, one process and one thread each) closed afterwards."""
    check_cluster(cluster)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError("--cluster needs Dask distributed: pip install 'releve[dask]'") from None
    # the engine's INFO lines (every worker started and stopped) would drown the progress
    logging.getLogger("distributed").setLevel(logging.WARNING)
    local = _LOCAL.fullmatch(cluster)
    if local is None:
        with Client(cluster, timeout="10s") as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=int(local[1]), threads_per_worker=1, processes=True,
            dashboard_address=":0", silence_logs=logging.WARNING,
        ) as engine,
        Client(engine) as client,
    ):  # fmt: skip
        yield client


def _has_dashboard() -> bool:
    """Whether Dask can serve its dashboard here (it needs bokeh)."""
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def run_on_cluster(
    name: str,
    settings: Settings,
    as_of: pd.Timestamp,
    *,
    cluster: str | Client,
    partitions: int | None = None,
    meter_ids: list[str] | None = None,
    run_at: pd.Timestamp | None = None,
    retries: int = 2,
    lock_wait_s: float = LOCK_WAIT_S,
    on_progress: Callable[[Progress], None] | None = None,
) -> RunReport:
    """Run job ``name`` as one Dask task per partition on ``cluster``; what the scheduler calls.

    cluster : str | Client  A scheduler address, ``local:K``, or an open Dask client.
    partitions : int | None  Partitions of the meters; None: ``PARTITIONS_PER_CORE``
        per worker thread of the cluster.
    retries : int  Times the engine runs again a partition that raised.
    lock_wait_s : float  How long a partition waits for its lock [s].
    """
    if isinstance(cluster, str):
        with open_client(cluster) as client:
            return run_on_cluster(
                name, settings, as_of, cluster=client, partitions=partitions,
                meter_ids=meter_ids, run_at=run_at, retries=retries,
                lock_wait_s=lock_wait_s, on_progress=on_progress,
            )  # fmt: skip
    client = cluster
    from distributed import as_completed

    run_at = run_at or pd.Timestamp.now(tz="UTC")
    count = partitions or PARTITIONS_PER_CORE * max(1, sum(client.nthreads().values()))
    run_id = uuid.uuid4().hex[:8]
    futures = {
        client.submit(
            run_partition,
            name,
            settings,
            Partition(i, count),
            as_of,
            meter_ids=meter_ids,
            run_at=run_at,
            lock_wait_s=lock_wait_s,
            key=f"releve-{name}-{run_id}-{i}/{count}",
            retries=retries,
            pure=False,
        ): Partition(i, count)  # fmt: skip
        for i in range(count)
    }
    report = RunReport(make_job(name, settings).new_summary())
    failed: list[tuple[Partition, str]] = []
    started = time.monotonic()
    dashboard = client.dashboard_link if _has_dashboard() else None

    def tell(done: int) -> None:
        if on_progress:
            elapsed = time.monotonic() - started
            on_progress(Progress(done, count, report.summary.meters, elapsed, dashboard))

    tell(0)
    for done, future in enumerate(as_completed(futures), start=1):
        if future.status == "finished":
            report.add(future.result())
        else:
            error = future.exception()
            failed.append((futures[future], f"{type(error).__name__}: {error}"))
        tell(done)
    report.failed_partitions = [
        PartitionFailure(partition, error, _still_due(name, settings, as_of, partition, meter_ids))
        for partition, error in failed
    ]
    return report


def _still_due(
    name: str, settings: Settings, as_of: pd.Timestamp, partition: Partition,
    meter_ids: list[str] | None,
) -> list[str] | None:  # fmt: skip
    """The meters of a failed partition its run left due; None when the store cannot say."""
    try:
        with open_store(settings) as conn:
            due = make_job(name, settings).fetch_due(conn, as_of, partition, meter_ids)
    except psycopg.Error:
        return None
    return [str(m) for m in due[METER_ID]]
