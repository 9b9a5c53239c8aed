"""Idempotency-Key on every POST of Part 2, abused: repeats, reused keys, odd keys,
bursts, replays after the world moved on, and a restart in between."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from tornado.httpclient import AsyncHTTPClient

from app.config import Config
from tests.http.conftest import ADMIN_TOKEN, body_of, small_layout
from tests.support.servers import ServerProcess

JSON = {"Content-Type": "application/json"}
BUYER = {"name": "Ada Lovelace", "email": "ada@example.com"}



pytestmark = pytest.mark.usefixtures("no_server_errors")


# -- helpers ------------------------------------------------------------------------------

async def create_jazz(api) -> None:
    """A second show with the small layout (A1-6, B1-6 in Stalls; BA1-4 in Balcony)."""
    created = await api.create_show("jazz")
    assert created.code == 201, created.body


async def open_hold(api, show: str = "jazz", payload: object | None = None, headers: dict | None = None) -> dict:
    response = await api.hold(show, payload if payload is not None else {"seats": ["A3", "A4"]}, headers)
    assert response.code == 201, response.body
    return body_of(response)


async def world(api) -> list[tuple[str, int, int]]:
    """Every show's (id, version, available): what a repeat must not move."""
    return [(s["id"], s["version"], s["available"]) for s in body_of(await api.get("/shows"))]


def keyed(key: str, token: str | None = None, extra: dict | None = None) -> dict:
    headers = {**JSON, "Idempotency-Key": key, **(extra or {})}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def spaced(value: object) -> bytes:
    """The same JSON value written another way: other key order, other spacing."""
    def reorder(v: object) -> object:
        if isinstance(v, dict):
            return {k: reorder(v[k]) for k in reversed(list(v))}
        if isinstance(v, list):
            return [reorder(x) for x in v]
        return v
    return (" \n" + json.dumps(reorder(value), indent=3, separators=(" , ", " :  ")) + "\n\t").encode()


def new_show(show_id: str = "opera") -> dict:
    return {"id": show_id, "name": "Opera", "starts_at": "2027-06-12T20:00:00+02:00", "currency": "EUR",
            "layout": small_layout()}


class Endpoint:
    """One keyed POST of Part 2: how to prepare for it, its path and a valid body."""

    def __init__(self, name: str, body: object, other_body: object,
                 prepare: Callable[[object], Awaitable[tuple[str, str | None]]]) -> None:
        self.name, self.body, self.other_body, self.prepare = name, body, other_body, prepare

    def __repr__(self) -> str:
        return self.name


async def _shows(api) -> tuple[str, str | None]:
    return "/shows", ADMIN_TOKEN


async def _book(api) -> tuple[str, str | None]:
    await create_jazz(api)
    return "/shows/jazz/book", None


async def _hold(api) -> tuple[str, str | None]:
    await create_jazz(api)
    return "/shows/jazz/holds", None


async def _add(api) -> tuple[str, str | None]:
    await create_jazz(api)
    hold = await open_hold(api)
    return f"/holds/{hold['hold_id']}/seats", hold["token"]


async def _confirm(api) -> tuple[str, str | None]:
    await create_jazz(api)
    hold = await open_hold(api)
    return f"/holds/{hold['hold_id']}/confirm", hold["token"]


ENDPOINTS = [
    Endpoint("create-show", new_show(), new_show("ballet"), _shows),
    Endpoint("book", {"seats": ["B1", "B2"]}, {"seats": ["B1", "B3"]}, _book),
    Endpoint("hold", {"quantity": 2, "section": "Stalls"}, {"quantity": 2, "section": "Balcony"}, _hold),
    Endpoint("add-seats", {"seats": ["BA1", "BA2"]}, {"seats": ["BA1", "BA3"]}, _add),
    Endpoint("confirm", BUYER, {"name": "Ada Lovelace", "email": "ada@example.org"}, _confirm),
]
SUCCESS = {"create-show": 201, "book": 200, "hold": 201, "add-seats": 200, "confirm": 200}


# -- 7. the same key and the same JSON value -------------------------------------------------

