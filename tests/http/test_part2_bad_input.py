"""Part 2 under attack: every new endpoint fed malformed, hostile or absurd requests.

Each refusal must be a JSON 4xx `{"error", "message"}` with a short, clear message,
and must change nothing: no show created, no version taken, no seat held.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from app.config import Config
from booking.layout import row_label
from tests.http.conftest import ADMIN_TOKEN, body_of, small_layout

JSON = {"Content-Type": "application/json"}
ADMIN = {**JSON, "Authorization": f"Bearer {ADMIN_TOKEN}"}
CROSS_SITE = "https://evil.example"
SEAT_STATES = set("fhb")


# -- helpers ------------------------------------------------------------------------------



pytestmark = pytest.mark.usefixtures("no_server_errors")


def assert_refused(response, status: int, code: str | None = None) -> dict:
    """The contract's JSON error shape, with a short message that names the problem."""
    assert response.code == status, (response.code, response.body[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    error = body_of(response)
    assert set(error) == {"error", "message"}, error
    assert isinstance(error["message"], str) and error["message"].strip()
    assert len(error["message"]) < 300, len(error["message"])
    if code is not None:
        assert error["error"] == code
    return error


async def state_of(api, show: str = "jazz") -> tuple[int, int, dict]:
    snapshot = await api.compact(show)
    return snapshot["version"], snapshot["available"], snapshot["rows"]


async def shows_of(api) -> list[dict]:
    return body_of(await api.get("/shows"))


def show_body(**overrides: object) -> dict:
    body = {"id": "opera", "name": "Opera", "starts_at": "2027-06-12T20:00:00Z", "currency": "EUR",
            "layout": small_layout()}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not _MISSING}


_MISSING = object()


def with_layout(change) -> dict:
    """A copy of the small layout changed by `change(layout)`."""
    layout = small_layout()
    change(layout)
    return show_body(layout=layout)


def set_in(path: tuple, value: object):
    def change(layout: dict) -> None:
        target = layout
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


def drop(path: tuple):
    def change(layout: dict) -> None:
        target = layout
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
    return change


def grid_layout(rows: int, seats_per_row: int, extra_row: int = 0) -> dict:
    entries = [{"label": row_label(i), "seats": seats_per_row} for i in range(rows)]
    if extra_row:
        entries.append({"label": row_label(rows), "seats": extra_row})
    return {"sections": [{"name": "Hall", "price": 1000, "rows": entries}]}


async def create_jazz(api) -> None:
    """A second show with the small layout (A1-6, B1-6 in Stalls; BA1-4 in Balcony)."""
    created = await api.create_show("jazz")
    assert created.code == 201, created.body


async def open_hold(api, show: str = "jazz", payload: object | None = None) -> dict:
    response = await api.hold(show, payload if payload is not None else {"seats": ["A3", "A4"]})
    assert response.code == 201, response.body
    return body_of(response)


# -- 1. unknown shows ---------------------------------------------------------------------

PER_SHOW = [("GET", ""), ("GET", "/seats"), ("GET", "/events"), ("POST", "/book"), ("POST", "/holds")]
UNKNOWN_SHOW_IDS = ["nope", "MAIN", "Jazz", "a" * 65, "jazz_1", "jazz.1", "j%C3%A9zz", "%20main", "main%00",
                    "..", "main%2Fseats"]


@pytest.mark.req("shows")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("method", "suffix"), PER_SHOW, ids=[f"{m}{s or '/'}" for m, s in PER_SHOW])
@pytest.mark.parametrize("show_id", UNKNOWN_SHOW_IDS, ids=[f"id{i}" for i in range(len(UNKNOWN_SHOW_IDS))])
@pytest.mark.gen_test
async def test_an_unknown_or_malformed_show_id_is_404_on_every_per_show_endpoint(api, method, suffix,
                                                                                  show_id):
    await create_jazz(api)
    before = (await state_of(api, "main"), await state_of(api, "jazz"))

    response = await api.request(method, f"/shows/{show_id}{suffix}", b"{}" if method == "POST" else None, JSON)

    assert_refused(response, 404, "not_found")
    assert (await state_of(api, "main"), await state_of(api, "jazz")) == before


# -- 2. POST /shows: who may create ---------------------------------------------------------

@pytest.mark.req("shows")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("config", [Config(db=":memory:", seats=50, row_size=10, admin_token="")])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Bearer admin-secret"},
                                     {"Authorization": "Basic YWRtaW46c2VjcmV0"}],
                         ids=["no-header", "empty-bearer", "a-guess", "basic"])
@pytest.mark.gen_test
async def test_without_a_configured_admin_token_creating_a_show_is_403(api, config, headers):
    response = await api.request("POST", "/shows", json.dumps(show_body()), {**JSON, **headers})

    assert_refused(response, 403, "forbidden")
    assert [show["id"] for show in await shows_of(api)] == ["main"]


@pytest.mark.req("shows")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("authorization", "status"), [
    (None, 401), ("Bearer", 401), ("Bearer    ", 401), ("Basic YWRtaW4tc2VjcmV0", 401), ("admin-secret", 401),
    ("Token admin-secret", 401), ("Bearer wrong", 403), ("Bearer admin-secre", 403), ("Bearer admin-secrett", 403),
    ("Bearer ADMIN-SECRET", 403), ("Bearer admin-secret extra", 403),
], ids=["missing", "bearer-without-token", "bearer-blank", "basic", "bare-token", "other-scheme", "wrong",
        "prefix", "longer", "other-case", "two-words"])
@pytest.mark.gen_test
async def test_creating_a_show_without_the_right_bearer_token_is_refused(api, authorization, status):
    headers = dict(JSON) if authorization is None else {**JSON, "Authorization": authorization}

    response = await api.request("POST", "/shows", json.dumps(show_body()), headers)

    assert_refused(response, status, "unauthorized" if status == 401 else "forbidden")
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert [show["id"] for show in await shows_of(api)] == ["main"]


@pytest.mark.req("shows")
@pytest.mark.gen_test
async def test_the_bearer_scheme_name_is_case_insensitive_for_the_admin(api):
    response = await api.request("POST", "/shows", json.dumps(show_body()),
                                 {**JSON, "Authorization": f"bearer {ADMIN_TOKEN}"})

    assert response.code == 201, response.body


