"""Seat layouts: Part 1's grid (`--seats N --row-size R`), sections of rows with
prices, the best-available order, and `parse_layout` for `POST /shows` bodies."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.errors import InvalidRequest
from booking.layout import MAX_PRICE, MAX_SEATS, InvalidLayout, Layout, Seat, parse_layout, row_label

JAZZ = {
    "sections": [
        {"name": "Stalls", "price": 4500, "rows": [{"label": "A", "seats": 20, "accessible": [1, 2]},
                                                    {"label": "B", "seats": 22}]},
        {"name": "Balcony", "price": 2500, "rows": [{"label": "BA", "seats": 30}]},
    ]
}


def one_row(**row) -> dict:
    """A layout of one section of one row, with the row's fields as given."""
    return {"sections": [{"name": "Stalls", "price": 100, "rows": [row]}]}


def one_section(**section) -> dict:
    """A layout of one section, with the section's fields as given."""
    return {"sections": [section]}


# -- row labels and the grid -------------------------------------------------------------------------


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("index", "label"),
    [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA")],
)
def test_rows_are_named_a_to_z_then_aa_ab_like_spreadsheet_columns(index, label):
    # Act
    name = row_label(index)

    # Assert
    assert name == label


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("seats", "row_size", "row_lengths", "last_ids"),
    [
        (100, 10, [10] * 10, ("J1", "J10")),
        (25, 10, [10, 10, 5], ("C1", "C5")),
        (1, 10, [1], ("A1", "A1")),
        (3, 1, [1, 1, 1], ("C1", "C1")),
        (28, 1, [1] * 28, ("AB1", "AB1")),
    ],
)
def test_grid_fills_rows_of_row_size_front_to_back_and_the_last_row_may_be_shorter(
    seats, row_size, row_lengths, last_ids
):
    # Act
    layout = Layout.grid(seats, row_size)

    # Assert
    assert [len(row) for row in layout.rows] == row_lengths
    assert (layout.seat_id(layout.rows[-1][0]), layout.seat_id(layout.total - 1)) == last_ids
    assert layout.seat_id(0) == "A1"
    assert layout.total == seats


@pytest.mark.req("layouts")
def test_grid_is_one_section_named_seats_priced_zero_unless_told():
    # Act
    plain = Layout.grid(25, 10)
    priced = Layout.grid(25, 10, section="Hall", price=1500)

    # Assert
    assert [(s.name, s.price, s.rows) for s in plain.sections] == [("Seats", 0, range(0, 3))]
    assert [(s.name, s.price) for s in priced.sections] == [("Hall", 1500)]
    assert priced.price_of(24) == 1500


@pytest.mark.req("best-available")
def test_seat_records_carry_id_row_letter_and_number():
    # Arrange
    layout = Layout.grid(25, 10)

    # Act
    seat = layout.seat(layout.index_of("B3"))

    # Assert
    assert seat == Seat("B3", "B", 3, 1, "Seats", 0, False)


@pytest.mark.req("bad-input")
@pytest.mark.parametrize(("seats", "row_size"), [(0, 10), (10, 0), (-1, 5), (5, -1)])
def test_grid_without_seats_or_with_empty_rows_is_refused(seats, row_size):
    # Act / Assert
    with pytest.raises(InvalidLayout, match="at least one seat"):
        Layout.grid(seats, row_size)


@pytest.mark.req("layouts")
def test_grid_of_the_maximum_is_accepted_and_one_more_seat_is_refused():
    # Act
    largest = Layout.grid(MAX_SEATS, 1000)

    # Assert
    assert largest.total == 100_000
    assert largest.seat_id(99_999) == "CV1000"
    with pytest.raises(InvalidLayout, match="at most 100,000 seats"):
        Layout.grid(MAX_SEATS + 1, 1000)


@pytest.mark.req("best-available")
@given(seats=st.integers(1, 400), row_size=st.integers(1, 40))
def test_any_grid_has_every_seat_once_full_rows_and_one_possibly_shorter_last_row(seats, row_size):
    # Act
    layout = Layout.grid(seats, row_size)

    # Assert
    records = [layout.seat(i) for i in range(layout.total)]
    ids = [seat.id for seat in records]
    assert len(ids) == len(set(ids)) == seats
    assert all(len(row) == row_size for row in layout.rows[:-1])
    assert 1 <= len(layout.rows[-1]) <= row_size
    assert sum(len(row) for row in layout.rows) == seats
    assert all(layout.index_of(seat_id) == i for i, seat_id in enumerate(ids))
    assert all(layout.seat_id(i) == seat_id for i, seat_id in enumerate(ids))
    assert all(seat.id == f"{seat.row}{seat.number}" for seat in records)