@pytest.mark.req("idempotency")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=repr)
@pytest.mark.gen_test
async def test_a_repeat_with_the_same_json_value_answers_byte_for_byte_and_changes_nothing(api, endpoint):
    path, token = await endpoint.prepare(api)
    first = await api.request("POST", path, json.dumps(endpoint.body, separators=(",", ":")),
                              keyed("same-1", token))
    after_first = await world(api)

    second = await api.request("POST", path, spaced(endpoint.body), keyed("same-1", token))
    third = await api.request("POST", path, json.dumps(endpoint.body), keyed("same-1", token))

    assert first.code == SUCCESS[endpoint.name], first.body
    assert (second.code, third.code) == (first.code, first.code)
    assert second.body == first.body == third.body
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert await world(api) == after_first


@pytest.mark.req("idempotency")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=repr)
@pytest.mark.gen_test
async def test_the_same_key_with_another_body_is_422_and_changes_nothing(api, endpoint):
    path, token = await endpoint.prepare(api)
    first = await api.request("POST", path, json.dumps(endpoint.body), keyed("reused", token))
    after_first = await world(api)

    reused = await api.request("POST", path, json.dumps(endpoint.other_body), keyed("reused", token))
    original_again = await api.request("POST", path, json.dumps(endpoint.body), keyed("reused", token))

    assert first.code == SUCCESS[endpoint.name], first.body
    assert reused.code == 422, reused.body
    assert set(body_of(reused)) == {"error", "message"}
    assert body_of(reused)["error"] == "idempotency_key_reused"
    assert original_again.body == first.body
    assert await world(api) == after_first


@pytest.mark.req("idempotency")
@pytest.mark.parametrize(("first_body", "second_body"), [
    (b"", b"{}"), (b"{}", b"  {  }  "), (b'{"quantity": 1}', b"{}"),
], ids=["empty-and-empty-object", "spacing", "quantity-one-is-not-the-same-body-as-empty"])
@pytest.mark.gen_test
async def test_an_empty_hold_body_and_an_empty_object_are_the_same_body(api, first_body, second_body):
    await create_jazz(api)
    first = await api.request("POST", "/shows/jazz/holds", first_body, keyed("empty"))

    second = await api.request("POST", "/shows/jazz/holds", second_body, keyed("empty"))

    assert first.code == 201, first.body
    if first_body == b'{"quantity": 1}':
        # Same effect, but not the same JSON value: the contract compares values.
        assert second.code == 422, second.body
    else:
        assert second.body == first.body
    assert (await api.compact("jazz"))["available"] == 15


@pytest.mark.req("idempotency")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=repr)
@pytest.mark.gen_test
async def test_a_key_that_differs_only_in_case_is_another_key(api, endpoint):
    path, token = await endpoint.prepare(api)
    body = endpoint.body
    first = await api.request("POST", path, json.dumps(body), keyed("Order-7", token))

    other = await api.request("POST", path, json.dumps(endpoint.other_body), keyed("order-7", token))

    assert first.code == SUCCESS[endpoint.name], first.body
    assert other.code != 422, other.body


# -- 7. the same key on another path --------------------------------------------------------

@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_the_same_key_on_another_shows_holds_is_another_hold(api):
    await create_jazz(api)
    in_jazz = await api.hold("jazz", {"quantity": 2}, {"Idempotency-Key": "k"})

    in_main = await api.hold("main", {"quantity": 2}, {"Idempotency-Key": "k"})

    assert (in_jazz.code, in_main.code) == (201, 201), (in_jazz.body, in_main.body)
    assert body_of(in_jazz)["hold_id"] != body_of(in_main)["hold_id"]
    assert (await api.compact("jazz"))["available"] == 14
    assert (await api.compact("main"))["available"] == 48


@pytest.mark.req("idempotency")
@pytest.mark.parametrize(("first_path", "second_path"), [
    ("/shows/jazz/book", "/shows/main/book"), ("/book", "/shows/main/book"),
    ("/shows/main/book", "/shows/main/holds"), ("/shows/jazz/holds", "/shows/jazz/book"),
], ids=["book-in-two-shows", "part1-book-and-main-book", "book-then-hold", "hold-then-book"])
@pytest.mark.gen_test
async def test_the_same_key_on_another_path_is_another_request(api, first_path, second_path):
    await create_jazz(api)
    first = await api.request("POST", first_path, b'{"quantity": 1}', keyed("shared"))

    second = await api.request("POST", second_path, b'{"quantity": 1}', keyed("shared"))

    assert first.code in (200, 201) and second.code in (200, 201), (first.body, second.body)
    assert second.body != first.body
    total_free = sum(s["available"] for s in body_of(await api.get("/shows")))
    assert total_free == 50 + 16 - 2


