"""Partitions of the meters: stable, complete, disjoint, and the same in the store."""

from __future__ import annotations

import psycopg
import pytest

from core import Partition, partition_of


def test_each_meter_is_in_exactly_one_partition() -> None:
    ids = [f"W-{k}" for k in range(500)]
    parts = [Partition(i, 4) for i in range(4)]
    assert all(sum(p.holds(m) for p in parts) == 1 for m in ids)
    sizes = [sum(p.holds(m) for m in ids) for p in parts]
    assert min(sizes) > 90, f"partitions of 500 meters should be balanced: {sizes}"


def test_the_partition_of_a_meter_never_changes() -> None:
    # md5("W-1001") starts with a1c7bc3a: 2714221626
    assert partition_of("W-1001", 10**6) == 2714221626 % 10**6


@pytest.mark.parametrize(
    "text", [pytest.param("4/4", id="index_too_big"), pytest.param("1", id="no_count")]
)
def test_a_bad_partition_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="0/4|i/N"):
        Partition.parse(text)


@pytest.mark.integration
def test_the_store_computes_the_same_partition(conn: psycopg.Connection) -> None:
    ids = [f"M-{k}" for k in range(200)] + ["é-ü:1", "x" * 64]
    rows = conn.execute(
        "SELECT m, releve_partition(m, 7) FROM unnest(%s::text[]) AS m", (ids,)
    ).fetchall()
    assert {m: p for m, p in rows} == {m: partition_of(m, 7) for m in ids}
