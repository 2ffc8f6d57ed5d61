"""The bridge to Rasa, through the desk channel (nlu/channel.py), which reports failures."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot import metrics

# Statuses that blame the message, never Rasa: retrying the same message cannot help.
# (401/403 are a wrong token and 408/429 are load: those are Rasa's, and retried.)
REJECTED = frozenset({400, 404, 413, 414, 422})


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"http_{response.status_code}"
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or f"http_{response.status_code}")
    return f"http_{response.status_code}"


class RasaUnavailable(Exception):
    """Rasa, its stores or the action server failed: keep the message and retry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RasaRejected(Exception):
    """Rasa could not process this message (it is the message, not Rasa): do not retry."""


@dataclass(frozen=True)
class Understood:
    """What the model made of the citizen's message (headers of the desk channel)."""

    intent: str | None = None
    confidence: float | None = None
    # The best intent other than the fallback (the model's guess when it fell back).
    guess: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Understood:
        def number(value: str | None) -> float | None:
            try:
                return float(value) if value is not None else None
            except ValueError:
                return None

        return cls(
            intent=headers.get("x-desk-intent"),
            confidence=number(headers.get("x-desk-confidence")),
            guess=headers.get("x-desk-guess"),
        )


@dataclass(frozen=True)
class RasaTurn:
    """Rasa's answer to one message."""

    messages: list[dict[str, Any]]
    understood: Understood = field(default_factory=Understood)


class RasaClient:
    """Sends one citizen message to Rasa and returns the bot's messages."""

    def __init__(self, *, base_url: str, token: str, timeout_s: float) -> None:
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout_s, connect=2.0),
        )

    async def close(self) -> None:
        """Closes the HTTP client."""
        await self._http.aclose()

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        """The bot's answer; raises RasaUnavailable on any failure, never returns a silent []."""
        started = time.perf_counter()
        try:
            response = await self._http.post(
                "/webhooks/desk/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
            )
        except httpx.HTTPError as error:
            reason = "timeout" if isinstance(error, httpx.TimeoutException) else "unreachable"
            metrics.RASA_FAILURES.labels(reason=reason).inc()
            raise RasaUnavailable(reason) from error
        metrics.RASA_LATENCY.observe(time.perf_counter() - started)
        if response.status_code in REJECTED:
            # The message itself (or its sender) is the problem: 400 for a message
            # without a sender, 422 for one the NLU pipeline cannot take.
            metrics.RASA_FAILURES.labels(reason=f"rejected_{response.status_code}").inc()
            raise RasaRejected(_detail(response))
        if response.status_code != 200:
            reason = f"http_{response.status_code}:{_detail(response)}"
            metrics.RASA_FAILURES.labels(reason=f"http_{response.status_code}").inc()
            raise RasaUnavailable(reason)
        body = response.json()
        if not isinstance(body, list):
            metrics.RASA_FAILURES.labels(reason="malformed").inc()
            raise RasaUnavailable("malformed answer")
        return RasaTurn(messages=body, understood=Understood.from_headers(response.headers))

    async def ready(self) -> tuple[bool, dict[str, Any]]:
        """Whether Rasa answers with a loaded model."""
        try:
            # Rasa's own HTTP API takes its auth token as a query parameter.
            response = await self._http.get("/status", params={"token": self._token}, timeout=2.0)
        except httpx.HTTPError as error:
            return False, {"error": type(error).__name__}
        if response.status_code != 200:
            return False, {"error": f"http_{response.status_code}"}
        status = response.json()
        model = status.get("model_id") or status.get("fingerprint", {}).get("trained_at")
        return bool(status.get("model_file")), {"model": model, "file": status.get("model_file")}