@pytest.mark.req("idempotency")
@pytest.mark.parametrize("action", ["seats", "confirm"])
@pytest.mark.gen_test
async def test_the_same_key_on_two_holds_acts_on_each(api, action):
    await create_jazz(api)
    one = await open_hold(api, payload={"seats": ["A1"]})
    two = await open_hold(api, payload={"seats": ["B1"]})
    body = {"quantity": 1} if action == "seats" else BUYER

    first = await api.post(f"/holds/{one['hold_id']}/{action}", body, {"Idempotency-Key": "k"}, one["token"])
    second = await api.post(f"/holds/{two['hold_id']}/{action}", body, {"Idempotency-Key": "k"}, two["token"])

    assert (first.code, second.code) == (200, 200), (first.body, second.body)
    assert body_of(first)["seats"] != body_of(second)["seats"]


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_a_key_used_to_create_a_show_can_then_hold_seats_in_it(api):
    created = await api.post("/shows", new_show(), {"Idempotency-Key": "k"}, ADMIN_TOKEN)

    held = await api.hold("opera", {"quantity": 1}, {"Idempotency-Key": "k"})

    assert (created.code, held.code) == (201, 201), held.body
    assert "hold_id" in body_of(held)


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_a_percent_encoded_spelling_of_the_same_path_is_the_same_request(api):
    # `/shows/%6Aazz/holds` is `/shows/jazz/holds` (RFC 3986 6.2.2.2): the server
    # serves it as the same show, so a retry through it must not hold twice.
    await create_jazz(api)
    first = await api.request("POST", "/shows/jazz/holds", b'{"quantity": 2}', keyed("encoded"))

    again = await api.request("POST", "/shows/%6Aazz/holds", b'{"quantity": 2}', keyed("encoded"))

    assert first.code == 201, first.body
    assert again.code == 201, again.body
    assert again.body == first.body
    assert (await api.compact("jazz"))["available"] == 14


# -- 7. key validation ------------------------------------------------------------------------

BAD_KEYS = [("empty", ""), ("256-chars", "k" * 256), ("tab", "a\tb"), ("all-spaces", "   ")]


@pytest.mark.req("idempotency")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=repr)
@pytest.mark.parametrize("key", [k for _, k in BAD_KEYS], ids=[n for n, _ in BAD_KEYS])
@pytest.mark.gen_test
async def test_an_invalid_key_is_400_and_decides_nothing(api, endpoint, key):
    path, token = await endpoint.prepare(api)
    before = await world(api)

    response = await api.request("POST", path, json.dumps(endpoint.body), keyed(key, token))

    assert response.code == 400, response.body
    assert set(body_of(response)) == {"error", "message"}
    assert "Idempotency-Key" in body_of(response)["message"]
    assert await world(api) == before


@pytest.mark.req("idempotency")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=repr)
@pytest.mark.parametrize("key", ["k" * 255, "a b", "~!@#$%^&*()_+{}|:<>?`-=[];',./\"\\", "1"],
                         ids=["255-chars", "inner-space", "punctuation", "one-char"])
@pytest.mark.gen_test
async def test_any_printable_key_up_to_255_characters_is_taken_and_replayed(api, endpoint, key):
    path, token = await endpoint.prepare(api)
    first = await api.request("POST", path, json.dumps(endpoint.body), keyed(key, token))
    after_first = await world(api)

    again = await api.request("POST", path, json.dumps(endpoint.body), keyed(key, token))

    assert first.code == SUCCESS[endpoint.name], first.body
    assert again.body == first.body
    assert await world(api) == after_first


REFUSALS = {
    # endpoint -> (a body refused with 400, then a valid body for the same key)
    "create-show": ({"id": "Bad Id", "name": "x", "layout": small_layout()}, new_show()),
    "book": ({"quantity": 0}, {"quantity": 1}),
    "hold": ({"quantity": 11}, {"quantity": 1}),
    "add-seats": ({"seats": ["Z9"]}, {"seats": ["BA1"]}),
    "confirm": ({"name": "Ada"}, BUYER),
}


