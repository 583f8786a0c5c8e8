"""Each route on the seeded store: the happy path and each validation error."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import pandas as pd
import psycopg
import pytest

from tests.portal_bridge.conftest import bearer

pytestmark = pytest.mark.integration
A1 = bearer("A-1")


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def test_account_meters_lists_sites_contracts_and_last_reads(client: httpx.Client) -> None:
    body = client.get("/v1/accounts/A-1/meters", headers=A1).json()
    assert body["sites"] == ["S-1", "S-2"]
    assert {m["meter_id"]: m["kind"] for m in body["meters"]} == {
        "G-1": "gas",
        "W-1": "water",
        "W-2": "water",
    }
    last = next(m for m in body["meters"] if m["meter_id"] == "W-1")["last_read"]
    assert last["quality"] == "actual" and last["timestamp"].startswith("2026-04-01T01:00")


def test_an_archived_contract_stays_readable_by_its_holder(client: httpx.Client) -> None:
    body = client.get("/v1/accounts/A-2/meters", headers=bearer("A-2")).json()
    assert [c["status"] for c in body["contracts"]] == ["archived"]
    meter = body["meters"][0]
    assert meter["active"] is False and meter["periods"][0]["end"].startswith("2026-03-15T00:00")
    assert pd.Timestamp(meter["last_read"]["timestamp"]) < pd.Timestamp("2026-03-15T00:00+01:00")


@pytest.mark.parametrize(("resolution", "count"), [
    pytest.param("hour", 24 * 31 - 1, id="hours_of_march_dst"),
    pytest.param("day", 31, id="days"),
    pytest.param("month", 1, id="month"),
])  # fmt: skip
def test_meter_curve_in_local_calendar_periods(
    client: httpx.Client, resolution: str, count: int
) -> None:
    body = client.get("/v1/meters/W-1/curve", headers=A1, params={
        "resolution": resolution, "from": "2026-03-01", "to": "2026-04-01"}).json()  # fmt: skip
    assert len(body["points"]) == count
    assert body["points"][0]["start"] == "2026-03-01T00:00:00+01:00"
    assert {p["unit"] for p in body["points"]} == {"m3"} and body["next_cursor"] is None


def test_real_and_estimated_are_told_apart(client: httpx.Client) -> None:
    days = client.get("/v1/meters/W-2/curve", headers=A1, params={
        "resolution": "day", "from": "2026-02-01", "to": "2026-02-28"}).json()["points"]  # fmt: skip
    gap = [p for p in days if "2026-02-07" <= p["start"][:10] <= "2026-02-13"]
    assert gap and all(p["quality"] == "estimated" and p["estimated_share"] > 0 for p in gap)
    assert all(p["method"] != "measured" for p in gap)
    assert any(p["quality"] == "actual" for p in days)


def test_gas_curves_carry_energy(client: httpx.Client) -> None:
    points = client.get("/v1/meters/G-1/curve", headers=A1, params={"resolution": "month",
                        "from": "2026-01-01", "to": "2026-04-01"}).json()["points"]  # fmt: skip
    assert points and all(p["energy_kwh"] == pytest.approx(p["volume"] * 11.2) for p in points)


def test_hourly_pages_beyond_a_year_with_a_cursor(client: httpx.Client) -> None:
    params = {"resolution": "hour", "from": "2025-01-01", "to": "2026-04-01"}
    first = client.get("/v1/meters/W-1/curve", headers=A1, params=params).json()
    # a page is 366 local days; the reads start at 01:00 local on 1 January 2025
    assert len(first["points"]) == 366 * 24 - 1 and first["next_cursor"]
    second = client.get("/v1/meters/W-1/curve", headers=A1,
                        params={**params, "cursor": first["next_cursor"]}).json()  # fmt: skip
    assert second["next_cursor"] is None
    assert second["points"][0]["start"] == first["to"]
    stored = pd.Timestamp("2026-04-01", tz="Europe/Paris") - pd.Timestamp("2025-01-01", tz="UTC")
    assert len(first["points"]) + len(second["points"]) == stored / pd.Timedelta(hours=1)


def test_six_years_of_months_in_one_call_and_previous_year(client: httpx.Client) -> None:
    body = client.get("/v1/meters/W-1/curve", headers=A1, params={"resolution": "month",
        "from": "2020-04-01", "to": "2026-04-01", "compare": "previous_year"}).json()  # fmt: skip
    assert body["next_cursor"] is None and len(body["points"]) == 15
    march = next(p for p in body["previous_year"] if p["start"].startswith("2025-03"))
    assert march["aligned_start"] == "2026-03-01T00:00:00+01:00"


def test_a_move_cuts_the_month_of_each_occupant(client: httpx.Client) -> None:
    params = {"resolution": "month", "from": "2026-03-01", "to": "2026-04-01"}
    old = client.get("/v1/meters/W-3/curve", headers=bearer("A-2"), params=params).json()["points"]
    new = client.get("/v1/meters/W-3/curve", headers=bearer("A-3"), params=params).json()["points"]
    whole = client.get(
        "/v1/meters/W-3/curve", headers=bearer("ops", "service"), params=params
    ).json()["points"]
    assert old[0]["partial"] and new[0]["partial"] and not whole[0]["partial"]
    assert old[0]["volume"] + new[0]["volume"] == pytest.approx(whole[0]["volume"])
    assert 0 < old[0]["volume"] < whole[0]["volume"]


@pytest.mark.parametrize(("params", "where"), [
    pytest.param({"resolution": "week"}, "query.resolution", id="resolution"),
    pytest.param({"from": "yesterday"}, "query.from", id="from_not_iso"),
    pytest.param({"from": "2026-03-01", "to": "2026-02-01"}, "query.from", id="from_after_to"),
    pytest.param({"from": "1850-01-01"}, "query.from", id="from_out_of_range"),
    pytest.param({"cursor": "bm90LWEtY3Vyc29y"}, "query.cursor", id="forged_cursor"),
    pytest.param({"compare": "last_week"}, "query.compare", id="compare"),
])  # fmt: skip
def test_curve_parameters_are_validated(client: httpx.Client, params: dict, where: str) -> None:
    body = problem(client.get("/v1/meters/W-1/curve", headers=A1, params=params), 422)
    assert body["invalid_params"][0]["name"] == where and body["invalid_params"][0]["reason"]


def test_a_meter_id_outside_the_grammar_is_422(client: httpx.Client) -> None:
    body = problem(client.get("/v1/meters/W%201%3B%20DROP/curve", headers=A1), 422)
    assert body["invalid_params"][0]["name"] == "path.meter_id"


def test_account_curve_sums_a_landlords_sites(client: httpx.Client) -> None:
    params = {
        "resolution": "month",
        "from": "2026-01-01",
        "to": "2026-04-01",
        "kind": "water",
        "by": "site",
    }
    body = client.get("/v1/accounts/A-1/curve", headers=A1, params=params).json()
    assert body["unit"] == "m3" and body["meters"] == ["W-1", "W-2"]
    w1 = client.get(
        "/v1/meters/W-1/curve", headers=A1, params={**params, "kind": None, "by": None}
    ).json()
    w2 = client.get(
        "/v1/meters/W-2/curve", headers=A1, params={**params, "kind": None, "by": None}
    ).json()
    for total, a, b in zip(body["points"], w1["points"], w2["points"], strict=True):
        assert total["volume"] == pytest.approx(
            a["volume"] + b["volume"] / 1000
        )  # W-2 counts litres
    assert {s["site_id"] for s in body["sites"]} == {"S-1", "S-2"}
    problem(client.get("/v1/accounts/A-1/curve", headers=A1, params={"resolution": "month"}), 422)


def test_alerts_in_the_accounts_language_and_operations_only_ones_hidden(
    client: httpx.Client, store: psycopg.Connection
) -> None:
    alerts = client.get("/v1/meters/W-1/alerts", headers=A1).json()["alerts"]
    assert [a["type"] for a in alerts] == ["continuous_flow", "burst"]
    assert alerts[0]["message"].startswith("Fuite probable : ") and alerts[0]["language"] == "fr"
    assert "12\u00a0L/h" in alerts[0]["message"]
    assert alerts[0]["evidence"]["flow_lph"] == 12.5
    open_only = client.get("/v1/meters/W-1/alerts", headers=A1, params={"status": "open"}).json()
    assert [a["type"] for a in open_only["alerts"]] == ["continuous_flow"]
    assert client.get("/v1/meters/W-2/alerts", headers=A1).json()["alerts"] == []
    assert (
        len(client.get("/v1/meters/W-2/alerts", headers=bearer("ops", "service")).json()["alerts"])
        == 1
    )
    problem(client.get("/v1/meters/W-1/alerts", headers=A1, params={"status": "closed"}), 422)


def test_each_occupant_sees_only_the_alerts_of_its_period(client: httpx.Client) -> None:
    old = client.get("/v1/meters/W-3/alerts", headers=bearer("A-2")).json()["alerts"]
    new = client.get("/v1/meters/W-3/alerts", headers=bearer("A-3")).json()["alerts"]
    assert [a["start"][:10] for a in old] == ["2026-02-10"]
    assert [a["start"][:10] for a in new] == ["2026-03-25"]


def test_acknowledging_an_alert_is_idempotent(client: httpx.Client) -> None:
    alert_id = client.get("/v1/meters/W-1/alerts", headers=A1, params={"status": "open"}).json()[
        "alerts"
    ][0]["id"]
    first = client.post(f"/v1/alerts/{alert_id}/ack", headers=A1).json()
    again = client.post(f"/v1/alerts/{alert_id}/ack", headers=A1).json()
    assert (first["previous_status"], first["alert"]["status"]) == ("open", "acknowledged")
    assert (again["previous_status"], again["alert"]["status"]) == ("acknowledged", "acknowledged")
    problem(client.post("/v1/alerts/0/ack", headers=A1), 422)
    problem(client.post("/v1/alerts/abc/ack", headers=A1), 422)


def test_index_at_an_instant_measured_or_estimated(client: httpx.Client) -> None:
    on_read = client.get(
        "/v1/meters/W-1/index", headers=A1, params={"at": "2026-03-10T10:00"}
    ).json()
    between = client.get(
        "/v1/meters/W-1/index", headers=A1, params={"at": "2026-03-10T10:30"}
    ).json()
    after = client.get("/v1/meters/W-1/index", headers=A1, params={"at": "2026-03-10T11:00"}).json()
    assert on_read["quality"] == "actual" and between["quality"] == "estimated"
    assert on_read["index"] <= between["index"] <= after["index"]
    for at, why in (("2026-05-01", "future"), ("2024-07-01", "before"), ("soon", "ISO 8601")):
        body = problem(client.get("/v1/meters/W-1/index", headers=A1, params={"at": at}), 422)
        assert why in body["detail"]
    problem(client.get("/v1/meters/W-1/index", headers=A1), 422)


def test_projection_of_the_contract_year(client: httpx.Client) -> None:
    body = client.get("/v1/accounts/A-1/projection", headers=A1).json()
    meters = {m["meter_id"]: m for m in body["meters"]}
    assert set(meters) == {"W-1", "W-2", "G-1"}
    w1 = meters["W-1"]
    assert w1["year_start"].startswith("2025-06-01") and w1["method"] == "previous_year"
    assert w1["total"] == pytest.approx(w1["consumed"] + w1["remaining"])
    assert 0 < w1["estimated_share"] < 1 and body["cost_eur"] > 0
    assert body["monthly_instalment_eur"] == pytest.approx(body["cost_eur"] / 12, abs=0.05)
    problem(
        client.get("/v1/accounts/A-1/projection", headers=A1, params={"as_of": "2030-01-01"}), 422
    )


def test_projection_of_an_incoming_occupant_rests_on_its_own_period(client: httpx.Client) -> None:
    body = client.get("/v1/accounts/A-3/projection", headers=bearer("A-3")).json()
    (w3,) = body["meters"]
    assert w3["year_start"].startswith("2026-03-15") and w3["method"] == "seasonal_adl"
    assert client.get("/v1/accounts/A-2/projection", headers=bearer("A-2")).json()["meters"] == []


def test_notification_preferences_are_replaced_whole(client: httpx.Client) -> None:
    url = "/v1/accounts/A-1/notification-preferences"
    wanted = {"preferences": [
        {"channel": "email", "address": "anne@example.fr", "language": "en", "min_severity": "warning",
         "quiet_hours": "22:00-07:00", "opt_out": ["zero_consumption"]},
        {"channel": "sms", "address": "+33612345678"},
    ]}  # fmt: skip
    put = client.put(url, headers=A1, json=wanted)
    assert put.status_code == 200, put.text
    assert client.put(url, headers=A1, json=wanted).json() == put.json()
    assert [p["channel"] for p in client.get(url, headers=A1).json()["preferences"]] == [
        "email",
        "sms",
    ]
    assert client.get("/v1/meters/W-1/alerts", headers=A1).json()["alerts"][0]["language"] == "en"
    client.put(url, headers=A1, json={"preferences": wanted["preferences"][:1]})
    assert [p["channel"] for p in client.get(url, headers=A1).json()["preferences"]] == ["email"]


@pytest.mark.parametrize(("preference", "where"), [
    pytest.param({"channel": "email", "address": "not-an-address"}, "address", id="email"),
    pytest.param({"channel": "sms", "address": "0612"}, "address", id="sms"),
    pytest.param({"channel": "webhook", "address": "http://plain.example"}, "address", id="webhook_https"),
    pytest.param({"channel": "email", "address": "a@b.fr", "quiet_hours": "25:00-07:00"}, "quiet_hours", id="quiet"),
    pytest.param({"channel": "pigeon", "address": "a@b.fr"}, "channel", id="channel"),
    pytest.param({"channel": "email", "address": "a@b.fr", "opt_out": ["rain"]}, "opt_out", id="opt_out"),
    pytest.param({"channel": "email", "address": "a@b.fr", "colour": "red"}, "colour", id="unknown_field"),
])  # fmt: skip
def test_bad_preferences_are_422(client: httpx.Client, preference: dict, where: str) -> None:
    body = problem(client.put("/v1/accounts/A-1/notification-preferences", headers=A1,
                              json={"preferences": [preference]}), 422)  # fmt: skip
    assert where in body["invalid_params"][0]["name"]


def test_export_holds_the_account_and_its_readings(client: httpx.Client) -> None:
    response = client.get("/v1/accounts/A-2/export", headers=bearer("A-2"))
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["account.json", "readings.csv"]
    document = json.loads(archive.read("account.json"))
    assert document["account"]["meters"][0]["meter_id"] == "W-3"
    readings = pd.read_csv(io.BytesIO(archive.read("readings.csv")))
    assert set(readings["meter_id"]) == {"W-3"} and len(readings) > 1000
    assert pd.to_datetime(readings["timestamp"], utc=True).max() < pd.Timestamp("2026-03-14T23:00Z")


def test_erasure_unlinks_and_is_recorded_once(
    client: httpx.Client, store: psycopg.Connection
) -> None:
    client.put("/v1/accounts/A-2/notification-preferences", headers=bearer("A-2"),
               json={"preferences": [{"channel": "email", "address": "old@example.fr"}]})  # fmt: skip
    readings_before = store.execute(
        "SELECT count(*) FROM readings WHERE meter_id = 'W-3'"
    ).fetchone()
    first = client.post("/v1/accounts/A-2/erase", headers=bearer("A-2")).json()
    assert (
        first["meters_unlinked"],
        first["contracts_anonymised"],
        first["preferences_deleted"],
    ) == (1, 1, 1)
    again = client.post("/v1/accounts/A-2/erase", headers=bearer("A-2")).json()
    assert again["already_erased"] and again["erased_at"] == first["erased_at"]
    problem(client.get("/v1/accounts/A-2/meters", headers=bearer("A-2")), 404)
    problem(client.get("/v1/meters/W-3/curve", headers=bearer("A-2")), 404)
    assert (
        store.execute("SELECT count(*) FROM readings WHERE meter_id = 'W-3'").fetchone()
        == readings_before
    )
    assert store.execute(
        "SELECT count(*) FROM notification_preferences WHERE account_id = 'A-2'"
    ).fetchone() == (0,)
    assert client.get("/v1/meters/W-3/curve", headers=bearer("A-3")).status_code == 200


def test_health_and_metrics_need_no_token(client: httpx.Client) -> None:
    health = client.get("/v1/health").json()
    assert health == {
        "status": "ok",
        "store": True,
        "migrations_current": True,
        "missing_migrations": [],
    }
    client.get("/v1/meters/W-1/curve", headers=A1)
    metrics = client.get("/metrics").text
    assert (
        'releve_bridge_requests_total{method="GET",route="/v1/meters/{meter_id}/curve",status="200"}'
        in metrics
    )


def test_every_answer_carries_the_security_headers(client: httpx.Client) -> None:
    for response in (client.get("/v1/health"), client.get("/v1/meters/W-1/curve"),
                     client.get("/v1/no-such-route", headers=A1)):  # fmt: skip
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    problem(client.get("/v1/no-such-route", headers=A1), 404)


def test_every_access_is_audited(client: httpx.Client, store: psycopg.Connection) -> None:
    client.get("/v1/meters/W-1/curve", headers=A1)
    client.get("/v1/meters/W-9/curve", headers=A1)
    rows = store.execute("SELECT subject, scope, route, object_id, granted, client FROM audit_log"
                         " ORDER BY id").fetchall()  # fmt: skip
    assert rows == [("A-1", "customer", "/v1/meters/{meter_id}/curve", "W-1", True, "127.0.0.1"),
                    ("A-1", "customer", "/v1/meters/{meter_id}/curve", "W-9", False, "127.0.0.1")]  # fmt: skip