# -- best-available order ----------------------------------------------------------------------------


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("seats", "row_size", "best_first"),
    [
        # Even row: middle is between 5 and 6; left before right on a tie.
        (10, 10, ["A5", "A6", "A4", "A7", "A3", "A8", "A2", "A9", "A1", "A10"]),
        # Odd row: the middle seat first.
        (5, 5, ["A3", "A2", "A4", "A1", "A5"]),
        # Front row always before the row behind, however central.
        (6, 3, ["A2", "A1", "A3", "B2", "B1", "B3"]),
        # A short last row is centred on itself, not on the full rows' middle.
        (13, 5, ["A3", "A2", "A4", "A1", "A5", "B3", "B2", "B4", "B1", "B5", "C2", "C1", "C3"]),
        (12, 5, ["A3", "A2", "A4", "A1", "A5", "B3", "B2", "B4", "B1", "B5", "C1", "C2"]),
    ],
)
def test_best_order_is_front_row_first_then_closest_to_the_rows_own_middle_left_before_right(
    seats, row_size, best_first
):
    # Arrange
    layout = Layout.grid(seats, row_size)

    # Act
    order = [layout.seat_id(i) for i in layout.best_order()]

    # Assert
    assert order == best_first


@pytest.mark.req("best-available")
def test_best_order_ranks_rows_of_different_lengths_each_on_its_own_middle_across_sections():
    # Arrange: a 3-seat front row, a 4-seat row, then a 1-seat balcony row
    layout = Layout([("Stalls", 10, [("A", 3, ()), ("B", 4, ())]), ("Balcony", 5, [("C", 1, ())])])

    # Act
    order = [layout.seat_id(i) for i in layout.best_order()]

    # Assert
    assert order == ["A2", "A1", "A3", "B2", "B3", "B1", "B4", "C1"]


@pytest.mark.req("best-available")
@given(seats=st.integers(1, 400), row_size=st.integers(1, 40))
def test_any_best_order_is_a_permutation_ranked_by_row_then_distance_to_middle(seats, row_size):
    # Arrange
    layout = Layout.grid(seats, row_size)

    # Act
    order = layout.best_order()

    # Assert
    assert sorted(order) == list(range(seats))
    ranked = [layout.seat(i) for i in order]
    keys = [
        (seat.row_index, abs(seat.number - (len(layout.rows[seat.row_index]) + 1) / 2), seat.number)
        for seat in ranked
    ]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


# -- sections, prices, accessible seats, ids -----------------------------------------------------------


@pytest.mark.req("layouts")
def test_parsed_layout_numbers_seats_section_by_section_row_by_row_with_section_prices():
    # Act
    layout = parse_layout(JAZZ)

    # Assert
    assert layout.total == 72
    assert layout.labels == ("A", "B", "BA")
    assert layout.rows == (range(0, 20), range(20, 42), range(42, 72))
    assert [(s.name, s.price, s.rows) for s in layout.sections] == [
        ("Stalls", 4500, range(0, 2)), ("Balcony", 2500, range(2, 3)),
    ]
    assert layout.seat(0) == Seat("A1", "A", 1, 0, "Stalls", 4500, True)
    assert layout.seat(2) == Seat("A3", "A", 3, 0, "Stalls", 4500, False)
    assert layout.seat(41) == Seat("B22", "B", 22, 1, "Stalls", 4500, False)
    assert layout.seat(71) == Seat("BA30", "BA", 30, 2, "Balcony", 2500, False)
    assert [layout.price_of(i) for i in (0, 41, 42, 71)] == [4500, 4500, 2500, 2500]
    assert layout.section_of_name == {"Stalls": 0, "Balcony": 1}
    assert layout.row_of_label == {"A": 0, "B": 1, "BA": 2}