@pytest.mark.req("idempotency")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=repr)
@pytest.mark.gen_test
async def test_a_400_is_never_stored_so_the_key_stays_free(api, endpoint):
    path, token = await endpoint.prepare(api)
    bad, good = REFUSALS[endpoint.name]
    refused = await api.request("POST", path, json.dumps(bad), keyed("fresh", token))

    accepted = await api.request("POST", path, json.dumps(good), keyed("fresh", token))

    assert refused.code == 400, refused.body
    assert accepted.code == SUCCESS[endpoint.name], accepted.body


OWNED = [e for e in ENDPOINTS if e.name in ("create-show", "add-seats", "confirm")]


@pytest.mark.req("idempotency")
@pytest.mark.parametrize("refusal", ["no-token", "wrong-token"])
@pytest.mark.parametrize("endpoint", OWNED, ids=repr)
@pytest.mark.gen_test
async def test_a_401_or_403_is_never_stored_so_the_owner_can_use_the_key(api, endpoint, refusal):
    path, token = await endpoint.prepare(api)
    headers = {**JSON, "Idempotency-Key": "mine"}
    if refusal == "wrong-token":
        headers["Authorization"] = "Bearer not-the-token"

    refused = await api.request("POST", path, json.dumps(endpoint.body), headers)
    accepted = await api.request("POST", path, json.dumps(endpoint.body), keyed("mine", token))

    assert refused.code == (401 if refusal == "no-token" else 403), refused.body
    assert accepted.code == SUCCESS[endpoint.name], accepted.body


@pytest.mark.req("idempotency")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=50, row_size=10, admin_token=ADMIN_TOKEN,
                                           max_holds_per_client=2)])
@pytest.mark.gen_test
async def test_a_429_for_too_many_holds_is_not_stored_and_a_replay_is_not_counted(api, config):
    first = await api.hold("main", {"quantity": 1}, {"Idempotency-Key": "h1"})
    await api.hold("main", {"quantity": 1}, {"Idempotency-Key": "h2"})
    too_many = await api.hold("main", {"quantity": 1}, {"Idempotency-Key": "h3"})

    replay = await api.hold("main", {"quantity": 1}, {"Idempotency-Key": "h1"})
    await api.delete(f"/holds/{body_of(first)['hold_id']}", token=body_of(first)["token"])
    after_release = await api.hold("main", {"quantity": 1}, {"Idempotency-Key": "h3"})

    assert too_many.code == 429, too_many.body
    assert replay.code == 201 and replay.body == first.body
    assert after_release.code == 201, after_release.body


# -- 7. bursts -------------------------------------------------------------------------------

@pytest.mark.req("idempotency")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=repr)
@pytest.mark.gen_test(timeout=30)
async def test_five_concurrent_repeats_make_one_decision_and_get_five_identical_answers(api, endpoint):
    path, token = await endpoint.prepare(api)
    before = await world(api)

    responses = await asyncio.gather(*(api.request("POST", path, json.dumps(endpoint.body), keyed("burst", token))
                                       for _ in range(5)))

    assert [r.code for r in responses] == [SUCCESS[endpoint.name]] * 5, [r.body for r in responses]
    assert len({r.body for r in responses}) == 1
    after = await world(api)
    if endpoint.name == "create-show":
        assert [s[0] for s in after] == ["main", "opera"]
    else:
        jazz_before = dict((s[0], s[1]) for s in before)["jazz"]
        assert dict((s[0], s[1]) for s in after)["jazz"] == jazz_before + 1


@pytest.mark.req("idempotency")
@pytest.mark.gen_test(timeout=30)
async def test_a_burst_of_the_same_key_with_two_bodies_makes_one_decision(api):
    await create_jazz(api)
    bodies = [{"quantity": 1}, {"quantity": 2}] * 3

    responses = await asyncio.gather(*(api.hold("jazz", body, {"Idempotency-Key": "mixed"}) for body in bodies))

    codes = sorted(r.code for r in responses)
    assert codes in ([201, 201, 201, 422, 422, 422],), [r.body for r in responses]
    assert len({r.body for r in responses if r.code == 201}) == 1
    assert (await api.compact("jazz"))["version"] == 1


