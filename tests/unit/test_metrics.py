"""The Prometheus text exposition of app/metrics.py: labels bounded to routes,
escaping, cumulative histogram buckets."""

from __future__ import annotations

import pytest

from app.metrics import Histogram, Metrics, route_of


@pytest.mark.req("metrics")
@pytest.mark.parametrize(("path", "route"), [
    ("/book", "/book"),
    ("/shows/jazz-night/book", "/shows/{show}/book"),
    ("/shows/jazz-night", "/shows/{show}"),
    ("/holds/h1/seats/A12", "/holds/{hold}/seats/{seat}"),
    ("/holds/h1/confirm", "/holds/{hold}/confirm"),
    ("/holds/h1", "/holds/{hold}"),
    ("/bookings/b1", "/bookings/{booking}"),
    ("/static/page.css", "/static/*"),
    ("/wp-admin/setup.php", "other"),
    ("/shows/a/b/c", "other"),
])
def test_a_path_is_counted_under_its_route_never_its_ids(path, route):
    assert route_of(path) == route


@pytest.mark.req("metrics")
def test_a_histogram_renders_cumulative_buckets_with_le_inclusive_and_inf():
    histogram = Histogram("h_seconds", "help", (0.1, 1.0))
    for value in (0.1, 0.5, 2.0):
        histogram.observe(value)

    assert list(histogram.render()) == [
        "# HELP h_seconds help", "# TYPE h_seconds histogram",
        'h_seconds_bucket{le="0.1"} 1', 'h_seconds_bucket{le="1"} 2', 'h_seconds_bucket{le="+Inf"} 3',
        "h_seconds_sum 2.6", "h_seconds_count 3",
    ]


@pytest.mark.req("metrics")
def test_label_values_are_escaped_and_unknown_methods_pooled():
    metrics = Metrics()
    metrics.gauge("g", "help", ("show",), lambda: {('a"b\\c\nd',): 1})
    metrics.request("/book", "BREW", 405, "book", "method_not_allowed")

    text = metrics.render()

    assert 'g{show="a\\"b\\\\c\\nd"} 1' in text.splitlines()
    assert 'seats_http_requests_total{route="/book",method="other",status="405"} 1' in text.splitlines()
    assert 'seats_decisions_total{action="book",outcome="method_not_allowed"} 1' in text.splitlines()
    assert text.endswith("\n")
