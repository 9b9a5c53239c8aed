"""Request bodies: decoding the bytes, then validating the JSON value of a book or
hold (`parse_book_request`), a checkout (`parse_buyer`) and a new show (`parse_show`)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.errors import InvalidRequest
from booking.layout import InvalidLayout, Layout
from booking.requests import BookRequest, Buyer, decode_json_body, parse_book_request, parse_buyer
from booking.show import Show, is_show_id, parse_show

GRID = Layout.grid(25, 10)  # A1..A10, B1..B10, C1..C5
MAX_PER_BOOKING = 4


def index(*seat_ids: str) -> tuple[int, ...]:
    return tuple(GRID.index_of(seat_id) for seat_id in seat_ids)


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        (b"", {}),
        (b"  \r\n\t ", {}),
        (b"{}", {}),
        (b'{"quantity": 2}', {"quantity": 2}),
        (b'{"seats": ["A1", "B2"]}', {"seats": ["A1", "B2"]}),
        ('{"seats": ["é"]}'.encode(), {"seats": ["é"]}),
        (b"[1, 2]", [1, 2]),
    ],
)
def test_body_decodes_as_json_and_an_empty_body_means_empty_object(raw, decoded):
    # Act
    value = decode_json_body(raw)

    # Assert
    assert value == decoded


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "not valid JSON"),
        (b"{'quantity': 1}", "not valid JSON"),
        (b'{"quantity": 1}}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'{"seats": ["A1"], "seats": ["A2"]}', "duplicate key 'seats'"),
        (b'{"quantity": 1, "quantity": 2}', "duplicate key 'quantity'"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"quantity": ' + b"1" * 5000 + b"}", "number"),
        (b"9" * 10_000, "number"),
    ],
)
def test_malformed_body_is_refused_with_a_clear_message(raw, message):
    # Act / Assert
    with pytest.raises(InvalidRequest, match=message):
        decode_json_body(raw)


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, BookRequest(quantity=1)),
        ({"quantity": 1}, BookRequest(quantity=1)),
        ({"quantity": MAX_PER_BOOKING}, BookRequest(quantity=MAX_PER_BOOKING)),
        ({"seats": ["A1"]}, BookRequest(quantity=1, seats=index("A1"))),
        ({"seats": ["C5", "A1", "B10"]}, BookRequest(quantity=3, seats=index("C5", "A1", "B10"))),
        ({"seats": ["A1", "A2", "A3", "A4"]}, BookRequest(quantity=4, seats=index("A1", "A2", "A3", "A4"))),
    ],
)
def test_valid_body_becomes_a_book_request_with_seat_indexes_in_request_order(body, expected):
    # Act
    request = parse_book_request(body, GRID, MAX_PER_BOOKING)

    # Assert
    assert request == expected


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "must be a JSON object"),
        ("quantity", "must be a JSON object"),
        (None, "must be a JSON object"),
        (3, "must be a JSON object"),
        ({"qty": 1}, "unknown field"),
        ({"quantity": 1, "extra": True}, "unknown field"),
        ({"quantity": 1, "seats": ["A1"]}, "not both"),
        ({"quantity": 0}, "between 1 and 4"),
        ({"quantity": -1}, "between 1 and 4"),
        ({"quantity": MAX_PER_BOOKING + 1}, "between 1 and 4"),
        ({"quantity": 10**100}, "between 1 and 4"),
        ({"quantity": 1.0}, "must be an integer"),
        ({"quantity": "2"}, "must be an integer"),
        ({"quantity": True}, "must be an integer"),
        ({"quantity": None}, "must be an integer"),
        ({"quantity": [1]}, "must be an integer"),
        ({"seats": []}, "non-empty list"),
        ({"seats": "A1"}, "non-empty list"),
        ({"seats": {"A1": True}}, "non-empty list"),
        ({"seats": None}, "non-empty list"),
        ({"seats": ["A1", "A2", "A3", "A4", "A5"]}, "at most 4 seats"),
        ({"seats": [1]}, "must be strings"),
        ({"seats": [["A1"]]}, "must be strings"),
        ({"seats": ["Z1"]}, "unknown seat 'Z1'"),
        ({"seats": ["A11"]}, "unknown seat 'A11'"),
        ({"seats": ["C6"]}, "unknown seat 'C6'"),
        ({"seats": ["a1"]}, "unknown seat 'a1'"),
        ({"seats": [" A1"]}, "unknown seat"),
        ({"seats": ["A1", "A1"]}, "listed twice"),
    ],
)
def test_body_that_is_not_one_of_the_three_shapes_is_refused_with_a_clear_message(body, message):
    # Act / Assert
    with pytest.raises(InvalidRequest, match=message):
        parse_book_request(body, GRID, MAX_PER_BOOKING)


@pytest.mark.req("bad-input")
def test_unknown_seat_id_is_truncated_in_the_message():
    # Arrange
    body = {"seats": ["X" * 10_000]}

    # Act
    with pytest.raises(InvalidRequest) as refused:
        parse_book_request(body, GRID, MAX_PER_BOOKING)

    # Assert
    assert len(str(refused.value)) < 100


# -- sections ---------------------------------------------------------------------------------------------

THEATRE = Layout([("Stalls", 4500, [("A", 4, ()), ("B", 4, ())]), ("Balcony", 2500, [("BA", 3, ())])])


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"section": "Stalls"}, BookRequest(quantity=1, section=0)),
        ({"section": "Balcony"}, BookRequest(quantity=1, section=1)),
        ({"quantity": 3, "section": "Balcony"}, BookRequest(quantity=3, section=1)),
        ({"quantity": 2}, BookRequest(quantity=2, section=None)),
        ({"seats": ["BA3", "A1"]}, BookRequest(quantity=2, seats=(10, 0))),
    ],
)
def test_a_section_by_name_becomes_its_index_for_best_available(body, expected):
    # Act
    request = parse_book_request(body, THEATRE, MAX_PER_BOOKING)

    # Assert
    assert request == expected


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"section": "Circle"}, "no section 'Circle' in this show; it has 'Stalls', 'Balcony'"),
        ({"section": "stalls"}, "no section 'stalls'"),
        ({"section": ""}, "no section ''"),
        ({"section": " Stalls"}, "no section"),
        ({"quantity": 2, "section": "Gods"}, "no section 'Gods'"),
        ({"seats": ["A1"], "section": "Stalls"}, "cannot go with 'seats'"),
        ({"seats": ["A1"], "section": "Circle"}, "cannot go with 'seats'"),
        ({"section": 0}, "'section' must be the name of one of the show's sections"),
        ({"section": None}, "'section' must be the name"),
        ({"section": ["Stalls"]}, "'section' must be the name"),
        ({"section": {"name": "Stalls"}}, "'section' must be the name"),
        ({"section": True}, "'section' must be the name"),
        ({"quantity": 0, "section": "Stalls"}, "between 1 and 4"),
        ({"sections": "Stalls"}, "unknown field"),
    ],
)
def test_a_section_that_is_unknown_not_a_name_or_given_with_seats_is_refused(body, message):
    # Act / Assert
    with pytest.raises(InvalidRequest, match=message):
        parse_book_request(body, THEATRE, MAX_PER_BOOKING)


@pytest.mark.req("bad-input")
def test_an_unknown_section_name_is_truncated_in_the_message():
    # Act
    with pytest.raises(InvalidRequest) as refused:
        parse_book_request({"section": "S" * 10_000}, THEATRE, MAX_PER_BOOKING)

    # Assert
    assert len(str(refused.value)) < 200


# -- the buyer (POST /holds/{id}/confirm) ------------------------------------------------------------------

LONGEST_EMAIL = "x" * 64 + "@" + "d" * 185 + ".com"  # 254 characters, a 64-character local part


@pytest.mark.req("checkout")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": "Ada Lovelace", "email": "ada@example.com"}, Buyer("Ada Lovelace", "ada@example.com")),
        ({"name": "  Ada  ", "email": "  ada@example.com\n"}, Buyer("Ada", "ada@example.com")),
        ({"name": "Zoë Ça", "email": "zoe+tickets@mail.example.co.uk"},
         Buyer("Zoë Ça", "zoe+tickets@mail.example.co.uk")),
        ({"name": "N" * 200, "email": "a@b.c"}, Buyer("N" * 200, "a@b.c")),
        ({"name": "A", "email": LONGEST_EMAIL}, Buyer("A", LONGEST_EMAIL)),
    ],
    ids=["plain", "trimmed", "non-ascii-name-and-plus-address", "name-of-200", "email-of-254"],
)
def test_a_buyer_has_a_name_and_an_email_trimmed(body, expected):
    # Act
    buyer = parse_buyer(body)

    # Assert
    assert buyer == expected


@pytest.mark.req("checkout")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param([], "must be a JSON object", id="not-an-object"),
        pytest.param(None, "must be a JSON object", id="null"),
        pytest.param({}, "'name' is required", id="empty-object"),
        pytest.param({"email": "a@b.c"}, "'name' is required", id="no-name"),
        pytest.param({"name": "", "email": "a@b.c"}, "'name' is required", id="empty-name"),
        pytest.param({"name": " \t ", "email": "a@b.c"}, "'name' is required", id="blank-name"),
        pytest.param({"name": 7, "email": "a@b.c"}, "'name' is required", id="name-a-number"),
        pytest.param({"name": None, "email": "a@b.c"}, "'name' is required", id="name-null"),
        pytest.param({"name": ["Ada"], "email": "a@b.c"}, "'name' is required", id="name-a-list"),
        pytest.param({"name": "N" * 201, "email": "a@b.c"}, "'name' must be at most 200", id="name-too-long"),
        pytest.param({"name": "Ada\nLovelace", "email": "a@b.c"}, "printable", id="name-with-newline"),
        pytest.param({"name": "Ada\x00", "email": "a@b.c"}, "printable", id="name-with-nul"),
        pytest.param({"name": "Ada"}, "'email' is required", id="no-email"),
        pytest.param({"name": "Ada", "email": ""}, "'email' is required", id="empty-email"),
        pytest.param({"name": "Ada", "email": "   "}, "'email' is required", id="blank-email"),
        pytest.param({"name": "Ada", "email": 7}, "'email' is required", id="email-a-number"),
        pytest.param({"name": "Ada", "email": None}, "'email' is required", id="email-null"),
        pytest.param({"name": "Ada", "email": "ada"}, "must look like name@example.com", id="email-no-at"),
        pytest.param({"name": "Ada", "email": "ada@example"}, "must look like", id="email-no-dot-in-domain"),
        pytest.param({"name": "Ada", "email": "@example.com"}, "must look like", id="email-no-local-part"),
        pytest.param({"name": "Ada", "email": "ada@"}, "must look like", id="email-no-domain"),
        pytest.param({"name": "Ada", "email": "ada@@example.com"}, "must look like", id="email-two-ats"),
        pytest.param({"name": "Ada", "email": "a@b@example.com"}, "must look like", id="email-at-in-domain"),
        pytest.param({"name": "Ada", "email": "ada lovelace@example.com"}, "must look like", id="email-space"),
        pytest.param({"name": "Ada", "email": "ada@example."}, "must look like", id="email-ends-with-dot"),
        pytest.param({"name": "Ada", "email": "x" * 65 + "@example.com"}, "must look like",
                     id="email-local-part-over-64"),
        pytest.param({"name": "Ada", "email": "x@" + "d" * 249 + ".com"}, "must look like", id="email-of-255"),
        pytest.param({"name": "Ada", "email": "a@b.c", "phone": "123"}, "unknown field.*phone", id="unknown-field"),
        pytest.param({"name": "Ada", "email": "a@b.c", "Name": "Ada"}, "unknown field", id="field-in-another-case"),
    ],
)
def test_a_buyer_without_a_sane_name_and_email_is_refused(body, message):
    # Act / Assert
    with pytest.raises(InvalidRequest, match=message):
        parse_buyer(body)


# -- a new show (POST /shows) ------------------------------------------------------------------------------

SHOW = {
    "id": "jazz-0612",
    "name": "Jazz night",
    "starts_at": "2027-06-12T20:00:00Z",
    "currency": "EUR",
    "layout": {"sections": [{"name": "Stalls", "price": 4500, "rows": [{"label": "A", "seats": 20}]}]},
}


def show(**changes) -> dict:
    """The contract's example show with some fields changed (None: left out)."""
    body = {**SHOW, **changes}
    return {key: value for key, value in body.items() if value is not None}