@pytest.mark.req("checkout")
@pytest.mark.gen_test(timeout=30)
async def test_five_concurrent_confirms_with_different_keys_book_the_basket_once(api):
    await create_jazz(api)
    hold = await open_hold(api)

    responses = await asyncio.gather(*(api.confirm(hold, headers={"Idempotency-Key": f"pay-{n}"})
                                       for n in range(5)))

    assert sorted(r.code for r in responses) == [200, 404, 404, 404, 404], [r.body for r in responses]
    snapshot = await api.compact("jazz")
    assert (snapshot["version"], snapshot["rows"]["A"]) == (2, "ffbbff")


@pytest.mark.req("holds")
@pytest.mark.gen_test(timeout=30)
async def test_a_release_racing_a_confirm_leaves_exactly_one_outcome(api):
    await create_jazz(api)
    hold = await open_hold(api)

    released, confirmed = await asyncio.gather(api.delete(f"/holds/{hold['hold_id']}", token=hold["token"]),
                                               api.confirm(hold, headers={"Idempotency-Key": "race"}))

    assert sorted((released.code, confirmed.code)) == [200, 404], (released.body, confirmed.body)
    row = (await api.compact("jazz"))["rows"]["A"]
    assert row == ("ffbbff" if confirmed.code == 200 else "ffffff")


# -- 7. replays after the world moved on -----------------------------------------------------------

@pytest.mark.req("idempotency")
@pytest.mark.req("checkout")
@pytest.mark.gen_test
async def test_a_replayed_confirm_after_the_booking_was_cancelled_still_answers_the_original_200(api):
    await create_jazz(api)
    hold = await open_hold(api)
    confirmed = await api.confirm(hold, headers={"Idempotency-Key": "pay-1"})
    booking = body_of(confirmed)
    assert (await api.delete(f"/bookings/{booking['booking_id']}", token=booking["token"])).code == 200
    before = await api.compact("jazz")

    replay = await api.confirm(hold, headers={"Idempotency-Key": "pay-1"})

    assert (confirmed.code, replay.code) == (200, 200)
    assert replay.body == confirmed.body
    assert await api.compact("jazz") == before
    assert before["rows"]["A"] == "ffffff"


@pytest.mark.req("idempotency")
@pytest.mark.req("checkout")
@pytest.mark.gen_test
async def test_a_replayed_confirm_with_another_buyer_after_the_hold_is_gone_is_422(api):
    await create_jazz(api)
    hold = await open_hold(api)
    await api.confirm(hold, headers={"Idempotency-Key": "pay-2"})

    other = await api.confirm(hold, name="Eve", email="eve@example.com", headers={"Idempotency-Key": "pay-2"})
    unkeyed = await api.confirm(hold)

    assert other.code == 422, other.body
    assert unkeyed.code == 404, unkeyed.body


@pytest.mark.req("idempotency")
@pytest.mark.req("holds")
@pytest.mark.gen_test
async def test_a_replayed_addition_after_the_hold_was_released_answers_the_original(api):
    await create_jazz(api)
    hold = await open_hold(api)
    added = await api.post(f"/holds/{hold['hold_id']}/seats", {"seats": ["BA1"]}, {"Idempotency-Key": "add"},
                           hold["token"])
    await api.delete(f"/holds/{hold['hold_id']}", token=hold["token"])
    before = await api.compact("jazz")

    replay = await api.post(f"/holds/{hold['hold_id']}/seats", {"seats": ["BA1"]}, {"Idempotency-Key": "add"},
                            hold["token"])

    assert (added.code, replay.code) == (200, 200), replay.body
    assert replay.body == added.body
    assert await api.compact("jazz") == before


