"""Prometheus metrics of one service instance, in a registry of its own.

Labels are bounded: a route is the handler's name (never the raw path, which a client
chooses), a schema label only ever names a schema that exists, and an anomaly code is one of
the core's codes.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]

#: request latency buckets, seconds: validation of one row takes about a millisecond
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The service's counters and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "datacheck_requests",
            "HTTP requests answered, by method, route and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "datacheck_request_duration_seconds",
            "Time from a request's start to its answer, by route",
            ("route",),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.rows = Counter(
            "datacheck_rows_validated",
            "Rows validated, by schema",
            ("schema",),
            registry=self.registry,
        )
        self.anomalies = Counter(
            "datacheck_anomalies",
            "Anomalies reported by validation requests, by schema and code",
            ("schema", "code"),
            registry=self.registry,
        )
        self.limits = Counter(
            "datacheck_limit_refusals",
            "Requests refused by an enforced limit, by limit",
            ("limit",),
            registry=self.registry,
        )
        self.inflight = Gauge(
            "datacheck_validations_inflight",
            "Validations running now (timed-out ones that still run included)",
            registry=self.registry,
        )
        self.serving_dropped = Gauge(
            "datacheck_serving_rows_dropped",
            "Rows left out of the serving statistics (queue full, or not profilable)",
            registry=self.registry,
        )
        self.serving_profiled = Gauge(
            "datacheck_serving_rows_profiled",
            "Rows profiled into serving-statistics windows",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
