"""The one Meter and Tariff: what a row leaves out, units, energy and prices."""

from __future__ import annotations

import math

import pytest

from core import Meter, MeterDefaults, MeterKind, Tariff, UnitError

DEFAULTS = MeterDefaults(timezone="Europe/Paris", gas_conversion_kwh_per_m3=11.0)
TARIFF = Tariff(water_eur_per_m3=4.0, gas_eur_per_kwh=0.1)


def test_a_sparse_row_takes_the_installation_defaults() -> None:
    unknown = Meter.from_record(
        {"meter_id": "U", "kind": None, "unit": "m3", "digits": math.nan, "timezone": None},
        DEFAULTS,
    )
    assert (unknown.kind, unknown.digits, unknown.timezone) == ("water", None, "Europe/Paris")
    assert unknown.conversion_kwh_per_m3 is None, "water has no gas conversion"
    known = Meter.from_record(
        {"meter_id": "W", "kind": "water", "unit": "L", "digits": 8.0, "timezone": "UTC",
         "q3_m3h": 2.5},
        DEFAULTS,
    )  # fmt: skip
    assert (known.digits, known.max_rate_per_h, known.timezone) == (8, 2500.0, "UTC")


@pytest.mark.parametrize(
    ("row", "kwh_per_unit"),
    [
        pytest.param({"unit": "m3"}, 11.0, id="gas_m3_takes_the_default_conversion"),
        pytest.param({"unit": "m3", "conversion_kwh_per_m3": 10.5}, 10.5, id="gas_m3_own"),
        pytest.param({"unit": "L"}, 0.011, id="gas_litres"),
        pytest.param({"unit": "kWh"}, 1.0, id="gas_kwh_register"),
        pytest.param({"unit": "Wh"}, 0.001, id="gas_wh_register"),
    ],
)
def test_gas_energy_and_cost_follow_one_rule(row: dict, kwh_per_unit: float) -> None:
    meter = Meter.from_record({"meter_id": "G", "kind": "gas", **row}, DEFAULTS)
    assert meter.kwh_per_unit == pytest.approx(kwh_per_unit)
    assert TARIFF.price_per_unit(meter) == pytest.approx(0.1 * kwh_per_unit)
    conversion = meter.conversion_kwh_per_m3 or 11.0
    assert TARIFF.cost_eur(meter, 2.0) == pytest.approx(round(2.0 * conversion * 0.1, 2))


def test_water_prices_its_volume_and_refuses_energy() -> None:
    meter = Meter("W", unit="L")
    assert TARIFF.price_per_unit(meter) == pytest.approx(0.004)
    assert TARIFF.cost_eur(meter, 1.5) == 6.0
    with pytest.raises(UnitError, match="no energy"):
        _ = meter.kwh_per_unit


@pytest.mark.parametrize(
    "meter",
    [
        pytest.param(Meter("E", kind=MeterKind.ELECTRICITY, unit="kWh"), id="electricity"),
        pytest.param(Meter("W", kind=MeterKind.WATER, unit="kWh"), id="water_in_kwh"),
        pytest.param(Meter("G", kind=MeterKind.GAS, unit="m3"), id="gas_without_conversion"),
    ],
)
def test_what_cannot_be_priced_is_refused_with_a_reason(meter: Meter) -> None:
    with pytest.raises(UnitError, match=f"meter {meter.meter_id}"):
        TARIFF.price_per_unit(meter)


def test_an_unknown_unit_is_refused() -> None:
    with pytest.raises(UnitError, match="use one of m3, L, kWh, Wh"):
        Meter("X", unit="gallon")