@pytest.mark.req("shows")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("show_id", ["main", "jazz"])
@pytest.mark.gen_test
async def test_creating_a_show_whose_id_exists_is_409_and_keeps_the_original(api, show_id):
    await create_jazz(api)
    before = await shows_of(api)
    detail = (await api.get(f"/shows/{show_id}")).body

    response = await api.post("/shows", show_body(id=show_id, name="Impostor", layout=grid_layout(1, 3)),
                              token=ADMIN_TOKEN)

    assert_refused(response, 409, "show_exists")
    assert await shows_of(api) == before
    assert (await api.get(f"/shows/{show_id}")).body == detail


# -- 2. POST /shows: what a show may be ------------------------------------------------------

def sections(*entries: dict) -> dict:
    return show_body(layout={"sections": list(entries)})


def section(name: str = "Hall", price: object = 1000, rows: object = _MISSING, **extra: object) -> dict:
    entry = {"name": name, "price": price, "rows": [{"label": "A", "seats": 4}] if rows is _MISSING else rows}
    entry.update(extra)
    return entry


BAD_SHOWS = [
    # body shape
    ("body-array", b"[]"),
    ("body-null", b"null"),
    ("body-string", b'"opera"'),
    ("body-broken-json", b'{"id": "opera", '),
    ("body-trailing-garbage", json.dumps(show_body()).encode() + b" x"),
    ("body-duplicate-key", b'{"id": "opera", "id": "other", "name": "O", "layout": {"sections": []}}'),
    ("body-nan-price", json.dumps(with_layout(set_in(("sections", 0, "price"), float("nan")))).encode()),
    ("body-invalid-utf8", b'{"id": "opera", "name": "\xff", "layout": {}}'),
    ("body-empty", b""),
    ("body-nested-a-million-deep", b"[" * 1_000_000 + b"]" * 1_000_000),
    ("seats-with-5000-digits", json.dumps(show_body()).replace('"seats": 6', '"seats": 1' + "0" * 5000).encode()),
    ("body-empty-object", b"{}"),
    # top-level fields
    ("missing-id", show_body(id=_MISSING)),
    ("missing-name", show_body(name=_MISSING)),
    ("missing-layout", show_body(layout=_MISSING)),
    ("unknown-top-field", show_body(venue="Hall")),
    ("id-uppercase", show_body(id="Opera")),
    ("id-underscore", show_body(id="opera_1")),
    ("id-space", show_body(id="opera 1")),
    ("id-slash", show_body(id="opera/1")),
    ("id-dot", show_body(id="opera.1")),
    ("id-non-ascii", show_body(id="opéra")),
    ("id-empty", show_body(id="")),
    ("id-65-chars", show_body(id="o" * 65)),
    ("id-number", show_body(id=5)),
    ("id-null", show_body(id=None)),
    ("id-list", show_body(id=["opera"])),
    ("id-trailing-newline", show_body(id="opera\n")),
    ("name-empty", show_body(name="")),
    ("name-blank", show_body(name="   ")),
    ("name-201-chars", show_body(name="n" * 201)),
    ("name-number", show_body(name=5)),
    ("name-control-char", show_body(name="Opera\nnight")),
    ("name-lone-surrogate", show_body(name="\ud800")),
    ("starts-at-without-zone", show_body(starts_at="2027-06-12T20:00:00")),
    ("starts-at-date-only", show_body(starts_at="2027-06-12")),
    ("starts-at-words", show_body(starts_at="tomorrow at eight")),
    ("starts-at-number", show_body(starts_at=1_812_830_400)),
    ("starts-at-bad-month", show_body(starts_at="2027-13-12T20:00:00Z")),
    ("starts-at-empty", show_body(starts_at="")),
    ("starts-at-too-long", show_body(starts_at="2027-06-12T20:00:00.000000000000000000000000Z")),
    ("currency-lowercase", show_body(currency="eur")),
    ("currency-four-letters", show_body(currency="EURO")),
    ("currency-digit", show_body(currency="E1R")),
    ("currency-empty", show_body(currency="")),
    ("currency-number", show_body(currency=978)),
    ("currency-symbol", show_body(currency="€€€")),
    ("currency-null", show_body(currency=None)),
    # the layout object
    ("layout-list", show_body(layout=[])),
    ("layout-string", show_body(layout="A1-A10")),
    ("layout-null", show_body(layout=None)),
    ("layout-empty-object", show_body(layout={})),
    ("layout-unknown-field", with_layout(set_in(("stage",), "north"))),
    ("sections-empty", sections()),
    ("sections-object", show_body(layout={"sections": {"name": "Hall"}})),
    ("section-not-object", show_body(layout={"sections": ["Hall"]})),
    ("section-unknown-field", sections(section(colour="red"))),
    ("section-missing-name", with_layout(drop(("sections", 0, "name")))),
    ("section-missing-price", with_layout(drop(("sections", 0, "price")))),
    ("section-missing-rows", with_layout(drop(("sections", 0, "rows")))),
    ("section-name-empty", sections(section(name=""))),
    ("section-name-blank", sections(section(name="  "))),
    ("section-name-101-chars", sections(section(name="s" * 101))),
    ("section-name-number", sections(section(name=1))),
    ("section-name-duplicate", sections(section(name="Hall"), section(name="Hall", rows=[{"label": "B",
                                                                                            "seats": 2}]))),
    ("section-name-lone-surrogate", sections(section(name="\ud800"))),
    ("price-string", sections(section(price="4500"))),
    ("price-float", sections(section(price=45.5))),
    ("price-whole-float", sections(section(price=4500.0))),
    ("price-negative", sections(section(price=-1))),
    ("price-bool", sections(section(price=True))),
    ("price-null", sections(section(price=None))),
    ("rows-empty", sections(section(rows=[]))),
    ("rows-object", sections(section(rows={"label": "A", "seats": 4}))),
    ("row-not-object", sections(section(rows=["A"]))),
    ("row-unknown-field", sections(section(rows=[{"label": "A", "seats": 4, "note": "view"}]))),
    ("row-missing-label", sections(section(rows=[{"seats": 4}]))),
    ("row-missing-seats", sections(section(rows=[{"label": "A"}]))),
    ("label-duplicate", sections(section(rows=[{"label": "A", "seats": 4}, {"label": "A", "seats": 4}]))),
    ("label-duplicate-other-case", sections(section(rows=[{"label": "A", "seats": 4}, {"label": "a", "seats": 4}]))),
    ("label-duplicate-across-sections", sections(section(name="S1"), section(name="S2"))),
    ("label-with-digit", sections(section(rows=[{"label": "A1", "seats": 4}]))),
    ("label-nine-letters", sections(section(rows=[{"label": "ABCDEFGHI", "seats": 4}]))),
    ("label-empty", sections(section(rows=[{"label": "", "seats": 4}]))),
    ("label-space", sections(section(rows=[{"label": " A", "seats": 4}]))),
    ("label-non-ascii", sections(section(rows=[{"label": "Ä", "seats": 4}]))),
    ("label-number", sections(section(rows=[{"label": 1, "seats": 4}]))),
    ("label-dash", sections(section(rows=[{"label": "A-B", "seats": 4}]))),
    ("seats-zero", sections(section(rows=[{"label": "A", "seats": 0}]))),
    ("seats-negative", sections(section(rows=[{"label": "A", "seats": -3}]))),
    ("seats-float", sections(section(rows=[{"label": "A", "seats": 4.5}]))),
    ("seats-whole-float", sections(section(rows=[{"label": "A", "seats": 4.0}]))),
    ("seats-string", sections(section(rows=[{"label": "A", "seats": "4"}]))),
    ("seats-bool", sections(section(rows=[{"label": "A", "seats": True}]))),
    ("seats-null", sections(section(rows=[{"label": "A", "seats": None}]))),
    ("seats-huge", sections(section(rows=[{"label": "A", "seats": 10 ** 30}]))),
    ("one-row-over-100000", show_body(layout=grid_layout(1, 100_001))),
    ("rows-adding-up-over-100000", show_body(layout=grid_layout(2, 50_000, extra_row=1))),
    ("accessible-zero", sections(section(rows=[{"label": "A", "seats": 4, "accessible": [0]}]))),
    ("accessible-past-the-row", sections(section(rows=[{"label": "A", "seats": 4, "accessible": [5]}]))),
    ("accessible-negative", sections(section(rows=[{"label": "A", "seats": 4, "accessible": [-1]}]))),
    ("accessible-twice", sections(section(rows=[{"label": "A", "seats": 4, "accessible": [1, 1]}]))),
    ("accessible-string", sections(section(rows=[{"label": "A", "seats": 4, "accessible": "1"}]))),
    ("accessible-bool", sections(section(rows=[{"label": "A", "seats": 4, "accessible": [True]}]))),
    ("accessible-float", sections(section(rows=[{"label": "A", "seats": 4, "accessible": [1.0]}]))),
    ("accessible-null", sections(section(rows=[{"label": "A", "seats": 4, "accessible": None}]))),
    ("accessible-nested", sections(section(rows=[{"label": "A", "seats": 4, "accessible": [[1]]}]))),
]


