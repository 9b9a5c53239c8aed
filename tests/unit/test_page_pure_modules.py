"""The page's pure modules on their own: they import nothing from the browser and
run nothing at import; the best-available guess picks what the server picks; the
layout, the words and the shared storage records."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.free_seats import FreeSeats
from booking.layout import Layout
from tests.unit.page_modules import PURE_MODULES, SMALL, WEB, layout, load

ranking = load("seat_ranking")
venue_module = load("venue")
basket_module = load("basket_records")
notices = load("notices")


# ---- purity --------------------------------------------------------------------------

@pytest.mark.req("REQ-1")
@pytest.mark.parametrize("name", PURE_MODULES)
def test_a_pure_module_imports_only_pure_modules_and_runs_nothing_at_import(name):
    tree = ast.parse((WEB / f"{name}.py").read_text())

    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    top_level = [type(node).__name__ for node in tree.body
                 if not isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef)
                 and not (isinstance(node, ast.Assign | ast.AnnAssign) and _is_constant(node.value))
                 and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]

    assert imported <= set(PURE_MODULES[:PURE_MODULES.index(name)])
    assert top_level == []


def _is_constant(node: ast.expr) -> bool:
    """Literals and containers of literals (no calls)."""
    return not any(isinstance(child, ast.Call) for child in ast.walk(node))


@pytest.mark.req("REQ-1")
def test_the_page_loads_every_module_up_front_in_dependency_order():
    html = (WEB / "index.html").read_text()
    scripts = [line for line in html.splitlines() if 'type="text/python"' in line]

    ids = [line.split('id="')[1].split('"')[0] for line in scripts if 'id="' in line]

    assert ids == list(PURE_MODULES)
    assert 'src="/static/booking_page.py"' in scripts[-1] and 'id="' not in scripts[-1]
    assert not [name for name in ids if f'id="{name}"' in html.replace(f'<script type="text/python" src="/static/'
                                                                          f'{name}.py" id="{name}">', "")]


# ---- best available, as the server decides it -----------------------------------------

def server_choice(rows: list[str], quantity: int) -> list[tuple[int, int]]:
    """What the server's free-seat map picks for `quantity` in rows of these letters."""
    layout_ = Layout([("S", 0, [(chr(65 + i), len(row), ()) for i, row in enumerate(rows)])])
    free = FreeSeats(layout_, [letter == "f" for row in rows for letter in row])
    if quantity > 1:
        for orphan_free in (True, False):
            found = free.best_block(quantity, None, orphan_free)
            if found is not None:
                return [(found[0], found[1] + i) for i in range(quantity)]
    return free.best_seats(quantity, None)


@pytest.mark.req("best-available")
@settings(max_examples=400, deadline=None)
@given(rows=st.lists(st.text(alphabet="fffhb", min_size=1, max_size=14), min_size=1, max_size=5),
       quantity=st.integers(1, 6))
def test_the_pages_guess_is_the_seats_the_server_picks(rows, quantity):
    if sum(row.count("f") for row in rows) < quantity:
        quantity = max(1, sum(row.count("f") for row in rows))

    guess = ranking.best_available(rows, quantity)

    assert sorted(guess) == sorted(server_choice(rows, quantity))


@pytest.mark.req("best-available")
@pytest.mark.parametrize(("row", "quantity", "orphan_free", "expected"), [
    ("ffff", 1, False, 1), ("fffff", 1, False, 2), ("ffffff", 2, True, 2), ("fffff", 2, True, 0),
    ("fbfff", 2, True, -1), ("fbfff", 2, False, 2), ("ffff", 3, True, -1), ("bffb", 2, True, 1),
])
def test_the_best_block_in_a_row_strands_no_single_seat(row, quantity, orphan_free, expected):
    assert ranking.best_offset_in_row(row, quantity, orphan_free) == expected


# ---- the layout --------------------------------------------------------------------------

@pytest.mark.req("layouts")
def test_a_seat_id_is_found_from_its_row_label_and_number():
    venue = venue_module.Venue(SMALL)

    assert venue.locate("B3") == (1, 2)
    assert venue.locate("C4") == (-1, -1)
    assert venue.locate("C0") == (-1, -1)
    assert venue.locate("Z1") == (-1, -1)
    assert venue.locate("A") == (-1, -1)
    assert venue.price_of("C1") == 2500
    assert venue.section_of("A1").name == "Stalls"
    assert venue.total == 11 and not venue.large


