"""The desk's configuration: one settings class, read from the environment."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# Development defaults. Outside development mode the desk refuses to start with these.
PLACEHOLDER_SECRET = "dev-channel-secret"
PLACEHOLDER_TOKEN = "dev-channel-access-token"
PLACEHOLDER_RASA_TOKEN = "dev-rasa-token"
PLACEHOLDER_SESSION_SECRET = "dev-session-secret"


MIN_SECRET = 32


def _line_host(url: str) -> bool:
    """An https address of LINE's platform (api.line.me, api-data.line.me)."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    return parsed.scheme == "https" and (host == "line.me" or host.endswith(".line.me"))


class Settings(BaseSettings):
    """Every setting of the gateway, the worker and the LINE stand-in."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    desk_env: Literal["development", "production", "test"] = "development"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'desk.db'}"
    # Empty means "none configured": `make run` then starts a private Redis.
    redis_url: str = ""
    # Port of the private Redis `make run` starts when REDIS_URL is empty.
    private_redis_port: int = 6390
    # Where that private Redis keeps its append-only file.
    private_redis_dir: Path = ROOT / "var" / "redis"
    redis_prefix: str = "desk"
    # Redis Sentinel, `host:port,host:port` (bot/redis_client.py): every client asks them
    # for the primary of REDIS_SENTINEL_SERVICE and follows fail-overs; REDIS_URL then
    # gives only the password, database number and TLS. Empty: REDIS_URL is the Redis.
    redis_sentinels: str = ""
    redis_sentinel_service: str = "desk"
    # The Sentinels' own password (their `requirepass`), when they have one.
    redis_sentinel_password: str = ""
    # PostgreSQL connections each process may hold: DB_POOL_SIZE kept open, DB_MAX_OVERFLOW
    # more under load. Derive them from the process counts and max_connections
    # (bot.db.pool_limits, docs/deploy.md "PostgreSQL connections").
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)

    rasa_url: str = "http://127.0.0.1:5005"
    # Several Rasa servers, comma separated (they share the tracker and lock stores in
    # Redis): the worker spreads turns over them and fails over from one that is down.
    # When set, RASA_URL becomes the first of them.
    rasa_urls: str = ""
    rasa_token: str = PLACEHOLDER_RASA_TOKEN
    rasa_timeout_s: float = 20.0
    action_server_url: str = "http://127.0.0.1:5055/webhook"

    line_channel_secret: str = PLACEHOLDER_SECRET
    line_channel_access_token: str = PLACEHOLDER_TOKEN
    line_api_base: str = "http://127.0.0.1:8081"
    # LINE serves content and rich-menu images from a second host (api-data.line.me).
    line_api_data_base: str = ""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    session_secret: str = PLACEHOLDER_SESSION_SECRET
    # Prometheus sends it as a bearer token; in production /metrics answers nobody else.
    metrics_token: str = ""

    queue_partitions: int = Field(default=8, ge=1, le=256)
    worker_heartbeat_s: float = 2.0
    retry_max_delay_s: float = 30.0
    # A message that fails this many times while Rasa and the action server are healthy
    # is the message's fault (a poison message): it goes to the dead letters (status
    # "failed", listed for admins) instead of blocking every citizen of its partition.
    dead_letter_after: int = Field(default=3, ge=1)
    loading_seconds: int = 20
    # Show LINE's loading animation when Rasa has not answered within this time.
    loading_after_s: float = 0.3
    log_level: str = "INFO"
    # Read by prometheus-client itself: one directory shared by the desk's processes.
    prometheus_multiproc_dir: str = ""
    worker_id: str = ""

    # Tickets.
    max_photo_bytes: int = 10_000_000
    max_photos: int = Field(default=3, ge=0, le=10)
    min_description_chars: int = 12
    reopen_window_days: int = 14
    duplicate_window_days: int = 7
    duplicate_radius_m: float = 200.0
    duplicate_min_similarity: float = 0.6
    api_token_ttl_hours: int = 12
    # The ticket map's tiles ({z}/{x}/{y}); without them (offline) the markers still show.
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_tile_attribution: str = "© OpenStreetMap contributors"

    # Hand-off to call-centre staff.
    # The agency (data/agencies.yml id) whose queue takes hand-offs and left messages.
    handoff_queue: str = "gov_contact_1111"
    # Office hours, Bangkok time, on business days (Thai public holidays excluded).
    office_open: time = time(8, 30)
    office_close: time = time(16, 30)
    # A call centre staffed around the clock: office hours and holidays never close chats.
    office_always_open: bool = False
    # Estimated minutes per waiting citizen before the queue has its own history.
    handoff_minutes_per_citizen: float = Field(default=4.0, gt=0)
    # Give waiting conversations to online agents in turn, within their capacity.
    handoff_auto_assign: bool = True
    # Console log-in: failed attempts allowed per account, and per address (a call centre
    # behind one NAT address shares it), per window.
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=50, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)

    # NLU retraining: a model whose accuracy, macro-F1 or any intent's F1 on the held-out
    # set is lower than the active model's by more than this is refused unless forced.
    nlu_activation_margin: float = Field(default=0.02, ge=0, le=1)
    # Where retrained models are kept, and the trainer's working files (the active model's
    # path among them, so a restarted Rasa runs the last activated model).
    nlu_models_dir: Path = ROOT / "models" / "registry"
    nlu_work_dir: Path = ROOT / "var" / "nlu"

    # LINE API stand-in (development and tests only).
    standin_host: str = "127.0.0.1"
    standin_port: int = 8081
    standin_webhook_url: str = "http://127.0.0.1:8000/line/webhook"
    standin_reply_token_ttl_s: float = 60.0
    standin_spec_path: Path = ROOT / "bot" / "dev" / "standin" / "spec" / "messaging-api.yml"

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if not self.line_api_data_base:
            self.line_api_data_base = self.line_api_base
        if self.rasa_urls.strip():
            self.rasa_url = self.rasa_servers()[0]
        if self.desk_env == "production":
            placeholders = {
                "LINE_CHANNEL_SECRET": self.line_channel_secret in {"", PLACEHOLDER_SECRET},
                "LINE_CHANNEL_ACCESS_TOKEN": (
                    self.line_channel_access_token in {"", PLACEHOLDER_TOKEN}
                ),
                "RASA_TOKEN": self.rasa_token in {"", PLACEHOLDER_RASA_TOKEN},
                "SESSION_SECRET": self.session_secret in {"", PLACEHOLDER_SESSION_SECRET},
                "REDIS_URL": not self.redis_url,
            }
            missing = [name for name, bad in placeholders.items() if bad]
            if missing:
                raise ValueError(
                    "refusing to start in production with development placeholders: "
                    + ", ".join(missing)
                )
            # A guessable secret signs webhooks or sessions for anyone (LINE's channel
            # secret is 32 characters; generate ours with `openssl rand -hex 32`).
            weak = [
                name
                for name, value in (
                    ("LINE_CHANNEL_SECRET", self.line_channel_secret),
                    ("LINE_CHANNEL_ACCESS_TOKEN", self.line_channel_access_token),
                    ("RASA_TOKEN", self.rasa_token),
                    ("SESSION_SECRET", self.session_secret),
                    ("METRICS_TOKEN", self.metrics_token),
                )
                if (value or name != "METRICS_TOKEN")
                and (len(value) < MIN_SECRET or len(set(value)) < 8)
            ]
            if weak:
                raise ValueError(
                    f"refusing to start in production with weak secrets (at least {MIN_SECRET} "
                    "random characters): " + ", ".join(weak)
                )
            for name, url in (
                ("LINE_API_BASE", self.line_api_base),
                ("LINE_API_DATA_BASE", self.line_api_data_base),
            ):
                if not _line_host(url):
                    raise ValueError(
                        f"refusing to start in production: {name} must be LINE's own "
                        f"https://…line.me address, not {url!r}"
                    )
        return self

    def rasa_servers(self) -> list[str]:
        """The Rasa servers: RASA_URLS when set, else RASA_URL alone."""
        listed = [url.strip().rstrip("/") for url in self.rasa_urls.split(",") if url.strip()]
        return listed or [self.rasa_url]


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