@pytest.mark.req("layouts")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("body", [case[1] for case in BAD_SHOWS], ids=[case[0] for case in BAD_SHOWS])
@pytest.mark.gen_test
async def test_a_malformed_show_is_400_and_creates_nothing(api, body):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    before = await shows_of(api)

    response = await api.request("POST", "/shows", raw, ADMIN)

    assert_refused(response, 400, "bad_request")
    assert await shows_of(api) == before
    assert (await api.get("/shows/opera")).code == 404


@pytest.mark.req("layouts")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("content_type", "status"), [
    (None, 415), ("text/plain", 415), ("application/x-www-form-urlencoded", 415),
    ("multipart/form-data; boundary=x", 415), ("application/jsonp", 415), ("text/json", 415),
])
@pytest.mark.gen_test
async def test_a_show_sent_as_anything_but_json_is_415(api, content_type, status):
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if content_type is not None:
        headers["Content-Type"] = content_type

    response = await api.request("POST", "/shows", json.dumps(show_body()), headers)

    assert_refused(response, status, "unsupported_media_type")
    assert [show["id"] for show in await shows_of(api)] == ["main"]


@pytest.mark.req("layouts")
@pytest.mark.req("bad-input")
@pytest.mark.gen_test(timeout=30)
async def test_a_show_body_past_the_size_limit_is_413(api):
    padding = "x" * (9 * 1024 * 1024)
    body = json.dumps(show_body(name=padding))

    response = await api.request("POST", "/shows", body, ADMIN)

    assert_refused(response, 413, "payload_too_large")
    assert [show["id"] for show in await shows_of(api)] == ["main"]


@pytest.mark.req("layouts")
@pytest.mark.gen_test(timeout=30)
async def test_a_show_of_exactly_100000_seats_is_created_and_one_seat_more_is_refused(api):
    too_big = await api.post("/shows", show_body(id="too-big", layout=grid_layout(1000, 100, extra_row=1)),
                             token=ADMIN_TOKEN)
    created = await api.post("/shows", show_body(id="arena", layout=grid_layout(1000, 100)), token=ADMIN_TOKEN)
    snapshot = await api.compact("arena")

    assert_refused(too_big, 400, "bad_request")
    assert created.code == 201, created.body[:300]
    assert (body_of(created)["total"], snapshot["total"], snapshot["available"]) == (100_000, 100_000, 100_000)
    assert len(snapshot["rows"]) == 1000
    assert (await api.get("/shows/too-big")).code == 404


@pytest.mark.req("layouts")
@pytest.mark.req("bad-input")
@pytest.mark.gen_test
async def test_a_layout_with_prices_too_large_to_store_is_refused_or_sold_cleanly(api):
    # A price that fits a JSON integer but whose basket total (10 seats) passes 2**63.
    price = 10 ** 18
    created = await api.post("/shows", show_body(layout={"sections": [
        {"name": "Hall", "price": price, "rows": [{"label": "A", "seats": 10}]}]}), token=ADMIN_TOKEN)

    if created.code == 400:
        assert_refused(created, 400, "bad_request")
        return
    assert created.code == 201, created.body
    held = await api.hold("opera", {"quantity": 10})
    assert held.code == 201, held.body
    assert body_of(held)["total_price"] == 10 * price


# -- 3. POST /shows/{show}/holds and POST /holds/{id}/seats: bad bodies ------------------------------

