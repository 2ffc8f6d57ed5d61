"""Prometheus metrics of the gateway and the worker (prometheus-client).

With PROMETHEUS_MULTIPROC_DIR set (as `make run` does), the gateway's /metrics
aggregates every process's counters; queue depth and age are read from Redis at scrape.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.queue import Depth

EVENTS_IN = Counter("desk_webhook_events_total", "Webhook events received", ["type"])
EVENTS_DUPLICATE = Counter(
    "desk_webhook_duplicate_events_total", "Webhook events already stored (redeliveries)"
)
WEBHOOK_REJECTED = Counter("desk_webhook_rejected_total", "Webhook calls refused", ["reason"])
ENQUEUE_FAILURES = Counter(
    "desk_enqueue_failures_total", "Stored events that could not be enqueued at once"
)
EVENTS_HANDLED = Counter("desk_events_handled_total", "Events handled by the worker", ["outcome"])
MESSAGES_OUT = Counter("desk_line_messages_sent_total", "Messages sent to LINE", ["via"])
SEND_FAILURES = Counter("desk_line_send_failures_total", "LINE sends that failed", ["reason"])
RASA_LATENCY = Histogram(
    "desk_rasa_latency_seconds",
    "Time Rasa took to answer one message",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RASA_FAILURES = Counter("desk_rasa_failures_total", "Rasa calls that failed", ["reason"])
HANDLING_LATENCY = Histogram(
    "desk_event_handling_seconds",
    "From webhook receipt to the answer sent",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


class QueueCollector(Collector):
    """Queue depth and age, read at scrape time from a snapshot the app refreshes."""

    def __init__(self) -> None:
        self.depth = Depth(waiting=0, oldest_age_s=0.0)
        self.dead_letters = 0
        # Live catalogue services by review state: verified, overdue, unverified.
        self.catalogue: dict[str, int] = {}

    def collect(self):  # type: ignore[no-untyped-def]
        """Yields the two gauges."""
        waiting = GaugeMetricFamily("desk_queue_depth", "Events waiting in the queue")
        waiting.add_metric([], self.depth.waiting)
        age = GaugeMetricFamily("desk_queue_oldest_age_seconds", "Age of the oldest waiting event")
        age.add_metric([], self.depth.oldest_age_s)
        dead = GaugeMetricFamily(
            "desk_dead_letters", "Events the worker gave up on, waiting for an admin to retry"
        )
        dead.add_metric([], self.dead_letters)
        catalogue = GaugeMetricFamily(
            "desk_catalogue_services",
            "Live catalogue services by review state (overdue ones show citizens as unverified)",
            labels=["state"],
        )
        for state, count in sorted(self.catalogue.items()):
            catalogue.add_metric([state], count)
        yield waiting
        yield age
        yield dead
        yield catalogue


def render(queue_collector: QueueCollector, *, multiproc: bool) -> tuple[bytes, str]:
    """The exposition text for /metrics."""
    registry = CollectorRegistry()
    if multiproc:
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY  # type: ignore[assignment]
    data = generate_latest(registry)
    data += generate_latest(_single(queue_collector))
    return data, CONTENT_TYPE_LATEST


def _single(collector: Collector) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(collector)
    return registry