@pytest.mark.req("shows")
def test_a_show_body_becomes_a_show_with_its_layout():
    # Act
    parsed = parse_show(SHOW)

    # Assert
    assert isinstance(parsed, Show)
    assert (parsed.id, parsed.name, parsed.starts_at, parsed.currency) == (
        "jazz-0612", "Jazz night", "2027-06-12T20:00:00Z", "EUR")
    assert parsed.layout.to_json() == SHOW["layout"]


@pytest.mark.req("shows")
@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        pytest.param({"starts_at": None}, "starts_at", None, id="no-start-time"),
        pytest.param({"currency": None}, "currency", "EUR", id="currency-defaults-to-eur"),
        pytest.param({"currency": "GBP"}, "currency", "GBP", id="other-currency"),
        pytest.param({"name": "  Jazz  "}, "name", "Jazz", id="name-trimmed"),
        pytest.param({"id": "a"}, "id", "a", id="id-of-1"),
        pytest.param({"id": "x" * 64}, "id", "x" * 64, id="id-of-64"),
        pytest.param({"id": "2027-06-12-late"}, "id", "2027-06-12-late", id="id-digits-and-dashes"),
        pytest.param({"starts_at": "2027-06-12T20:00:00+02:00"}, "starts_at", "2027-06-12T20:00:00+02:00",
                     id="offset-zone"),
        pytest.param({"starts_at": "2027-06-12T20:00:00.123-05:30"}, "starts_at", "2027-06-12T20:00:00.123-05:30",
                     id="fraction-and-negative-offset"),
        pytest.param({"starts_at": "2027-06-12T20:00Z"}, "starts_at", "2027-06-12T20:00Z", id="no-seconds"),
    ],
)
def test_a_show_body_may_leave_out_or_vary_its_optional_fields(changes, field, value):
    # Act
    parsed = parse_show(show(**changes))

    # Assert
    assert getattr(parsed, field) == value


