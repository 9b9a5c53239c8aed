"""The page's pure modules (web/*.py but the view), loaded into CPython for tests.

web/ is not a package: Brython registers each module under its file name, so
here each is loaded by path under that same name, dependencies first, once per
test run. Also the small venues and server bodies the page tests share.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

WEB = Path(__file__).resolve().parents[2] / "web"
# In dependency order: each imports only the ones before it.
PURE_MODULES = ("notices", "venue", "seat_ranking", "shown_seats", "basket_records", "sales_state")


def load(name: str) -> ModuleType:
    if name not in sys.modules or not str(getattr(sys.modules[name], "__file__", "")).startswith(str(WEB)):
        for dependency in PURE_MODULES[:PURE_MODULES.index(name)]:
            load(dependency)
        spec = importlib.util.spec_from_file_location(name, WEB / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def layout(*sections: tuple[str, int, list[tuple[str, int]]], show_id: str = "test") -> dict:
    """`GET /shows/{show}`'s body: sections of (name, price, [(row label, seats)])."""
    return {"id": show_id, "name": "Test show", "starts_at": None, "currency": "EUR",
            "layout": {"sections": [{"name": name, "price": price,
                                     "rows": [{"label": label, "seats": seats} for label, seats in rows]}
                                    for name, price, rows in sections]}}


SMALL = layout(("Stalls", 4500, [("A", 4), ("B", 4)]), ("Balcony", 2500, [("C", 3)]))


def seat_ids(detail: dict) -> list[str]:
    return [f"{row['label']}{n}" for section in detail["layout"]["sections"] for row in section["rows"]
            for n in range(1, row["seats"] + 1)]


def compact(detail: dict, version: int, states: dict[str, str] | None = None) -> dict:
    """The compact snapshot: every seat free but those in `states` (seat -> free/held/booked)."""
    states = states or {}
    rows = {}
    for section in detail["layout"]["sections"]:
        for row in section["rows"]:
            rows[row["label"]] = "".join(states.get(f"{row['label']}{n}", "free")[0]
                                         for n in range(1, row["seats"] + 1))
    total = sum(len(text) for text in rows.values())
    return {"version": version, "total": total, "available": sum(t.count("f") for t in rows.values()),
            "rows": rows}


def seats_event(version: int, **changed: str) -> dict:
    return {"version": version, "available": 0, "changed": changed}


def recompute(seats) -> tuple[dict[str, str], int]:
    """What a `ShownSeats` should show, from scratch for every seat (the reference
    its seat-by-seat upkeep is checked against): (seat -> shown state, free count)."""
    shown_seats = load("shown_seats")
    shown: dict[str, str] = {}
    free = 0
    for row_index, row in enumerate(seats.venue.rows):
        for offset, letter in enumerate(seats.rows[row_index]):
            seat_id = f"{row.label}{offset + 1}"
            effective = seats.over.get(seat_id, letter)
            if seat_id in seats.releasing:
                state, counted = shown_seats.PENDING, True
            elif seat_id in seats.taking:
                state, counted = shown_seats.PENDING, False
            elif effective == "b":
                state, counted = (shown_seats.MINE if seat_id in seats.booked_by_me else shown_seats.BOOKED), False
            elif effective == "h":
                state, counted = (shown_seats.SELECTED if seat_id in seats.held_by_me else shown_seats.HELD), False
            else:
                state, counted = shown_seats.FREE, True
            shown[seat_id] = state
            free += counted
    return shown, free


def shown_now(seats) -> dict[str, str]:
    """What a `ShownSeats` shows, read the way the page reads it (row by row)."""
    return {f"{row.label}{offset + 1}": state for row_index, row in enumerate(seats.venue.rows)
            for offset, state in enumerate(seats.row_states(row_index))}