@pytest.mark.req("idempotency")
@pytest.mark.req("hold-expiry")
@pytest.mark.gen_test
async def test_a_replayed_hold_after_it_expired_answers_the_original_201_and_holds_nothing(api, clock):
    await create_jazz(api)
    first = await api.hold("jazz", {"quantity": 2}, {"Idempotency-Key": "h"})
    clock.advance(700)
    assert (await api.get(f"/holds/{body_of(first)['hold_id']}", token=body_of(first)["token"])).code == 404
    before = await api.compact("jazz")

    replay = await api.hold("jazz", {"quantity": 2}, {"Idempotency-Key": "h"})

    assert replay.code == 201 and replay.body == first.body
    assert await api.compact("jazz") == before
    assert before["available"] == 16


@pytest.mark.req("idempotency")
@pytest.mark.parametrize("kind", ["seats_taken", "sold_out"])
@pytest.mark.parametrize("where", ["hold", "add-seats", "book"])
@pytest.mark.gen_test
async def test_a_409_is_replayed_as_409_even_after_the_seats_are_freed(api, kind, where):
    await create_jazz(api)
    blocker = await open_hold(api, payload={"seats": ["BA1", "BA2"]})
    mine = await open_hold(api, payload={"seats": ["A1"]})
    body = {"seats": ["BA2"]} if kind == "seats_taken" else {"quantity": 3, "section": "Balcony"}
    path, token = {"hold": ("/shows/jazz/holds", None), "book": ("/shows/jazz/book", None),
                   "add-seats": (f"/holds/{mine['hold_id']}/seats", mine["token"])}[where]
    refused = await api.request("POST", path, json.dumps(body), keyed("late", token))
    await api.delete(f"/holds/{blocker['hold_id']}", token=blocker["token"])
    before = await api.compact("jazz")

    replay = await api.request("POST", path, json.dumps(body), keyed("late", token))

    assert (refused.code, replay.code) == (409, 409), (refused.body, replay.body)
    assert body_of(refused)["error"] == kind
    assert replay.body == refused.body
    assert await api.compact("jazz") == before
    assert before["rows"]["BA"] == "ffff"


@pytest.mark.req("idempotency")
@pytest.mark.req("hold-expiry")
@pytest.mark.gen_test
async def test_a_hold_expired_409_on_confirm_is_replayed_even_after_the_seats_are_free_again(api, clock):
    await create_jazz(api)
    hold = await open_hold(api)
    clock.advance(700)
    taker = body_of(await api.post("/shows/jazz/book", {"seats": ["A3"]}))
    refused = await api.confirm(hold, headers={"Idempotency-Key": "late-pay"})
    await api.delete(f"/bookings/{taker['booking_id']}", token=taker["token"])

    replay = await api.confirm(hold, headers={"Idempotency-Key": "late-pay"})

    assert (refused.code, replay.code) == (409, 409), (refused.body, replay.body)
    assert body_of(refused)["error"] == "hold_expired"
    assert replay.body == refused.body
    assert (await api.compact("jazz"))["rows"]["A"] == "ffffff"


# -- 7. a replay is no way around authorization -------------------------------------------------------

@pytest.mark.req("idempotency")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("endpoint", ["add-seats", "confirm"])
@pytest.mark.parametrize("whose", ["another-holds-token", "made-up"])
@pytest.mark.gen_test
async def test_a_replay_with_someone_elses_token_is_403_not_the_owners_answer(api, endpoint, whose):
    await create_jazz(api)
    hold = await open_hold(api)
    other = await open_hold(api, payload={"seats": ["B6"]}) if whose == "another-holds-token" else {"token": "x"}
    path, body = {"add-seats": (f"/holds/{hold['hold_id']}/seats", {"seats": ["BA1"]}),
                  "confirm": (f"/holds/{hold['hold_id']}/confirm", BUYER)}[endpoint]
    original = await api.request("POST", path, json.dumps(body), keyed("k", hold["token"]))

    stranger = await api.request("POST", path, json.dumps(body), keyed("k", other["token"]))

    assert original.code == 200, original.body
    assert stranger.code == 403, stranger.body
    assert original.body not in stranger.body
    secrets = [body_of(original)[name] for name in ("token", "booking_id") if name in body_of(original)]
    assert all(secret not in stranger.body.decode() for secret in secrets)


