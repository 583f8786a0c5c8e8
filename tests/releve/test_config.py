"""Settings: defaults, the TOML file, RELEVE_* variables (which win), nested thresholds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from releve.config import Settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No RELEVE_* variable of the caller's, and a working directory of the test's own."""
    for name in [n for n in os.environ if n.startswith("RELEVE_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_give_the_tariff_and_the_meter_defaults(clean_env: Path) -> None:
    settings = Settings.load()
    assert settings.database_url is None and settings.home == Path(".releve")
    assert settings.tariff.water_eur_per_m3 == 4.3 and settings.tariff.gas_eur_per_kwh == 0.12
    assert settings.meter_defaults.gas_conversion_kwh_per_m3 == 11.0


def test_the_file_then_the_variables(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "releve.toml").write_text(
        'timezone = "Europe/Brussels"\nwater_price_eur_per_m3 = 3.5\n'
        "[detection.no_data]\nmin_silence_h = 12\n",
        encoding="utf-8",
    )
    settings = Settings.load()
    assert settings.timezone == "Europe/Brussels" and settings.water_price_eur_per_m3 == 3.5
    assert settings.detection.no_data.min_silence_h == 12.0
    monkeypatch.setenv("RELEVE_WATER_PRICE_EUR_PER_M3", "5")
    monkeypatch.setenv("RELEVE_DETECTION__NO_DATA__MIN_SILENCE_H", "6")
    settings = Settings.load()
    assert settings.water_price_eur_per_m3 == 5.0 and settings.detection.no_data.min_silence_h == 6


def test_releve_config_names_another_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = clean_env / "site.toml"
    other.write_text('home = "/srv/releve"\n', encoding="utf-8")
    monkeypatch.setenv("RELEVE_CONFIG", str(other))
    assert Settings.load().home == Path("/srv/releve")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        pytest.param(
            "RELEVE_GAS_PRICE_EUR_PER_KWH", "cheap", "gas_price_eur_per_kwh", id="not_a_number"
        ),
        pytest.param("RELEVE_WATER_PRICE_EUR_PER_M3", "-1", "greater than 0", id="negative_price"),
    ],
)
def test_a_bad_value_is_refused_with_its_name(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings.load()


def test_a_misspelt_setting_in_the_file_is_refused(clean_env: Path) -> None:
    (clean_env / "releve.toml").write_text("water_price = 3.5\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="water_price"):
        Settings.load()
