"""Large venues: the compact snapshot of a 50,000-seat show is at most 64 KB on the
wire, over GET and as the stream's first event (contract Part 2)."""

from __future__ import annotations

import gzip
import json
import random

import pytest

from app.config import Config
from booking.layout import row_label
from tests.http.conftest import ADMIN_TOKEN, body_of
from tests.support.sse import EventStreamClient

WIRE_LIMIT = 65_536


def rows_of(count: int, seats: int) -> list[dict]:
    return [{"label": row_label(i), "seats": seats} for i in range(count)]


async def a_busy_show(api, show_id: str, rows: int, seats_per_row: int) -> None:
    """A 50,000-seat show with a tenth of its seats taken at random, so its
    snapshot is not one long run of `f`."""
    layout = {"sections": [{"name": "Floor", "price": 5000, "rows": rows_of(rows, seats_per_row)}]}
    assert (await api.create_show(show_id, layout)).code == 201
    seats = [f"{row['label']}{n}" for row in layout["sections"][0]["rows"] for n in range(1, seats_per_row + 1)]
    chosen = random.Random(5).sample(seats, 5000)
    for start in range(0, 5000, 10):
        booked = await api.post(f"/shows/{show_id}/book", {"seats": chosen[start:start + 10]})
        assert booked.code == 200


class TestFiftyThousandSeats:
    @pytest.fixture
    def config(self) -> Config:
        return Config(db=":memory:", seats=50, row_size=10, admin_token=ADMIN_TOKEN, max_per_booking=10)

    @pytest.mark.req("compact-snapshot")
    @pytest.mark.gen_test(timeout=60)
    async def test_rows_of_a_hundred_fit_in_64_kb_as_plain_json(self, api):
        # Arrange
        await a_busy_show(api, "arena", 500, 100)

        # Act
        response = await api.request("GET", "/shows/arena/seats", headers={"Accept-Encoding": "identity"})

        # Assert
        snapshot = body_of(response)
        assert len(response.body) <= WIRE_LIMIT
        assert (snapshot["total"], len(snapshot["rows"])) == (50_000, 500)
        assert sum(row.count("f") for row in snapshot["rows"].values()) == snapshot["available"]
        assert snapshot["available"] == 45_000

    @pytest.mark.req("compact-snapshot")
    @pytest.mark.gen_test(timeout=60)
    async def test_rows_of_ten_fit_in_64_kb_gzipped_over_get_and_on_the_stream(self, api, base_url):
        # Arrange
        await a_busy_show(api, "hall", 5000, 10)

        # Act
        zipped = await api.client.fetch(base_url + "/shows/hall/seats", headers={"Accept-Encoding": "gzip"},
                                        decompress_response=False)
        stream = await EventStreamClient.open(base_url + "/shows/hall/events", headers={"Accept-Encoding": "gzip"})
        opening = await stream.next_event()
        opening_bytes = stream.wire_bytes
        stream.close()

        # Assert
        plain = json.loads(gzip.decompress(zipped.body))
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert len(zipped.body) <= WIRE_LIMIT < len(json.dumps(plain))
        assert (opening.event, opening.json()) == ("snapshot", plain)
        assert opening_bytes <= WIRE_LIMIT


@pytest.mark.req("compact-snapshot")
@pytest.mark.req("REQ-4")
@pytest.mark.gen_test
async def test_a_gzip_stream_carries_every_change_and_ends_with_a_valid_gzip_trailer(api, base_url, seat_server):
    # Arrange
    stream = await EventStreamClient.open(base_url + "/shows/main/events", headers={"Accept-Encoding": "gzip"})
    await stream.next_event()

    # Act
    await api.book({"seats": ["A1"]})
    await api.hold("main", {"seats": ["B2"]})
    first, second = await stream.next_seats_event(), await stream.next_seats_event()
    for sales in seat_server.box_office.shows.values():
        sales.hub.end_all()
    await stream.ended
    stream.close()

    # Assert
    assert stream.header("Content-Encoding") == "gzip"
    assert (first.json()["changed"], second.json()["changed"]) == ({"A1": "booked"}, {"B2": "held"})
    assert stream.ended_cleanly and stream.gzip_complete