@pytest.mark.req("page-large-venue")
def test_a_large_section_is_cut_into_bands_for_the_overview():
    rows = [(f"R{chr(65 + i // 26)}{chr(65 + i % 26)}", 100) for i in range(500)]
    venue = venue_module.Venue(layout(("Floor", 3000, rows)))

    [floor] = venue.sections

    assert venue.large
    assert len(floor.bands) == venue_module.MAX_BANDS
    assert floor.bands[0] == (0, 32) and floor.bands[-1] == (480, 500)
    assert venue.band_of_row(40) == (0, 1)


@pytest.mark.req("layouts")
def test_a_snapshot_of_another_layout_is_refused():
    venue = venue_module.Venue(SMALL)

    assert venue.snapshot_rows({"A": "ffff", "B": "ffff", "C": "fff"}) is not None
    assert venue.snapshot_rows({"A": "ffff", "B": "ffff", "C": "ff"}) is None
    assert venue.snapshot_rows({"A": "ffff", "B": "ffff"}) is None


# ---- words ---------------------------------------------------------------------------

@pytest.mark.req("page-checkout")
@pytest.mark.parametrize(("minor", "currency", "text"), [
    (4500, "EUR", "€45.00"), (5, "USD", "$0.05"), (123456789, "GBP", "£1,234,567.89"), (1200, "JPY", "¥1200"),
    (999, "CHF", "9.99 CHF"), (0, "EUR", "€0.00"),
])
def test_prices_are_written_in_their_currency(minor, currency, text):
    assert notices.format_price(minor, currency) == text


@pytest.mark.req("page-checkout")
def test_a_reference_is_spelled_out_to_read_on_the_phone():
    assert notices.spell_reference("K7Q-M4ZP") == "K 7 Q, M 4 Z P"
    assert notices.format_countdown(125) == "2:05"
    assert notices.describe_seats(["A1", "A2", "A3"]) == "A1, A2 and A3"


@pytest.mark.req("page-honest-states")
def test_no_sentence_asks_to_click():
    tree = ast.parse((WEB / "notices.py").read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.FunctionDef) and ast.get_docstring(node)}

    words = [node.value for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]

    assert words and not [word for word in words if "click" in word.lower() or "tap" in word.lower().split()]


# ---- storage shared by tabs ---------------------------------------------------------------

def hold_record(hold_id: str, version: int, expires_at: int = 10_000, seats: tuple[str, ...] = ("A1",)) -> dict:
    return {"hold_id": hold_id, "token": "t", "seats": list(seats), "expires_at": expires_at, "version": version,
            "total_price": 0}


def records(**groups: dict) -> dict:
    return {"holds": {}, "bookings": {}, "requests": {}, "gone": {}, **groups}


@pytest.mark.req("page-multi-tab")
def test_a_merge_keeps_both_sides_and_the_newer_basket():
    stored = records(holds={"h1": hold_record("h1", 5, seats=("A1",))})
    mine = records(holds={"h1": hold_record("h1", 7, seats=("A1", "A2")), "h2": hold_record("h2", 1)})

    merged = basket_module.merge_records(stored, mine, 1000)

    assert merged["holds"]["h1"]["seats"] == ["A1", "A2"]
    assert sorted(merged["holds"]) == ["h1", "h2"]


@pytest.mark.req("page-multi-tab")
def test_a_tombstone_wins_over_a_stale_copy_and_expired_holds_merge_away():
    stored = records(holds={"h1": hold_record("h1", 5)}, gone={"b1": 900})
    mine = records(holds={"h2": hold_record("h2", 1, expires_at=500)},
                   bookings={"b1": {"booking_id": "b1", "token": "t", "reference": "R", "seats": ["A1"],
                                    "version": 3, "total_price": 0}},
                   gone={"h1": 950})

    merged = basket_module.merge_records(stored, mine, 1000)

    assert merged["holds"] == {} and merged["bookings"] == {}
    assert merged["gone"] == {"b1": 900, "h1": 950}


@pytest.mark.req("page-multi-tab")
def test_malformed_storage_is_dropped_record_by_record():
    clean = basket_module.clean_records({
        "holds": {"h1": hold_record("h1", 1), "bad": {"hold_id": "bad"}},
        "bookings": [1, 2], "requests": {"k": {"key": "k", "method": "PUT", "path": "/x", "first_sent_at": 1}},
        "gone": {"x": "yesterday", "y": 5},
    })

    assert list(clean["holds"]) == ["h1"]
    assert clean["bookings"] == {} and clean["requests"] == {}
    assert clean["gone"] == {"y": 5}
    assert basket_module.clean_records("not a dict") == records()