BAD_SEAT_REQUESTS = [
    ("quantity-zero", {"quantity": 0}),
    ("quantity-negative", {"quantity": -2}),
    ("quantity-over-max", {"quantity": 11}),
    ("quantity-huge", {"quantity": 10 ** 30}),
    ("quantity-string", {"quantity": "2"}),
    ("quantity-float", {"quantity": 2.0}),
    ("quantity-bool", {"quantity": True}),
    ("quantity-null", {"quantity": None}),
    ("quantity-list", {"quantity": [2]}),
    ("seats-unknown-row", {"seats": ["Z1"]}),
    ("seats-past-row-end", {"seats": ["A7"]}),
    ("seats-number-zero", {"seats": ["A0"]}),
    ("seats-leading-zero", {"seats": ["A01"]}),
    ("seats-lowercase", {"seats": ["a1"]}),
    ("seats-with-space", {"seats": [" A1"]}),
    ("seats-other-show-only", {"seats": ["E10"]}),
    ("seats-duplicate", {"seats": ["A1", "A1"]}),
    ("seats-one-unknown-among-good", {"seats": ["A1", "Q9"]}),
    ("seats-empty", {"seats": []}),
    ("seats-string", {"seats": "A1"}),
    ("seats-object", {"seats": {"A1": True}}),
    ("seats-null", {"seats": None}),
    ("seats-number", {"seats": [1]}),
    ("seats-nested", {"seats": [["A1"]]}),
    ("seats-over-max", {"seats": ["A1", "A2", "A5", "A6", "B1", "B2", "B3", "B4", "B5", "B6", "BA1"]}),
    ("seats-and-quantity", {"seats": ["A1"], "quantity": 1}),
    ("section-unknown", {"section": "Gods"}),
    ("section-other-case", {"section": "stalls"}),
    ("section-number", {"section": 0}),
    ("section-null", {"section": None}),
    ("section-with-seats", {"section": "Stalls", "seats": ["A1"]}),
    ("unknown-field", {"qty": 1}),
    ("unknown-field-beside-good-ones", {"quantity": 1, "hold_seconds": 86400}),
    ("body-array", [{"quantity": 1}]),
    ("body-string", "A1"),
    ("body-null", None),
]
RAW_BAD_SEAT_REQUESTS = [
    ("broken-json", b'{"quantity": ', JSON, 400),
    ("duplicate-key", b'{"quantity": 1, "quantity": 9}', JSON, 400),
    ("nan", b'{"quantity": NaN}', JSON, 400),
    ("infinity", b'{"quantity": Infinity}', JSON, 400),
    ("quantity-5000-digits", b'{"quantity": 1' + b"0" * 5000 + b"}", JSON, 400),
    ("invalid-utf8", b'{"seats": ["\xffA1"]}', JSON, 400),
    ("deep-nesting", b"[" * 50_000 + b"]" * 50_000, JSON, 413),
    ("body-20kb", b'{"quantity": 1, "pad": "' + b"x" * 20_000 + b'"}', JSON, 413),
    ("text-plain", b'{"quantity": 1}', {"Content-Type": "text/plain"}, 415),
    ("form", b"quantity=1", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ("no-content-type", b'{"quantity": 1}', {}, 415),
    ("key-empty", b"{}", {**JSON, "Idempotency-Key": ""}, 400),
    ("key-256-chars", b"{}", {**JSON, "Idempotency-Key": "k" * 256}, 400),
    ("key-tab", b"{}", {**JSON, "Idempotency-Key": "a\tb"}, 400),
    ("key-non-ascii", b"{}", {**JSON, "Idempotency-Key": "cl\xe9"}, 400),
]
ALL_BAD_SEAT_REQUESTS = ([(name, json.dumps(body).encode(), JSON, 400) for name, body in BAD_SEAT_REQUESTS]
                         + RAW_BAD_SEAT_REQUESTS)


@pytest.mark.req("holds")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("body", "headers", "status"), [case[1:] for case in ALL_BAD_SEAT_REQUESTS],
                         ids=[case[0] for case in ALL_BAD_SEAT_REQUESTS])
@pytest.mark.gen_test
async def test_a_malformed_hold_is_refused_and_holds_nothing(api, body, headers, status):
    await create_jazz(api)
    await open_hold(api)
    before = await state_of(api)

    response = await api.request("POST", "/shows/jazz/holds", body, headers)

    assert_refused(response, status)
    assert await state_of(api) == before


@pytest.mark.req("holds")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("body", "headers", "status"), [case[1:] for case in ALL_BAD_SEAT_REQUESTS],
                         ids=[case[0] for case in ALL_BAD_SEAT_REQUESTS])
@pytest.mark.gen_test
async def test_a_malformed_addition_to_a_basket_is_refused_and_changes_nothing(api, body, headers, status):
    await create_jazz(api)
    hold = await open_hold(api)
    before = await state_of(api)
    basket = body_of(await api.get(f"/holds/{hold['hold_id']}", token=hold["token"]))

    response = await api.request("POST", f"/holds/{hold['hold_id']}/seats", body,
                                 {**headers, "Authorization": f"Bearer {hold['token']}"})

    assert_refused(response, status)
    assert await state_of(api) == before
    assert body_of(await api.get(f"/holds/{hold['hold_id']}", token=hold["token"])) == basket


@pytest.mark.req("holds")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("addition", [{"quantity": 1}, {"seats": ["BA1"]}, {"seats": ["A3", "BA1"]},
                                      {"quantity": 1, "section": "Balcony"}],
                         ids=["quantity", "seat", "owned-seat-plus-one", "section"])
@pytest.mark.gen_test
async def test_a_full_basket_of_ten_refuses_one_more_seat_with_400(api, addition):
    await create_jazz(api)
    hold = await open_hold(api, payload={"seats": ["A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2", "B3", "B4"]})
    before = await state_of(api)

    response = await api.post(f"/holds/{hold['hold_id']}/seats", addition, token=hold["token"])

    assert_refused(response, 400, "bad_request")
    assert await state_of(api) == before
    basket = body_of(await api.get(f"/holds/{hold['hold_id']}", token=hold["token"]))
    assert len(basket["seats"]) == 10


@pytest.mark.req("holds")
@pytest.mark.gen_test
async def test_adding_seats_already_in_the_basket_to_a_full_basket_changes_nothing(api):
    await create_jazz(api)
    seats = ["A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2", "B3", "B4"]
    hold = await open_hold(api, payload={"seats": seats})
    before = await state_of(api)

    response = await api.post(f"/holds/{hold['hold_id']}/seats", {"seats": ["A1"]}, token=hold["token"])

    assert response.code == 200, response.body
    assert body_of(response)["seats"] == seats
    assert await state_of(api) == before


@pytest.mark.req("holds")
@pytest.mark.req("bad-input")
@pytest.mark.gen_test
async def test_a_hold_for_more_than_the_section_has_is_409_sold_out_and_holds_nothing(api):
    await create_jazz(api)
    before = await state_of(api)

    response = await api.hold("jazz", {"quantity": 5, "section": "Balcony"})

    assert response.code == 409, response.body
    assert body_of(response)["error"] == "sold_out"
    assert await state_of(api) == before