@pytest.mark.req("shows")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param([], "must be a JSON object", id="not-an-object"),
        pytest.param("jazz", "must be a JSON object", id="a-string"),
        pytest.param(show(venue="Hall"), "unknown field.*venue", id="unknown-field"),
        pytest.param(show(id=None), "'id' must be 1 to 64 characters", id="no-id"),
        pytest.param(show(id=""), "'id' must be 1 to 64", id="empty-id"),
        pytest.param(show(id="x" * 65), "'id' must be 1 to 64", id="id-of-65"),
        pytest.param(show(id="Jazz"), "'id' must be 1 to 64", id="id-upper-case"),
        pytest.param(show(id="jazz_night"), "'id' must be 1 to 64", id="id-underscore"),
        pytest.param(show(id="jazz night"), "'id' must be 1 to 64", id="id-space"),
        pytest.param(show(id="jazz/1"), "'id' must be 1 to 64", id="id-slash"),
        pytest.param(show(id="jazz\n"), "'id' must be 1 to 64", id="id-trailing-newline"),
        pytest.param(show(id="jäzz"), "'id' must be 1 to 64", id="id-not-ascii"),
        pytest.param(show(id=12), "'id' must be 1 to 64", id="id-a-number"),
        pytest.param(show(name=None), "'name' must be 1 to 200", id="no-name"),
        pytest.param(show(name=""), "'name' must be 1 to 200", id="empty-name"),
        pytest.param(show(name="   "), "'name' must be 1 to 200", id="blank-name"),
        pytest.param(show(name="n" * 201), "'name' must be 1 to 200", id="name-of-201"),
        pytest.param(show(name="Jazz\nnight"), "'name' must be 1 to 200 printable", id="name-with-newline"),
        pytest.param(show(name=5), "'name' must be 1 to 200", id="name-a-number"),
        pytest.param(show(starts_at="2027-06-12T20:00:00"), "'starts_at' must be an ISO 8601", id="no-zone"),
        pytest.param(show(starts_at="2027-06-12"), "'starts_at' must be an ISO 8601", id="date-only"),
        pytest.param(show(starts_at="tomorrow"), "'starts_at' must be an ISO 8601", id="words"),
        pytest.param(show(starts_at="12/06/2027 20:00 +00:00"), "'starts_at'", id="not-iso"),
        pytest.param(show(starts_at="2027-13-12T20:00:00Z"), "'starts_at'", id="month-13"),
        pytest.param(show(starts_at="2027-06-12T20:00:00Z" + " " * 30), "'starts_at'", id="over-40-characters"),
        pytest.param(show(starts_at=1812345678), "'starts_at'", id="epoch-number"),
        pytest.param(show(starts_at=""), "'starts_at'", id="empty-start"),
        pytest.param(show(currency="eur"), "'currency' must be a three-letter", id="currency-lower-case"),
        pytest.param(show(currency="EURO"), "'currency' must be a three-letter", id="currency-of-4"),
        pytest.param(show(currency="EU"), "'currency' must be a three-letter", id="currency-of-2"),
        pytest.param(show(currency="€"), "'currency' must be a three-letter", id="currency-symbol"),
        pytest.param(show(currency=978), "'currency' must be a three-letter", id="currency-a-number"),
        pytest.param(show(currency="EUR\n"), "'currency' must be a three-letter", id="currency-newline"),
        pytest.param(show(layout=None), "'layout' is required", id="no-layout"),
    ],
)
def test_a_show_body_with_a_bad_field_is_refused_naming_the_field(body, message):
    # Act / Assert
    with pytest.raises(InvalidRequest, match=message):
        parse_show(body)