@pytest.mark.req("layouts")
@pytest.mark.parametrize(
    ("seat_id", "index"),
    [
        ("A1", 0), ("A20", 19), ("B1", 20), ("B22", 41), ("BA1", 42), ("BA30", 71),
        # Not seats of this layout: no such row, number past the row's end, zero,
        # leading zero, lower case, spaces, digits only, letters only, too long.
        ("A21", None), ("B23", None), ("BA31", None), ("C1", None), ("A0", None), ("A01", None),
        ("a1", None), ("ba1", None), (" A1", None), ("A1 ", None), ("1", None), ("A", None), ("", None),
        ("BA1000000", None), ("ABCDEFGHI1", None), ("A-1", None), ("A1.0", None),
    ],
)
def test_index_of_finds_each_seat_id_and_none_for_anything_else(seat_id, index):
    # Arrange
    layout = parse_layout(JAZZ)

    # Act
    found = layout.index_of(seat_id)

    # Assert
    assert found == index


@pytest.mark.req("layouts")
def test_a_label_and_a_number_never_run_together_ambiguously():
    # Arrange: rows "A" and "AB"; "AB1" is row AB seat 1, never row A seat "B1"
    layout = Layout([("S", 0, [("A", 12, ()), ("AB", 2, ())])])

    # Act
    found = (layout.index_of("AB1"), layout.index_of("A11"), layout.index_of("AB3"))

    # Assert
    assert found == (12, 10, None)


@pytest.mark.req("layouts")
@given(
    sections=st.lists(
        st.tuples(st.integers(0, 10_000), st.lists(st.integers(1, 40), min_size=1, max_size=4)),
        min_size=1, max_size=4,
    )
)
def test_any_layout_maps_every_index_to_an_id_and_back_with_its_sections_price(sections):
    # Arrange
    spec, n = [], 0
    for s, (price, lengths) in enumerate(sections):
        rows = []
        for length in lengths:
            rows.append((row_label(n), length, ()))
            n += 1
        spec.append((f"S{s}", price, rows))
    layout = Layout(spec)

    # Act
    seats = [layout.seat(i) for i in range(layout.total)]

    # Assert
    assert layout.total == sum(sum(lengths) for _, lengths in sections)
    assert len({seat.id for seat in seats}) == layout.total
    assert all(layout.index_of(seat.id) == i for i, seat in enumerate(seats))
    for seat in seats:
        section = int(seat.section[1:])
        assert seat.price == sections[section][0] == layout.price_of(layout.index_of(seat.id))
        assert 1 <= seat.number <= len(layout.rows[seat.row_index])
        assert layout.row_section[seat.row_index] == section


# -- parse_layout and to_json --------------------------------------------------------------------------


@pytest.mark.req("layouts")
def test_to_json_gives_back_the_layout_object_it_was_parsed_from():
    # Arrange
    layout = parse_layout(copy.deepcopy(JAZZ))

    # Act
    given_back = layout.to_json()

    # Assert
    assert given_back == JAZZ
    assert parse_layout(given_back).to_json() == JAZZ


@pytest.mark.req("layouts")
def test_to_json_lists_accessible_seats_sorted_and_leaves_the_field_out_when_there_are_none():
    # Arrange
    layout = parse_layout(one_row(label="A", seats=5, accessible=[5, 1]))
    empty = parse_layout(one_row(label="A", seats=5, accessible=[]))

    # Act
    rows = layout.to_json()["sections"][0]["rows"], empty.to_json()["sections"][0]["rows"]

    # Assert
    assert rows == ([{"label": "A", "seats": 5, "accessible": [1, 5]}], [{"label": "A", "seats": 5}])
    assert [layout.seat(i).accessible for i in range(5)] == [True, False, False, False, True]


@pytest.mark.req("layouts")
def test_grid_to_json_is_one_section_of_lettered_rows():
    # Act
    given_back = Layout.grid(7, 3).to_json()

    # Assert
    assert given_back == {"sections": [{"name": "Seats", "price": 0, "rows": [
        {"label": "A", "seats": 3}, {"label": "B", "seats": 3}, {"label": "C", "seats": 1}]}]}