# -- 4. /holds/{id}: authorization and unknown holds -------------------------------------------

def hold_requests(hold_id: str) -> list[tuple[str, str, bytes | None]]:
    confirm = json.dumps({"name": "Ada", "email": "ada@example.com"}).encode()
    return [("GET", f"/holds/{hold_id}", None), ("DELETE", f"/holds/{hold_id}", None),
            ("POST", f"/holds/{hold_id}/seats", b'{"seats": ["BA1"]}'),
            ("DELETE", f"/holds/{hold_id}/seats/A3", None), ("POST", f"/holds/{hold_id}/confirm", confirm)]


HOLD_ENDPOINTS = ["get", "release", "add-seats", "remove-seat", "confirm"]


@pytest.mark.req("holds")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("endpoint", range(5), ids=HOLD_ENDPOINTS)
@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic dG9rZW4=", "token-without-scheme"],
                         ids=["missing", "empty-bearer", "basic", "no-scheme"])
@pytest.mark.gen_test
async def test_a_hold_endpoint_without_a_bearer_token_is_401_and_changes_nothing(api, endpoint,
                                                                                  authorization):
    await create_jazz(api)
    hold = await open_hold(api)
    before = await state_of(api)
    method, path, body = hold_requests(hold["hold_id"])[endpoint]
    headers = dict(JSON) if authorization is None else {**JSON, "Authorization": authorization}

    response = await api.request(method, path, body, headers)

    assert_refused(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert await state_of(api) == before
    assert (await api.get(f"/holds/{hold['hold_id']}", token=hold["token"])).code == 200


@pytest.mark.req("holds")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("endpoint", range(5), ids=HOLD_ENDPOINTS)
@pytest.mark.parametrize("whose", ["made-up", "same-show-other-hold", "other-show-hold", "booking-token",
                                   "hold-id-as-token"])
@pytest.mark.gen_test
async def test_a_hold_endpoint_with_someone_elses_token_is_403_and_changes_nothing(api, endpoint, whose):
    await create_jazz(api)
    hold = await open_hold(api)
    tokens = {
        "made-up": lambda: "not-the-token",
        "same-show-other-hold": lambda: open_hold(api, payload={"seats": ["B1"]}),
        "other-show-hold": lambda: open_hold(api, "main", {"seats": ["A3"]}),
        "booking-token": lambda: api.post("/shows/jazz/book", {"seats": ["B6"]}),
        "hold-id-as-token": lambda: hold["hold_id"],
    }
    other = tokens[whose]()
    if not isinstance(other, str):
        other = await other
        other = other["token"] if isinstance(other, dict) else body_of(other)["token"]
    before = (await state_of(api), await state_of(api, "main"))
    method, path, body = hold_requests(hold["hold_id"])[endpoint]

    response = await api.request(method, path, body, {**JSON, "Authorization": f"Bearer {other}"})

    assert_refused(response, 403, "forbidden")
    assert (await state_of(api), await state_of(api, "main")) == before
    assert body_of(await api.get(f"/holds/{hold['hold_id']}", token=hold["token"]))["seats"] == ["A3", "A4"]


@pytest.mark.req("holds")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("endpoint", range(5), ids=HOLD_ENDPOINTS)
@pytest.mark.parametrize("hold_id", ["nope", "AAAAAAAAAAAAAAAA", "h" * 10_000, "%00", "..%2F.."],
                         ids=["made-up", "well-formed", "10k-chars", "nul", "dot-dot"])
@pytest.mark.gen_test
async def test_an_unknown_hold_is_404_with_a_short_message_on_every_hold_endpoint(api, endpoint, hold_id):
    await create_jazz(api)
    hold = await open_hold(api)
    before = await state_of(api)
    method, path, body = hold_requests(hold_id)[endpoint]

    response = await api.request(method, path, body, {**JSON, "Authorization": f"Bearer {hold['token']}"})

    assert_refused(response, 404, "not_found")
    assert await state_of(api) == before


@pytest.mark.req("holds")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("seat", ["B1", "BA1", "A7", "Z99", "a3", "A03", "S" * 10_000, "%00", "A3%20"],
                         ids=["free-seat", "other-section", "past-row-end", "unknown", "lowercase", "leading-zero",
                              "10k-chars", "nul", "trailing-space"])
@pytest.mark.gen_test
async def test_taking_a_seat_that_is_not_in_the_basket_out_of_it_is_404(api, seat):
    await create_jazz(api)
    hold = await open_hold(api)
    await api.post("/shows/jazz/book", {"seats": ["B1"]})
    before = await state_of(api)

    response = await api.delete(f"/holds/{hold['hold_id']}/seats/{seat}", token=hold["token"])

    assert_refused(response, 404, "not_found")
    assert await state_of(api) == before
    assert body_of(await api.get(f"/holds/{hold['hold_id']}", token=hold["token"]))["seats"] == ["A3", "A4"]


@pytest.mark.req("holds")
@pytest.mark.gen_test
async def test_a_seat_of_another_hold_cannot_be_taken_out_through_ours(api):
    await create_jazz(api)
    ours = await open_hold(api)
    theirs = await open_hold(api, payload={"seats": ["B2"]})
    before = await state_of(api)

    response = await api.delete(f"/holds/{ours['hold_id']}/seats/B2", token=ours["token"])

    assert_refused(response, 404, "not_found")
    assert await state_of(api) == before
    assert body_of(await api.get(f"/holds/{theirs['hold_id']}", token=theirs["token"]))["seats"] == ["B2"]


@pytest.mark.req("holds")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("ended_by", ["release", "confirm"])
@pytest.mark.parametrize("endpoint", range(5), ids=HOLD_ENDPOINTS)
@pytest.mark.gen_test
async def test_a_released_or_confirmed_hold_is_404_everywhere(api, ended_by, endpoint):
    await create_jazz(api)
    hold = await open_hold(api)
    if ended_by == "release":
        assert (await api.delete(f"/holds/{hold['hold_id']}", token=hold["token"])).code == 200
    else:
        assert (await api.confirm(hold)).code == 200
    before = await state_of(api)
    method, path, body = hold_requests(hold["hold_id"])[endpoint]

    response = await api.request(method, path, body, {**JSON, "Authorization": f"Bearer {hold['token']}"})

    assert_refused(response, 404, "not_found")
    assert await state_of(api) == before


@pytest.mark.req("hold-expiry")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize("swept", [True, False], ids=["swept", "not-yet-swept"])
@pytest.mark.gen_test
async def test_an_expired_hold_is_404_on_get_and_release_and_its_seats_are_free(api, clock, seat_server,
                                                                                 swept):
    await create_jazz(api)
    hold = await open_hold(api)
    clock.advance(600.5)
    if swept:
        seat_server.box_office.sweep()
        for sales in seat_server.box_office.shows.values():
            await sales.expire_due()

    got = await api.get(f"/holds/{hold['hold_id']}", token=hold["token"])
    released = await api.delete(f"/holds/{hold['hold_id']}", token=hold["token"])

    assert_refused(got, 404, "not_found")
    assert_refused(released, 404, "not_found")
    snapshot = await api.compact("jazz")
    assert snapshot["available"] == 16
    assert snapshot["rows"]["A"] == "ffffff"


@pytest.mark.req("hold-expiry")
@pytest.mark.gen_test
async def test_a_hold_is_still_open_one_second_before_its_expiry(api, clock):
    await create_jazz(api)
    hold = await open_hold(api)
    clock.advance(599)

    got = await api.get(f"/holds/{hold['hold_id']}", token=hold["token"])

    assert got.code == 200, got.body
    assert body_of(got)["expires_in"] == 1


@pytest.mark.req("hold-expiry")
@pytest.mark.req("bad-input")
@pytest.mark.gen_test
async def test_an_expired_basket_takes_no_seats_in_or_out(api, clock):
    await create_jazz(api)
    hold = await open_hold(api)
    clock.advance(601)

    added = await api.post(f"/holds/{hold['hold_id']}/seats", {"seats": ["BA1"]}, token=hold["token"])
    removed = await api.delete(f"/holds/{hold['hold_id']}/seats/A3", token=hold["token"])

    assert added.code in (404, 409), added.body
    assert removed.code in (404, 409), removed.body
    snapshot = await api.compact("jazz")
    assert (snapshot["available"], snapshot["rows"]["BA"]) == (16, "ffff")


# -- 5. POST /holds/{id}/confirm: the buyer ------------------------------------------------------

BAD_BUYERS = [
    ("empty-object", {}),
    ("name-missing", {"email": "ada@example.com"}),
    ("email-missing", {"name": "Ada"}),
    ("name-empty", {"name": "", "email": "ada@example.com"}),
    ("name-blank", {"name": "   ", "email": "ada@example.com"}),
    ("email-empty", {"name": "Ada", "email": ""}),
    ("email-blank", {"name": "Ada", "email": "  "}),
    ("name-201-chars", {"name": "n" * 201, "email": "ada@example.com"}),
    ("name-10k-chars", {"name": "n" * 10_000, "email": "ada@example.com"}),
    ("email-255-chars", {"name": "Ada", "email": "ada@" + "e" * 247 + ".com"}),
    ("email-local-part-65-chars", {"name": "Ada", "email": "a" * 65 + "@example.com"}),
    ("name-number", {"name": 42, "email": "ada@example.com"}),
    ("name-null", {"name": None, "email": "ada@example.com"}),
    ("name-list", {"name": ["Ada"], "email": "ada@example.com"}),
    ("name-object", {"name": {"first": "Ada"}, "email": "ada@example.com"}),
    ("email-number", {"name": "Ada", "email": 42}),
    ("email-list", {"name": "Ada", "email": ["ada@example.com"]}),
    ("email-null", {"name": "Ada", "email": None}),
    ("email-no-at", {"name": "Ada", "email": "ada.example.com"}),
    ("email-no-domain", {"name": "Ada", "email": "ada@"}),
    ("email-no-local-part", {"name": "Ada", "email": "@example.com"}),
    ("email-no-dot", {"name": "Ada", "email": "ada@example"}),
    ("email-two-ats", {"name": "Ada", "email": "ada@@example.com"}),
    ("email-space-inside", {"name": "Ada", "email": "ada lovelace@example.com"}),
    ("email-newline-header-injection", {"name": "Ada", "email": "ada@example.com\nBcc: all@example.com"}),
    ("email-nul", {"name": "Ada", "email": "ada\u0000@example.com"}),
    ("email-control-char", {"name": "Ada", "email": "ada\u0007@example.com"}),
    ("email-lone-surrogate", {"name": "Ada", "email": "\ud800@example.com"}),
    ("name-newline", {"name": "Ada\nLovelace", "email": "ada@example.com"}),
    ("name-nul", {"name": "Ada\u0000", "email": "ada@example.com"}),
    ("name-lone-surrogate", {"name": "Ada \udc00", "email": "ada@example.com"}),
    ("unknown-field", {"name": "Ada", "email": "ada@example.com", "phone": "123"}),
    ("body-array", [{"name": "Ada", "email": "ada@example.com"}]),
    ("body-null", None),
    ("body-string", "Ada <ada@example.com>"),
]
RAW_BAD_BUYERS = [
    ("broken-json", b'{"name": "Ada", ', JSON, 400),
    ("duplicate-key", b'{"name": "Ada", "email": "a@example.com", "email": "b@example.com"}', JSON, 400),
    ("invalid-utf8", b'{"name": "\xff", "email": "ada@example.com"}', JSON, 400),
    ("body-20kb", json.dumps({"name": "n" * 20_000, "email": "ada@example.com"}).encode(), JSON, 413),
    ("text-plain", b'{"name": "Ada", "email": "ada@example.com"}', {"Content-Type": "text/plain"}, 415),
    ("form", b"name=Ada&email=ada%40example.com", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ("empty-body", b"", JSON, 400),
]
ALL_BAD_BUYERS = [(name, json.dumps(body).encode(), JSON, 400) for name, body in BAD_BUYERS] + RAW_BAD_BUYERS


@pytest.mark.req("checkout")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("body", "headers", "status"), [case[1:] for case in ALL_BAD_BUYERS],
                         ids=[case[0] for case in ALL_BAD_BUYERS])
@pytest.mark.gen_test
async def test_a_malformed_confirm_is_refused_and_the_hold_stays_open(api, body, headers, status):
    await create_jazz(api)
    hold = await open_hold(api)
    before = await state_of(api)

    response = await api.request("POST", f"/holds/{hold['hold_id']}/confirm", body,
                                 {**headers, "Authorization": f"Bearer {hold['token']}"})

    assert_refused(response, status)
    assert await state_of(api) == before
    basket = await api.get(f"/holds/{hold['hold_id']}", token=hold["token"])
    assert basket.code == 200, basket.body
    assert body_of(basket)["seats"] == ["A3", "A4"]


@pytest.mark.req("checkout")
@pytest.mark.req("bad-input")
@pytest.mark.gen_test(timeout=30)
async def test_one_buyers_unstorable_email_fails_nobody_elses_booking(api):
    hold = await open_hold(api, "main", {"seats": ["A1"]})
    headers = {**JSON, "Authorization": f"Bearer {hold['token']}"}
    bad_confirm = api.request("POST", f"/holds/{hold['hold_id']}/confirm",
                              json.dumps({"name": "Mallory", "email": "\ud800@example.com"}), headers)

    bad, *others = await asyncio.gather(bad_confirm, *(api.book({"quantity": 1}) for _ in range(5)))

    assert bad.code == 400, bad.body
    assert [r.code for r in others] == [200] * 5, [r.body for r in others]
    assert (await api.compact("main"))["available"] == 50 - 1 - 5


@pytest.mark.req("checkout")
@pytest.mark.parametrize(("name", "email"), [("n" * 200, "ada@example.com"), ("Ada", "a" * 64 + "@example.com"),
                                             ("Ada", "ada@" + "e" * 246 + ".com"), ("  Ada  ", " ada@example.com ")],
                         ids=["name-200-chars", "local-part-64", "email-254-chars", "padded-with-spaces"])
@pytest.mark.gen_test
async def test_a_buyer_at_the_length_limits_may_confirm(api, name, email):
    await create_jazz(api)
    hold = await open_hold(api)

    response = await api.confirm(hold, name=name, email=email)

    assert response.code == 200, response.body


@pytest.mark.req("checkout")
@pytest.mark.gen_test
async def test_an_empty_basket_cannot_be_confirmed_and_stays_open(api):
    await create_jazz(api)
    hold = await open_hold(api, payload={"seats": ["A3"]})
    await api.delete(f"/holds/{hold['hold_id']}/seats/A3", token=hold["token"])
    before = await state_of(api)

    response = await api.confirm(hold)

    assert response.code in (400, 409), response.body
    assert await state_of(api) == before
    assert (await api.get(f"/holds/{hold['hold_id']}", token=hold["token"])).code == 200


# -- 6. absurd sizes -------------------------------------------------------------------------------

@pytest.mark.req("bad-input")
@pytest.mark.parametrize("endpoint", ["book", "hold", "add-seats", "confirm", "release", "remove-seat"])
@pytest.mark.gen_test
async def test_a_20kb_body_is_413_on_every_part2_command(api, endpoint):
    await create_jazz(api)
    hold = await open_hold(api)
    before = await state_of(api)
    pad = b'{"pad": "' + b"x" * 20_000 + b'"}'
    method, path = {
        "book": ("POST", "/shows/jazz/book"), "hold": ("POST", "/shows/jazz/holds"),
        "add-seats": ("POST", f"/holds/{hold['hold_id']}/seats"),
        "confirm": ("POST", f"/holds/{hold['hold_id']}/confirm"),
        "release": ("DELETE", f"/holds/{hold['hold_id']}"),
        "remove-seat": ("DELETE", f"/holds/{hold['hold_id']}/seats/A3"),
    }[endpoint]

    response = await api.request(method, path, pad, {**JSON, "Authorization": f"Bearer {hold['token']}"})

    assert_refused(response, 413, "payload_too_large")
    assert await state_of(api) == before
    assert (await api.get(f"/holds/{hold['hold_id']}", token=hold["token"])).code == 200


@pytest.mark.req("bad-input")
@pytest.mark.parametrize("path", ["/shows/jazz/holds", "/shows/jazz/book"])
@pytest.mark.gen_test
async def test_a_chunked_body_past_the_limit_is_413(api, path):
    await create_jazz(api)
    before = await state_of(api)

    async def produce(write) -> None:
        await write(b'{"quantity": 1, "pad": "')
        for _ in range(40):
            await write(b"x" * 1000)
        await write(b'"}')

    response = await api.client.fetch(api.base_url + path, method="POST", body_producer=produce, headers=JSON,
                                      raise_error=False, request_timeout=30)

    assert_refused(response, 413, "payload_too_large")
    assert await state_of(api) == before


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/shows/" + "s" * 10_000), ("GET", "/shows/" + "s" * 10_000 + "/seats"),
    ("POST", "/shows/" + "s" * 10_000 + "/holds"), ("POST", "/shows/" + "s" * 10_000 + "/book"),
    ("DELETE", "/bookings/" + "b" * 10_000), ("GET", "/holds/" + "h" * 10_000),
    ("GET", "/" + "x" * 10_000), ("GET", "/shows/main/" + "x" * 10_000),
], ids=["show", "show-seats", "show-holds", "show-book", "booking", "hold", "root", "under-show"])
@pytest.mark.gen_test
async def test_a_10k_character_id_in_the_path_is_404_with_a_short_message(api, method, path):
    before = await state_of(api, "main")

    response = await api.request(method, path, b"{}" if method == "POST" else None,
                                 {**JSON, "Authorization": "Bearer whatever"})

    assert_refused(response, 404, "not_found")
    assert await state_of(api, "main") == before


