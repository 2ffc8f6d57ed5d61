"""The bridge to Rasa, through the desk channel (nlu/channel.py), which reports failures."""

from __future__ import annotations

import time
from typing import Any

import httpx

from bot import metrics


class RasaUnavailable(Exception):
    """Rasa, its stores or the action server failed: keep the message and retry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RasaRejected(Exception):
    """Rasa could not process this message (it is the message, not Rasa): do not retry."""


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

    async def send(
        self, *, sender: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
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
        if response.status_code == 422:
            metrics.RASA_FAILURES.labels(reason="unprocessable").inc()
            raise RasaRejected(str(response.json().get("detail", "")))
        if response.status_code != 200:
            reason = f"http_{response.status_code}"
            try:
                reason += ":" + str(response.json().get("error", ""))
            except ValueError:
                pass
            metrics.RASA_FAILURES.labels(reason=f"http_{response.status_code}").inc()
            raise RasaUnavailable(reason)
        body = response.json()
        if not isinstance(body, list):
            metrics.RASA_FAILURES.labels(reason="malformed").inc()
            raise RasaUnavailable("malformed answer")
        return body

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