LAYOUT_JSON = st.builds(
    lambda sections: {"sections": sections},
    st.lists(
        st.tuples(st.integers(0, 10**6), st.lists(st.tuples(st.integers(1, 30), st.sets(st.integers(1, 30))),
                                                  min_size=1, max_size=3)),
        min_size=1, max_size=3,
    ).map(lambda sections: [
        {"name": f"Section {s}", "price": price, "rows": [
            {"label": row_label(10 * s + r), "seats": seats}
            | ({"accessible": sorted(n for n in accessible if n <= seats)}
               if any(n <= seats for n in accessible) else {})
            for r, (seats, accessible) in enumerate(rows)
        ]}
        for s, (price, rows) in enumerate(sections)
    ]),
)


@pytest.mark.req("layouts")
@given(value=LAYOUT_JSON)
def test_any_valid_layout_object_round_trips_through_parse_and_to_json(value):
    # Act
    layout = parse_layout(value)

    # Assert
    assert layout.to_json() == value
    assert layout.total == sum(row["seats"] for section in value["sections"] for row in section["rows"])


@pytest.mark.req("layouts")
@pytest.mark.parametrize(
    "value",
    [
        one_row(label="ABCDEFGH", seats=1),  # 8 letters
        one_row(label="z", seats=1),  # lower case is a letter too
        one_row(label="A", seats=1, accessible=[1]),
        one_section(name="x" * 100, price=0, rows=[{"label": "A", "seats": 1}]),
        one_section(name="Stalls", price=MAX_PRICE, rows=[{"label": "A", "seats": 1}]),
        {"sections": [{"name": "S", "price": 0, "rows": [{"label": "A", "seats": MAX_SEATS}]}]},
        {"sections": [{"name": "S", "price": 0, "rows": [{"label": "A", "seats": 60_000}]},
                      {"name": "T", "price": 0, "rows": [{"label": "B", "seats": 40_000}]}]},
    ],
    ids=["label-of-8-letters", "lower-case-label", "accessible", "name-of-100", "large-price", "max-seats-one-row",
         "max-seats-two-sections"],
)
def test_layouts_at_the_limits_are_accepted(value):
    # Act
    layout = parse_layout(value)

    # Assert
    assert layout.to_json() == value