# -- 9. what else a hostile client tries -----------------------------------------------------------

@pytest.mark.req("bad-input")
@pytest.mark.parametrize("endpoint", ["create-show", "book", "hold", "add-seats", "confirm", "release",
                                      "remove-seat"])
@pytest.mark.parametrize("origin", [CROSS_SITE, "null", "http://127.0.0.1.evil.example"],
                         ids=["other-site", "null", "lookalike"])
@pytest.mark.gen_test
async def test_a_part2_command_from_another_site_is_403_forbidden_origin(api, endpoint, origin):
    await create_jazz(api)
    hold = await open_hold(api)
    before = (await state_of(api), await shows_of(api))
    confirm = json.dumps({"name": "Ada", "email": "ada@example.com"}).encode()
    method, path, body, token = {
        "create-show": ("POST", "/shows", json.dumps(show_body()).encode(), ADMIN_TOKEN),
        "book": ("POST", "/shows/jazz/book", b"{}", None),
        "hold": ("POST", "/shows/jazz/holds", b"{}", None),
        "add-seats": ("POST", f"/holds/{hold['hold_id']}/seats", b'{"quantity": 1}', hold["token"]),
        "confirm": ("POST", f"/holds/{hold['hold_id']}/confirm", confirm, hold["token"]),
        "release": ("DELETE", f"/holds/{hold['hold_id']}", None, hold["token"]),
        "remove-seat": ("DELETE", f"/holds/{hold['hold_id']}/seats/A3", None, hold["token"]),
    }[endpoint]
    headers = {**JSON, "Origin": origin}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"

    response = await api.request(method, path, body, headers)

    assert_refused(response, 403, "forbidden_origin")
    assert (await state_of(api), await shows_of(api)) == before


