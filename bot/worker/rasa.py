"""The bridge to Rasa, through the desk channel (nlu/channel.py), which reports failures."""

from __future__ import annotations

import asyncio
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


# How long a Rasa server that could not be reached is passed over (its circuit open),
# before one message tries it again.
OPEN_S = 5.0
# Transport failures that mean the server is not there (down, restarting, killed while
# answering): the message goes to the next server. A read timeout is not one of them:
# the turn is under way there, and another server would only wait on its lock.
DOWN = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError)


class RasaClient:
    """Sends one citizen message to Rasa and returns the bot's messages.

    Given several servers (they share the tracker and lock stores in Redis, so any of
    them can take any citizen's turn), it spreads messages over them in turn and fails
    over from one that cannot be reached or answers 5xx to the next; a server that could
    not be reached is skipped for OPEN_S seconds (a short circuit breaker). When every
    server fails, the message is kept (RasaUnavailable) and retried by the queue.
    """

    def __init__(
        self, *, base_urls: list[str], token: str, timeout_s: float, open_s: float = OPEN_S
    ) -> None:
        if not base_urls:
            raise ValueError("no Rasa server")
        self._token = token
        self._open_s = open_s
        self._next = 0
        self._open_until: dict[str, float] = {}
        self._http = {
            url: httpx.AsyncClient(
                base_url=url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=httpx.Timeout(timeout_s, connect=2.0),
            )
            for url in base_urls
        }

    @property
    def servers(self) -> list[str]:
        """The servers' base URLs."""
        return list(self._http)

    async def close(self) -> None:
        """Closes the HTTP clients."""
        for http in self._http.values():
            await http.aclose()

    def _order(self) -> list[str]:
        """The servers to try for one message: in turn, those with an open circuit last."""
        servers = self.servers
        start = self._next % len(servers)
        self._next += 1
        turn = servers[start:] + servers[:start]
        now = time.monotonic()
        return sorted(turn, key=lambda url: self._open_until.get(url, 0.0) > now)

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        """The bot's answer; raises RasaUnavailable on any failure, never returns a silent []."""
        failure = RasaUnavailable("unreachable")
        for url in self._order():
            try:
                return await self._send(url, sender=sender, text=text, metadata=metadata)
            except RasaUnavailable as error:
                failure = error
                if error.reason == "timeout":
                    break  # busy, not down: the queue retries (a later try is answered once)
        raise failure

    async def _send(
        self, url: str, *, sender: str, text: str, metadata: dict[str, Any]
    ) -> RasaTurn:
        started = time.perf_counter()
        try:
            response = await self._http[url].post(
                "/webhooks/desk/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
            )
        except httpx.HTTPError as error:
            reason = "unreachable"
            if isinstance(error, DOWN):
                self._open_until[url] = time.monotonic() + self._open_s
            elif isinstance(error, httpx.TimeoutException):
                reason = "timeout"
            metrics.RASA_FAILURES.labels(reason=reason).inc()
            raise RasaUnavailable(reason) from error
        self._open_until.pop(url, None)
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
        """Whether a Rasa server answers with a loaded model (with several, each one's
        state under "servers": the desk answers while any of them does)."""
        states = await asyncio.gather(*(self._ready(url) for url in self._http))
        ok = any(ready for ready, _ in states)
        detail = next((d for ready, d in states if ready), states[0][1])
        if len(states) > 1:
            servers = zip(self._http, states, strict=True)
            detail = {**detail, "servers": [{"url": u, "ok": r, **d} for u, (r, d) in servers]}
        return ok, detail

    async def _ready(self, url: str) -> tuple[bool, dict[str, Any]]:
        try:
            # Rasa's own HTTP API takes its auth token as a query parameter.
            response = await self._http[url].get(
                "/status", params={"token": self._token}, timeout=2.0
            )
        except httpx.HTTPError as error:
            return False, {"error": type(error).__name__}
        if response.status_code != 200:
            return False, {"error": f"http_{response.status_code}"}
        status = response.json()
        model = status.get("model_id") or status.get("fingerprint", {}).get("trained_at")
        return bool(status.get("model_file")), {"model": model, "file": status.get("model_file")}
