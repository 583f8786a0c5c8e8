"""Manual index reads through the API: validated like estimation validates, stored
through the one write path, the curve re-estimated as the answer says."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from tests.portal_bridge.conftest import bearer

pytestmark = pytest.mark.integration
A1 = bearer("A-1")
URL = "/v1/meters/W-2/readings"  # litres, twice a day, with a gap 5-15 February


def last_index(store: psycopg.Connection, meter_id: str, before: str) -> float:
    row = store.execute("SELECT index_value FROM readings WHERE meter_id = %s AND ts < %s"
                        " ORDER BY ts DESC LIMIT 1", (meter_id, before)).fetchone()  # fmt: skip
    assert row is not None
    return float(row[0])


def test_a_read_in_a_gap_reshapes_the_curve_as_the_answer_says(
    client: httpx.Client, store: psycopg.Connection
) -> None:
    before = last_index(store, "W-2", "2026-02-10T12:00Z")
    posted = client.post(URL, headers=A1, json={"timestamp": "2026-02-10T12:00:00+01:00",
                         "index": before / 1000 + 0.05, "unit": "m3"})  # fmt: skip
    assert posted.status_code == 201, posted.text
    result = posted.json()
    assert (
        result["status"] == "stored" and result["reestimated"] and not result["flagged_for_review"]
    )
    assert (
        result["reading"]["index"] == pytest.approx(before + 50)
        and result["reading"]["unit"] == "L"
    )
    assert result["findings"] == []
    # a gap between real reads keeps its total: the read only re-shapes it
    assert result["volume_after"] == pytest.approx(result["volume_before"])
    # the answer's after is what the curve now says, day by day
    curve = client.get("/v1/meters/W-2/curve", headers=A1, params={"resolution": "day",
                       "from": result["window_from"], "to": result["window_to"]}).json()["points"]  # fmt: skip
    assert [p["start"] for p in curve] == [d["start"] for d in result["days"]]
    for point, day in zip(curve, result["days"], strict=True):
        assert point["volume"] == pytest.approx(day["volume_after"])
        assert point["estimated_share"] == pytest.approx(day["estimated_share_after"])
    assert any(d["volume_before"] != pytest.approx(d["volume_after"]) for d in result["days"])
    stored = store.execute("SELECT quality, source FROM readings WHERE meter_id = 'W-2'"
                           " AND ts = '2026-02-10T11:00Z'").fetchone()  # fmt: skip
    assert stored == ("customer", "portal")


def test_the_same_read_again_changes_nothing(
    client: httpx.Client, store: psycopg.Connection
) -> None:
    body = {"timestamp": "2026-02-10T12:00:00+01:00", "index": last_index(store, "W-2", "2026-02-10T12:00Z") + 40,
            "unit": "L"}  # fmt: skip
    assert client.post(URL, headers=A1, json=body).status_code == 201
    count = store.execute("SELECT count(*) FROM readings WHERE meter_id = 'W-2'").fetchone()
    again = client.post(URL, headers=A1, json=body)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert store.execute("SELECT count(*) FROM readings WHERE meter_id = 'W-2'").fetchone() == count
    conflict = client.post(URL, headers=A1, json={**body, "index": body["index"] + 5})
    assert conflict.status_code == 409 and "already has index" in conflict.json()["detail"]


def test_below_the_previous_read_is_refused_with_it_and_what_to_do(
    client: httpx.Client, store: psycopg.Connection
) -> None:
    previous = last_index(store, "W-1", "2026-03-31T12:30Z")
    response = client.post("/v1/meters/W-1/readings", headers=A1, json={
        "timestamp": "2026-03-31T12:30:00Z", "index": previous - 3, "unit": "m3"})  # fmt: skip
    assert response.status_code == 422
    body = response.json()
    assert body["extra"]["previous_index"] == pytest.approx(previous)
    assert "below the previous read" in body["detail"] and "meter change" in body["detail"]


def test_implausibly_high_is_accepted_but_flagged(
    client: httpx.Client, store: psycopg.Connection
) -> None:
    previous = last_index(store, "W-1", "2026-03-31T23:30Z")  # Q3 2.5 m3/h
    response = client.post("/v1/meters/W-1/readings", headers=A1, json={
        "timestamp": "2026-03-31T23:30:00Z", "index": previous + 40, "unit": "m3"})  # fmt: skip
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["flagged_for_review"] and result["findings"][0]["code"] == "implausible_rate"
    assert result["last_read"]["quality"] == "customer"


@pytest.mark.parametrize(("body", "where", "words"), [
    pytest.param({"timestamp": "2026-05-01T10:00Z", "index": 200, "unit": "m3"}, "timestamp", "future", id="future"),
    pytest.param({"timestamp": "2024-01-01T10:00Z", "index": 1, "unit": "m3"}, "timestamp", "contract", id="outside_contract"),
    pytest.param({"timestamp": "2026-03-31T10:00Z", "index": 200, "unit": "gallon"}, "unit", "m3", id="unknown_unit"),
    pytest.param({"timestamp": "2026-03-31T10:00Z", "index": 200, "unit": "kWh"}, "unit", "cannot be converted", id="energy_unit"),
    pytest.param({"timestamp": "2026-03-31T10:00Z", "index": -1, "unit": "m3"}, "index", "greater", id="negative"),
    pytest.param({"timestamp": "2026-03-31T10:00Z", "index": 2e6, "unit": "m3"}, "index", "digits", id="over_register"),
    pytest.param({"timestamp": "31/03/2026", "index": 200, "unit": "m3"}, "timestamp", "datetime", id="date_format"),
    pytest.param({"timestamp": "2026-03-31T10:00Z", "unit": "m3"}, "index", "required", id="missing"),
])  # fmt: skip
def test_bad_reads_are_422_with_what_to_do(
    client: httpx.Client, body: dict, where: str, words: str
) -> None:
    response = client.post("/v1/meters/W-1/readings", headers=A1, json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert where in problem["invalid_params"][0]["name"]
    assert words in problem["detail"]


def test_a_body_over_the_limit_is_refused_before_it_is_read(client: httpx.Client) -> None:
    response = client.post("/v1/meters/W-1/readings", headers={**A1, "content-type": "application/json"},
                           content=b'{"x": "' + b"a" * 20_000 + b'"}')  # fmt: skip
    assert response.status_code == 413 and "at most" in response.json()["detail"]