@pytest.mark.req("bad-input")
@pytest.mark.gen_test
async def test_the_servers_own_origin_may_hold_and_confirm(api, base_url):
    await create_jazz(api)
    held = await api.hold("jazz", {"quantity": 2}, headers={"Origin": base_url})
    hold = body_of(held)
    confirmed = await api.confirm(hold, headers={"Origin": base_url})

    assert (held.code, confirmed.code) == (201, 200), (held.body, confirmed.body)


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/shows", {"GET", "POST"}), ("DELETE", "/shows", {"GET", "POST"}),
    ("POST", "/shows/jazz", {"GET"}), ("PUT", "/shows/jazz", {"GET"}), ("DELETE", "/shows/jazz", {"GET"}),
    ("POST", "/shows/jazz/seats", {"GET"}), ("POST", "/shows/jazz/events", {"GET"}),
    ("GET", "/shows/jazz/book", {"POST"}), ("PUT", "/shows/jazz/book", {"POST"}),
    ("GET", "/shows/jazz/holds", {"POST"}), ("DELETE", "/shows/jazz/holds", {"POST"}),
    ("PATCH", "/shows/jazz/holds", {"POST"}),
    ("POST", "/holds/HOLD", {"GET", "DELETE"}), ("PUT", "/holds/HOLD", {"GET", "DELETE"}),
    ("GET", "/holds/HOLD/seats", {"POST"}), ("DELETE", "/holds/HOLD/seats", {"POST"}),
    ("GET", "/holds/HOLD/seats/A3", {"DELETE"}), ("POST", "/holds/HOLD/seats/A3", {"DELETE"}),
    ("GET", "/holds/HOLD/confirm", {"POST"}), ("DELETE", "/holds/HOLD/confirm", {"POST"}),
])
@pytest.mark.gen_test
async def test_a_method_an_endpoint_does_not_take_is_405_with_allow(api, method, path, allow):
    await create_jazz(api)
    hold = await open_hold(api)
    before = await state_of(api)

    response = await api.request(method, path.replace("HOLD", hold["hold_id"]),
                                 b"{}" if method in ("POST", "PUT", "PATCH") else None,
                                 {**JSON, "Authorization": f"Bearer {hold['token']}"})

    assert_refused(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= allow
    assert await state_of(api) == before
    assert (await api.get(f"/holds/{hold['hold_id']}", token=hold["token"])).code == 200


@pytest.mark.req("bad-input")
@pytest.mark.parametrize("path", ["/shows", "/shows/jazz", "/shows/jazz/seats"])
@pytest.mark.gen_test
async def test_head_on_a_readable_show_resource_answers_like_get_without_a_body(api, path):
    await create_jazz(api)
    got = await api.request("GET", path)

    head = await api.request("HEAD", path)

    assert head.code == 200, head.code
    assert head.body == b""
    assert head.headers["Content-Type"] == got.headers["Content-Type"]


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/shows/"), ("POST", "/shows/"), ("GET", "/shows/jazz/"), ("GET", "/shows/jazz/seats/"),
    ("POST", "/shows/jazz/holds/"), ("POST", "/shows/jazz/book/"), ("GET", "/holds/HOLD/"),
    ("POST", "/holds/HOLD/seats/"), ("POST", "/holds/HOLD/confirm/"), ("DELETE", "/holds/HOLD/seats/A3/"),
    ("GET", "/shows//seats"), ("POST", "/holds//confirm"), ("GET", "/holds/"),
])
@pytest.mark.gen_test
async def test_trailing_or_doubled_slashes_are_404_and_change_nothing(api, method, path):
    await create_jazz(api)
    hold = await open_hold(api)
    before = (await state_of(api), await shows_of(api))
    body = json.dumps({"name": "Ada", "email": "ada@example.com"} if "confirm" in path else {}).encode()
    headers = {**JSON, "Authorization": f"Bearer {hold['token'] if 'HOLD' in path else ADMIN_TOKEN}"}

    response = await api.request(method, path.replace("HOLD", hold["hold_id"]),
                                 body if method == "POST" else None, headers)

    assert_refused(response, 404, "not_found")
    assert (await state_of(api), await shows_of(api)) == before
    assert (await api.get(f"/holds/{hold['hold_id']}", token=hold["token"])).code == 200


