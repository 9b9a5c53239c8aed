"""Several shows: admin creation, listing, static details, and nothing crossing
between shows (contract Part 2, "Shows" and "Layout")."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.http.conftest import body_of, small_layout
from tests.support.sse import EventStreamClient


@pytest.mark.req("shows")
@pytest.mark.gen_test
async def test_a_new_database_has_the_default_show_main_from_seats_and_row_size(api):
    # Act
    listed = body_of(await api.get("/shows"))
    detail = body_of(await api.get("/shows/main"))

    # Assert
    assert listed == [{"id": "main", "name": "Main", "starts_at": None, "total": 50, "available": 50, "version": 0}]
    assert [row["label"] for row in detail["layout"]["sections"][0]["rows"]] == list("ABCDE")
    assert {row["seats"] for row in detail["layout"]["sections"][0]["rows"]} == {10}


@pytest.mark.req("shows")
@pytest.mark.req("layouts")
@pytest.mark.gen_test
async def test_an_admin_creates_a_show_that_is_then_listed_and_described(api):
    # Act
    created = await api.create_show("jazz-0612", name="Jazz night", starts_at="2027-06-12T20:00:00Z",
                                    currency="EUR")
    listed = body_of(await api.get("/shows"))
    detail = await api.get("/shows/jazz-0612")

    # Assert
    assert created.code == 201, created.body
    assert created.headers["Location"] == "/shows/jazz-0612"
    assert body_of(created) == {"id": "jazz-0612", "name": "Jazz night", "starts_at": "2027-06-12T20:00:00Z",
                                "currency": "EUR", "layout": small_layout(), "total": 16, "available": 16,
                                "version": 0}
    assert listed[1] == {"id": "jazz-0612", "name": "Jazz night", "starts_at": "2027-06-12T20:00:00Z",
                         "total": 16, "available": 16, "version": 0}
    assert body_of(detail) == {"id": "jazz-0612", "name": "Jazz night", "starts_at": "2027-06-12T20:00:00Z",
                               "currency": "EUR", "layout": small_layout()}


@pytest.mark.req("shows")
@pytest.mark.gen_test
async def test_show_details_are_cacheable_with_an_etag_and_answer_304_when_unchanged(api):
    # Arrange
    await api.create_show("jazz")
    first = await api.get("/shows/jazz")

    # Act
    again = await api.request("GET", "/shows/jazz", headers={"If-None-Match": first.headers["ETag"]})

    # Assert
    assert first.code == 200
    assert "max-age" in first.headers["Cache-Control"]
    assert again.code == 304


@pytest.mark.req("shows")
@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Basic abc"}, 401), ({"Authorization": "Bearer wrong"}, 403)],
)
@pytest.mark.gen_test
async def test_creating_a_show_needs_the_admin_token(api, headers, status):
    # Act
    response = await api.post("/shows", {"id": "jazz", "name": "Jazz", "layout": small_layout()}, headers)

    # Assert
    assert response.code == status
    assert body_of(response)["error"] == ("unauthorized" if status == 401 else "forbidden")
    assert [show["id"] for show in body_of(await api.get("/shows"))] == ["main"]
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.req("shows")
@pytest.mark.gen_test
async def test_creating_a_show_whose_id_exists_is_409_show_exists_and_keeps_the_first(api):
    # Arrange
    await api.create_show("jazz", name="First")

    # Act
    again = await api.create_show("jazz", name="Second")

    # Assert
    assert again.code == 409
    assert body_of(again)["error"] == "show_exists"
    assert body_of(await api.get("/shows/jazz"))["name"] == "First"


@pytest.mark.req("shows")
@pytest.mark.gen_test
async def test_each_show_has_its_own_seats_versions_and_stream(api, base_url):
    # Arrange
    await api.create_show("jazz")
    jazz_stream = await EventStreamClient.open(base_url + "/shows/jazz/events")
    main_stream = await EventStreamClient.open(base_url + "/events")
    await jazz_stream.next_event()
    await main_stream.next_event()

    # Act
    in_main = await api.book({"seats": ["A1"]})
    in_jazz = await api.post("/shows/jazz/book", {"seats": ["A1"]})
    jazz_event = await jazz_stream.next_seats_event()
    main_event = await main_stream.next_seats_event()
    jazz_stream.close()
    main_stream.close()

    # Assert
    assert (in_main.code, in_jazz.code) == (200, 200)
    assert (body_of(in_main)["version"], body_of(in_jazz)["version"]) == (1, 1)
    assert jazz_event.json() == {"version": 1, "available": 15, "changed": {"A1": "booked"}}
    assert main_event.json() == {"version": 1, "available": 49, "changed": {"A1": "booked"}}
    listed = {show["id"]: show for show in body_of(await api.get("/shows"))}
    assert (listed["main"]["available"], listed["jazz"]["available"]) == (49, 15)


@pytest.mark.req("shows")
@pytest.mark.req("cancellation")
@pytest.mark.gen_test
async def test_a_booking_of_any_show_is_cancelled_at_bookings_id(api):
    # Arrange
    await api.create_show("jazz")
    booking = body_of(await api.post("/shows/jazz/book", {"quantity": 2}))

    # Act
    cancelled = await api.cancel(booking["booking_id"], booking["token"])

    # Assert
    assert cancelled.code == 200
    assert body_of(cancelled) == {"released": booking["seats"], "available": 16, "version": 2}
    assert (await api.compact("jazz"))["available"] == 16
    assert (await api.seats())["version"] == 0


@pytest.mark.req("shows")
@pytest.mark.gen_test
async def test_a_burst_on_one_show_leaves_the_other_show_answering(api):
    # Arrange
    await api.create_show("jazz")

    # Act
    burst = [api.book({}) for _ in range(40)]
    other = api.post("/shows/jazz/book", {})
    answers = await asyncio.gather(*burst, other)

    # Assert
    assert [a.code for a in answers[:40]] == [200] * 40
    assert answers[40].code == 200
    assert body_of(answers[40])["version"] == 1
    assert (await api.seats())["available"] == 10


@pytest.mark.req("layouts")
@pytest.mark.gen_test
async def test_best_available_can_be_limited_to_a_section_and_prices_follow_the_section(api):
    # Arrange
    await api.create_show("jazz")

    # Act
    balcony = await api.hold("jazz", {"quantity": 2, "section": "Balcony"})
    anywhere = await api.hold("jazz", {"quantity": 2})

    # Assert
    # A pair in the middle of a row of four would strand BA1 and BA4: it takes an end.
    assert body_of(balcony)["seats"] == ["BA1", "BA2"]
    assert body_of(balcony)["total_price"] == 5000
    assert body_of(anywhere)["seats"] == ["A3", "A4"]
    assert body_of(anywhere)["total_price"] == 9000


@pytest.mark.req("layouts")
@pytest.mark.gen_test
async def test_a_section_with_too_few_free_seats_is_sold_out_there_only(api):
    # Arrange
    await api.create_show("jazz")

    # Act
    too_many = await api.hold("jazz", {"quantity": 5, "section": "Balcony"})

    # Assert
    assert too_many.code == 409
    assert body_of(too_many)["error"] == "sold_out"
    assert body_of(too_many)["unavailable"] == []
    assert (await api.compact("jazz"))["available"] == 16


@pytest.mark.req("layouts")
@pytest.mark.gen_test
async def test_a_group_is_never_placed_so_that_it_strands_a_single_seat(api):
    # Arrange: row A of 6 with A1 and A6 taken leaves A2-A5 (4 free); a pair in
    # the middle (A3-A4) would strand A2 and A5, so it goes to A2-A3's side.
    await api.create_show("jazz")
    await api.post("/shows/jazz/book", {"seats": ["A1", "A6"]})

    # Act
    pair = await api.post("/shows/jazz/book", {"quantity": 2})

    # Assert
    assert body_of(pair)["seats"] == ["A2", "A3"]


@pytest.mark.req("shows")
@pytest.mark.gen_test
async def test_a_created_show_is_kept_by_the_store(seat_server, api):
    # Arrange
    await api.create_show("jazz")

    # Act
    stored = [show.id for show in seat_server.store.shows()]

    # Assert
    assert stored == ["main", "jazz"]


@pytest.mark.req("shows")
@pytest.mark.gen_test
async def test_healthz_counts_streams_of_every_show(api, base_url):
    # Arrange
    await api.create_show("jazz")
    streams = [await EventStreamClient.open(base_url + path) for path in ("/events", "/shows/jazz/events")]
    for stream in streams:
        await stream.next_event()

    # Act
    health = await api.health()
    for stream in streams:
        stream.close()

    # Assert
    assert health == {"status": "ok", "version": 0, "subscribers": 2}


@pytest.mark.req("shows")
@pytest.mark.gen_test
async def test_show_listing_carries_committed_versions_only(api):
    # Arrange
    await api.create_show("jazz")
    await api.hold("jazz", {"quantity": 3})

    # Act
    listed = {show["id"]: show for show in json.loads((await api.get("/shows")).body)}

    # Assert
    assert (listed["jazz"]["version"], listed["jazz"]["available"]) == (1, 13)