@pytest.mark.req("layouts")
@pytest.mark.req("bad-input")
@pytest.mark.parametrize(
    ("value", "message"),
    [
        # The layout itself.
        pytest.param([], "layout must be a JSON object", id="not-an-object-list"),
        pytest.param(None, "layout must be a JSON object", id="not-an-object-null"),
        pytest.param("A", "layout must be a JSON object", id="not-an-object-string"),
        pytest.param({}, "layout needs sections", id="no-sections"),
        pytest.param({"sections": [], "rows": []}, "layout has unknown field.*rows", id="unknown-layout-field"),
        pytest.param({"sections": []}, "layout.sections must be a non-empty list", id="empty-sections"),
        pytest.param({"sections": {"name": "S"}}, "layout.sections must be a non-empty list", id="sections-object"),
        pytest.param({"sections": None}, "layout.sections must be a non-empty list", id="sections-null"),
        # A section.
        pytest.param({"sections": ["Stalls"]}, r"layout.sections\[0\] must be a JSON object", id="section-string"),
        pytest.param(one_section(name="S", price=0), r"layout.sections\[0\] needs rows", id="section-without-rows"),
        pytest.param(one_section(price=0, rows=[{"label": "A", "seats": 1}]), r"layout.sections\[0\] needs name",
                     id="section-without-name"),
        pytest.param(one_section(name="S", rows=[{"label": "A", "seats": 1}]), r"layout.sections\[0\] needs price",
                     id="section-without-price"),
        pytest.param(one_section(name="S", price=0, rows=[{"label": "A", "seats": 1}], colour="red"),
                     r"layout.sections\[0\] has unknown field.*colour", id="unknown-section-field"),
        pytest.param(one_section(name="S", price=0, rows=[]), r"layout.sections\[0\].rows must be a non-empty list",
                     id="empty-rows"),
        pytest.param(one_section(name="S", price=0, rows={"label": "A"}),
                     r"layout.sections\[0\].rows must be a non-empty list", id="rows-object"),
        pytest.param(one_section(name="", price=0, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].name must be 1 to 100 printable characters", id="empty-name"),
        pytest.param(one_section(name="   ", price=0, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].name must be 1 to 100 printable characters", id="blank-name"),
        pytest.param(one_section(name="x" * 101, price=0, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].name must be 1 to 100 printable characters", id="name-too-long"),
        pytest.param(one_section(name=7, price=0, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].name must be 1 to 100 printable characters", id="name-not-a-string"),
        pytest.param({"sections": [{"name": "S", "price": 0, "rows": [{"label": "A", "seats": 1}]},
                                   {"name": "S", "price": 0, "rows": [{"label": "B", "seats": 1}]}]},
                     r"layout.sections\[1\].name 'S' is used by another section", id="duplicate-section-name"),
        # Prices.
        pytest.param(one_section(name="S", price=-1, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].price must be a whole number", id="negative-price"),
        pytest.param(one_section(name="S", price=MAX_PRICE + 1, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].price must be .* to 1,000,000,000", id="price-past-the-limit"),
        pytest.param(one_section(name="S\u0000", price=1, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].name must be 1 to 100 printable", id="control-character-in-name"),
        pytest.param(one_section(name="S", price=12.5, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].price must be a whole number", id="fractional-price"),
        pytest.param(one_section(name="S", price=12.0, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].price must be a whole number", id="float-price"),
        pytest.param(one_section(name="S", price=True, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].price must be a whole number", id="bool-price"),
        pytest.param(one_section(name="S", price="4500", rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].price must be a whole number", id="string-price"),
        pytest.param(one_section(name="S", price=None, rows=[{"label": "A", "seats": 1}]),
                     r"layout.sections\[0\].price must be a whole number", id="null-price"),
        # A row.
        pytest.param(one_section(name="S", price=0, rows=["A"]), r"layout.sections\[0\].rows\[0\] must be a JSON "
                     "object", id="row-string"),
        pytest.param(one_row(seats=1), r"layout.sections\[0\].rows\[0\] needs label", id="row-without-label"),
        pytest.param(one_row(label="A"), r"layout.sections\[0\].rows\[0\] needs seats", id="row-without-seats"),
        pytest.param(one_row(label="A", seats=1, price=5), r"layout.sections\[0\].rows\[0\] has unknown field.*price",
                     id="unknown-row-field"),
        # Labels.
        pytest.param(one_row(label="A1", seats=1), r"layout.sections\[0\].rows\[0\].label must be 1 to 8 letters",
                     id="label-with-a-digit"),
        pytest.param(one_row(label="1", seats=1), r"rows\[0\].label must be 1 to 8 letters", id="label-digit"),
        pytest.param(one_row(label="ABCDEFGHI", seats=1), r"rows\[0\].label must be 1 to 8 letters",
                     id="label-of-9-letters"),
        pytest.param(one_row(label="", seats=1), r"rows\[0\].label must be 1 to 8 letters", id="empty-label"),
        pytest.param(one_row(label="A B", seats=1), r"rows\[0\].label must be 1 to 8 letters", id="label-space"),
        pytest.param(one_row(label="A\n", seats=1), r"rows\[0\].label must be 1 to 8 letters", id="label-newline"),
        pytest.param(one_row(label="Ä", seats=1), r"rows\[0\].label must be 1 to 8 letters", id="label-not-ascii"),
        pytest.param(one_row(label="A-", seats=1), r"rows\[0\].label must be 1 to 8 letters", id="label-dash"),
        pytest.param(one_row(label=1, seats=1), r"rows\[0\].label must be 1 to 8 letters", id="label-number"),
        pytest.param(one_row(label=None, seats=1), r"rows\[0\].label must be 1 to 8 letters", id="label-null"),
        pytest.param(one_section(name="S", price=0, rows=[{"label": "A", "seats": 1}, {"label": "A", "seats": 2}]),
                     r"layout.sections\[0\].rows\[1\].label 'A' is used by another row", id="duplicate-label"),
        pytest.param(one_section(name="S", price=0, rows=[{"label": "Ab", "seats": 1}, {"label": "aB", "seats": 2}]),
                     r"layout.sections\[0\].rows\[1\].label 'aB' is used by another row",
                     id="duplicate-label-in-another-case"),
        pytest.param({"sections": [{"name": "S", "price": 0, "rows": [{"label": "BA", "seats": 1}]},
                                   {"name": "T", "price": 0, "rows": [{"label": "ba", "seats": 1}]}]},
                     r"layout.sections\[1\].rows\[0\].label 'ba' is used by another row",
                     id="duplicate-label-across-sections"),
        # Seats.
        pytest.param(one_row(label="A", seats=0), r"layout.sections\[0\].rows\[0\].seats must be a whole number, 1 "
                     "or more", id="zero-seats"),
        pytest.param(one_row(label="A", seats=-3), r"rows\[0\].seats must be a whole number, 1 or more",
                     id="negative-seats"),
        pytest.param(one_row(label="A", seats=2.0), r"rows\[0\].seats must be a whole number", id="float-seats"),
        pytest.param(one_row(label="A", seats=True), r"rows\[0\].seats must be a whole number", id="bool-seats"),
        pytest.param(one_row(label="A", seats="10"), r"rows\[0\].seats must be a whole number", id="string-seats"),
        pytest.param(one_row(label="A", seats=MAX_SEATS + 1), "at most 100,000 seats", id="one-row-over-the-max"),
        pytest.param({"sections": [{"name": "S", "price": 0, "rows": [{"label": "A", "seats": 60_000}]},
                                   {"name": "T", "price": 0, "rows": [{"label": "B", "seats": 40_001}]}]},
                     "at most 100,000 seats", id="sections-together-over-the-max"),
        pytest.param(one_row(label="A", seats=10**100), "at most 100,000 seats", id="huge-row"),
        # Accessible seats.
        pytest.param(one_row(label="A", seats=3, accessible=[4]),
                     r"layout.sections\[0\].rows\[0\].accessible must list distinct seat numbers from 1 to 3",
                     id="accessible-past-the-row"),
        pytest.param(one_row(label="A", seats=3, accessible=[0]), r"rows\[0\].accessible must list distinct",
                     id="accessible-zero"),
        pytest.param(one_row(label="A", seats=3, accessible=[-1]), r"rows\[0\].accessible must list distinct",
                     id="accessible-negative"),
        pytest.param(one_row(label="A", seats=3, accessible=[1, 1]), r"rows\[0\].accessible must list distinct",
                     id="accessible-duplicated"),
        pytest.param(one_row(label="A", seats=3, accessible=[1.0]), r"rows\[0\].accessible must list distinct",
                     id="accessible-float"),
        pytest.param(one_row(label="A", seats=3, accessible=[True]), r"rows\[0\].accessible must list distinct",
                     id="accessible-bool"),
        pytest.param(one_row(label="A", seats=3, accessible=["A1"]), r"rows\[0\].accessible must list distinct",
                     id="accessible-seat-id"),
        pytest.param(one_row(label="A", seats=3, accessible=2), r"rows\[0\].accessible must list distinct",
                     id="accessible-not-a-list"),
    ],
)
def test_a_layout_that_cannot_be_sold_is_refused_naming_the_place(value, message):
    # Act / Assert
    with pytest.raises(InvalidLayout, match=message):
        parse_layout(value)


@pytest.mark.req("layouts")
@pytest.mark.req("bad-input")
def test_the_first_problem_is_named_with_its_full_path_in_a_later_section():
    # Arrange
    value = copy.deepcopy(JAZZ)
    value["sections"][1]["rows"].append({"label": "BB", "seats": 0})

    # Act
    with pytest.raises(InvalidLayout) as refused:
        parse_layout(value)

    # Assert
    assert str(refused.value) == "layout.sections[1].rows[1].seats must be a whole number, 1 or more"


@pytest.mark.req("bad-input")
def test_an_invalid_layout_is_an_invalid_request_so_the_shell_answers_400():
    # Act
    with pytest.raises(InvalidRequest) as refused:
        parse_layout({"sections": []})

    # Assert
    assert isinstance(refused.value, InvalidLayout)
    assert refused.value.code == "bad_request"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 200_000) | st.floats(allow_nan=False) | st.text(max_size=9)
    | st.sampled_from(["A", "B", "AB", "a", "sections", "rows", "label", "seats", "name", "price", "accessible"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["sections", "rows", "label", "seats", "name", "price", "accessible", "x"]),
                      children, max_size=4),
    max_leaves=20,
)


@pytest.mark.req("bad-input")
@given(value=JSON_VALUES)
def test_any_json_value_gives_a_layout_or_invalid_layout_and_nothing_else(value):
    # Act
    try:
        layout = parse_layout(value)
    except InvalidLayout as refused:
        # Assert
        assert str(refused)
        return

    # Assert
    assert 1 <= layout.total <= MAX_SEATS
    assert parse_layout(layout.to_json()).to_json() == layout.to_json()