@pytest.mark.req("bad-input")
@pytest.mark.gen_test
async def test_a_query_string_does_not_change_what_a_hold_takes(api):
    await create_jazz(api)
    response = await api.request("POST", "/shows/jazz/holds?quantity=5&section=Balcony&hold_seconds=99999",
                                 b"{}", JSON)

    assert response.code == 201, response.body
    assert len(body_of(response)["seats"]) == 1
    assert body_of(response)["expires_in"] == 600
    assert (await api.compact("jazz"))["available"] == 15


@pytest.mark.req("bad-input")
@pytest.mark.gen_test
async def test_a_hold_token_never_works_as_a_booking_token_nor_the_other_way(api):
    await create_jazz(api)
    hold = await open_hold(api)
    booked = body_of(await api.post("/shows/jazz/book", {"seats": ["B6"]}))
    before = await state_of(api)

    cancel_with_hold_token = await api.delete(f"/bookings/{booked['booking_id']}", token=hold["token"])
    release_with_booking_token = await api.delete(f"/holds/{hold['hold_id']}", token=booked["token"])
    cancel_hold_as_booking = await api.delete(f"/bookings/{hold['hold_id']}", token=hold["token"])

    assert_refused(cancel_with_hold_token, 403, "forbidden")
    assert_refused(release_with_booking_token, 403, "forbidden")
    assert_refused(cancel_hold_as_booking, 404, "not_found")
    assert await state_of(api) == before


@pytest.mark.req("bad-input")
@pytest.mark.gen_test
async def test_the_admin_token_does_not_open_anyone_elses_hold(api):
    await create_jazz(api)
    hold = await open_hold(api)
    before = await state_of(api)

    read = await api.get(f"/holds/{hold['hold_id']}", token=ADMIN_TOKEN)
    confirmed = await api.post(f"/holds/{hold['hold_id']}/confirm", {"name": "Eve", "email": "eve@example.com"},
                               token=ADMIN_TOKEN)

    assert_refused(read, 403, "forbidden")
    assert_refused(confirmed, 403, "forbidden")
    assert await state_of(api) == before