@pytest.mark.req("idempotency")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("authorization", "status"), [(None, 401), ("Bearer wrong", 403)])
@pytest.mark.gen_test
async def test_a_show_creation_replay_still_needs_the_admin_token(api, authorization, status):
    created = await api.post("/shows", new_show(), {"Idempotency-Key": "s"}, ADMIN_TOKEN)
    headers = {**JSON, "Idempotency-Key": "s"}
    if authorization is not None:
        headers["Authorization"] = authorization

    replay = await api.request("POST", "/shows", json.dumps(new_show()), headers)

    assert created.code == 201
    assert replay.code == status, replay.body


@pytest.mark.req("idempotency")
@pytest.mark.gen_test
async def test_a_keyed_show_creation_of_an_existing_id_is_409_and_the_key_stays_free(api):
    taken = await api.post("/shows", new_show("main"), {"Idempotency-Key": "s"}, ADMIN_TOKEN)

    created = await api.post("/shows", new_show("opera"), {"Idempotency-Key": "s"}, ADMIN_TOKEN)
    replay = await api.post("/shows", new_show("opera"), {"Idempotency-Key": "s"}, ADMIN_TOKEN)

    assert taken.code == 409, taken.body
    assert body_of(taken)["error"] == "show_exists"
    assert created.code == 201, created.body
    assert replay.body == created.body


# -- 8. across a restart -----------------------------------------------------------------------

@pytest.mark.req("idempotency")
@pytest.mark.gen_test(timeout=60)
async def test_every_keyed_part2_answer_is_replayed_after_a_restart(tmp_path):
    server = ServerProcess("--db", str(tmp_path / "seats.db"), "--seats", "20", "--admin-token", ADMIN_TOKEN)
    client = AsyncHTTPClient(force_instance=True)

    async def post(path: str, body: object, key: str, token: str | None = None):
        return await client.fetch(server.url + path, method="POST", body=json.dumps(body),
                                  headers=keyed(key, token), raise_error=False)

    async def shows() -> list:
        return json.loads((await client.fetch(server.url + "/shows")).body)

    try:
        await asyncio.to_thread(server.start)
        first: dict[str, tuple[int, bytes]] = {}
        created = await post("/shows", new_show("jazz"), "r-show", ADMIN_TOKEN)
        first["show"] = (created.code, created.body)
        held = await post("/shows/jazz/holds", {"seats": ["A1"]}, "r-hold")
        hold = json.loads(held.body)
        first["hold"] = (held.code, held.body)
        added = await post(f"/holds/{hold['hold_id']}/seats", {"seats": ["A2"]}, "r-add", hold["token"])
        first["add"] = (added.code, added.body)
        confirmed = await post(f"/holds/{hold['hold_id']}/confirm", BUYER, "r-confirm", hold["token"])
        first["confirm"] = (confirmed.code, confirmed.body)
        booked = await post("/shows/jazz/book", {"quantity": 2}, "r-book")
        first["book"] = (booked.code, booked.body)
        refused = await post("/shows/jazz/book", {"seats": ["A1"]}, "r-refused")
        first["refused"] = (refused.code, refused.body)
        before = await shows()
        assert await asyncio.to_thread(server.terminate) == 0
        first_log = server.log()
        await asyncio.to_thread(server.start)

        again = {
            "show": await post("/shows", new_show("jazz"), "r-show", ADMIN_TOKEN),
            "hold": await post("/shows/jazz/holds", {"seats": ["A1"]}, "r-hold"),
            "add": await post(f"/holds/{hold['hold_id']}/seats", {"seats": ["A2"]}, "r-add", hold["token"]),
            "confirm": await post(f"/holds/{hold['hold_id']}/confirm", BUYER, "r-confirm", hold["token"]),
            "book": await post("/shows/jazz/book", {"quantity": 2}, "r-book"),
            "refused": await post("/shows/jazz/book", {"seats": ["A1"]}, "r-refused"),
        }
        reused = await post("/shows/jazz/holds", {"seats": ["A3"]}, "r-hold")
        after = await shows()
        assert await asyncio.to_thread(server.terminate) == 0
        second_log = server.log()
    finally:
        client.close()
        server.stop()

    assert "Traceback" not in first_log + second_log, first_log + second_log
    assert [code for code, _ in first.values()] == [201, 201, 200, 200, 200, 409]
    assert {name: (r.code, r.body) for name, r in again.items()} == first
    assert reused.code == 422
    assert after == before
