"""Configuration: defaults, environment overrides, production refusals, documentation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import ROOT, Settings


def test_environment_overrides_every_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("RASA_URL", "http://rasa:5005")
    monkeypatch.setenv("QUEUE_PARTITIONS", "16")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.queue_partitions == 16


def test_the_data_host_defaults_to_the_api_host() -> None:
    settings = Settings(line_api_base="http://127.0.0.1:9999")
    assert settings.line_api_data_base == "http://127.0.0.1:9999"


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(desk_env="production", redis_url="redis://r:6379/0")
    message = str(error.value)
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "RASA_TOKEN"):
        assert name in message


def test_production_starts_with_real_secrets() -> None:
    settings = Settings(
        desk_env="production",
        redis_url="redis://r:6379/0",
        line_channel_secret="s3cret",
        line_channel_access_token="t0ken",
        rasa_token="r4sa",
        session_secret="sess",
    )
    assert settings.desk_env == "production"


def test_the_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in readme]
    assert missing == []