@pytest.mark.req("shows")
@pytest.mark.req("layouts")
@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"sections": []}, "layout.sections must be a non-empty list"),
        ({"sections": [{"name": "S", "price": 0, "rows": [{"label": "A", "seats": 0}]}]},
         r"layout.sections\[0\].rows\[0\].seats"),
        (None, "layout must be a JSON object"),
    ],
)
def test_a_show_with_a_bad_layout_is_refused_as_an_invalid_layout(layout, message):
    # Arrange
    body = {**SHOW, "layout": layout}

    # Act / Assert
    with pytest.raises(InvalidLayout, match=message):
        parse_show(body)


@pytest.mark.req("shows")
@pytest.mark.parametrize(
    ("value", "valid"),
    [("main", True), ("a", True), ("0", True), ("-", True), ("x" * 64, True), ("x" * 65, False), ("", False),
     ("Main", False), ("a.b", False), ("a b", False), ("main\n", False)],
)
def test_show_ids_are_1_to_64_of_lower_case_letters_digits_and_dashes(value, valid):
    # Act
    result = is_show_id(value)

    # Assert
    assert result is valid


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
    | st.sampled_from(["A1", "A2", "B10", "C5", "C6", "quantity", "seats", "Seats", "section"]),
    lambda children: st.lists(children, max_size=6)
    | st.dictionaries(st.sampled_from(["quantity", "seats", "section", "x"]) | st.text(max_size=3), children,
                      max_size=3),
    max_leaves=12,
)


@pytest.mark.req("bad-input")
@given(body=JSON_VALUES)
def test_any_json_value_gives_a_valid_request_or_invalid_request_and_nothing_else(body):
    # Act
    try:
        request = parse_book_request(body, GRID, MAX_PER_BOOKING)
    except InvalidRequest:
        return

    # Assert
    assert 1 <= request.quantity <= MAX_PER_BOOKING
    assert request.section in (None, 0)
    if request.seats is not None:
        assert request.section is None
        assert len(request.seats) == request.quantity == len(set(request.seats))
        assert all(0 <= i < GRID.total for i in request.seats)


@pytest.mark.req("bad-input")
@given(raw=st.binary(max_size=64) | JSON_VALUES.map(lambda value: json.dumps(value).encode()))
def test_any_bytes_decode_to_a_value_or_invalid_request_and_nothing_else(raw):
    # Act: anything but InvalidRequest escapes and fails the test
    try:
        value = decode_json_body(raw)
    except InvalidRequest as refused:
        # Assert
        assert str(refused)
        return

    # Assert
    assert isinstance(value, dict | list | str | int | float | bool | None)
