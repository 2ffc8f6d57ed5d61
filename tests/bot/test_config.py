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


STRONG = {
    "desk_env": "production",
    "redis_url": "redis://r:6379/0",
    "line_channel_secret": "0f9c2d4e6a8b1c3d5e7f9a0b2c4d6e8f",
    "line_channel_access_token": "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8=",
    "rasa_token": "6b1f0c9e2d8a4f7b3c5e1a9d0f2b4c6e",
    "session_secret": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
    "line_api_base": "https://api.line.me",
    "line_api_data_base": "https://api-data.line.me",
}


def test_production_starts_with_real_secrets() -> None:
    settings = Settings(**STRONG)  # type: ignore[arg-type]
    assert settings.desk_env == "production"


@pytest.mark.parametrize(
    "name", ["line_channel_secret", "rasa_token", "session_secret", "metrics_token"]
)
@pytest.mark.parametrize("weak", ["s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "short-but-mixed"])
def test_production_refuses_weak_secrets(name: str, weak: str) -> None:
    with pytest.raises(ValidationError) as error:
        Settings(**{**STRONG, name: weak})  # type: ignore[arg-type]
    assert name.upper() in str(error.value)


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8081", "http://api.line.me", "https://api.line.me.evil.example"]
)
def test_production_refuses_a_line_address_that_is_not_lines(base: str) -> None:
    with pytest.raises(ValidationError) as error:
        Settings(**{**STRONG, "line_api_base": base})  # type: ignore[arg-type]
    assert "LINE_API_BASE" in str(error.value)


def test_the_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in readme]
    assert missing == []
