"""Prometheus metrics (prometheus-client), served at ``/metrics``.

Counted where the thing happens: requests by ``service.observe``, assessments and
review rows by their routes, database errors by the 503 handler. Labels are route
templates, statuses, categories and levels: never a path with an id, never personal data.
With several workers each process counts its own (scrape each, or run one worker).
"""

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

REQUESTS = Counter(
    "liushou_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "liushou_http_request_duration_seconds",
    "Time to answer a request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ASSESSMENTS = Counter(
    "liushou_assessments_total", "Persons assessed (API, batches, reviews)", ["category", "level"]
)
REVIEW_ROWS = Counter(
    "liushou_review_rows_total", "Spreadsheet rows of reviews, by outcome", ["outcome"]
)
DATABASE_ERRORS = Counter(
    "liushou_database_errors_total", "Database operations that failed (answered 503)"
)
MODEL_LOADED = Gauge("liushou_model_loaded", "1 when the configured model is loaded and in use")


def count_assessment(category: str, level: str, n: int = 1) -> None:
    ASSESSMENTS.labels(category=category, level=level).inc(n)


def exposition() -> tuple[bytes, str]:
    """The metrics in the text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
