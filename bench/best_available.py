"""Best available on a 100,000-seat show: how long one decision takes.

In process, on the pure core (booking/), as the server runs it inside a show's
lock: `Inventory.hold` with `{"quantity": n}` (optionally in one section) picks
the seats by the no-orphan rule and takes them; the hold is then released
(untimed) so every decision sees the same house. The house is filled at random,
seat by seat, to several levels, which leaves it fragmented: the hard case for
finding adjacent seats.

    python -m bench.best_available [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time

from booking.inventory import Held, Inventory, Policy, hash_token
from booking.layout import Layout, row_label
from booking.requests import BookRequest

SECTIONS, ROWS, SEATS_PER_ROW = 10, 100, 100  # 100,000 seats
FILLS = (0.0, 0.5, 0.9, 0.99)
QUANTITIES = (1, 2, 4, 6, 10)
DECISIONS = 300


def stadium() -> Layout:
    sections = []
    for s in range(SECTIONS):
        rows = [(row_label(s * ROWS + r), SEATS_PER_ROW, ()) for r in range(ROWS)]
        sections.append((f"Block {s + 1}", 1000 * (SECTIONS - s), rows))
    return Layout(sections)


def measure() -> dict:
    layout = stadium()
    token = hash_token("bench")
    timings_us: list[float] = []
    per_case = []
    gc.disable()
    try:
        for fill in FILLS:
            inventory = Inventory("bench", layout, Policy(hold_seconds=600, max_seats=10))
            rng = random.Random(7)
            for n, seat in enumerate(rng.sample(range(layout.total), int(layout.total * fill))):
                inventory.book(BookRequest(1, (seat,)), f"fill-{n}", token, lambda n=n: f"R{n}")
            for quantity in QUANTITIES:
                for section in (None, 3):
                    case = []
                    for n in range(DECISIONS):
                        request = BookRequest(quantity, section=section)
                        started = time.perf_counter()
                        outcome = inventory.hold(request, f"h{n}", token, "bench", 0.0)
                        case.append((time.perf_counter() - started) * 1e6)
                        if isinstance(outcome, Held):
                            inventory.release(outcome.hold.id, "bench")
                    timings_us.extend(case)
                    per_case.append({"fill": fill, "quantity": quantity, "section": section,
                                     "median_us": statistics.median(case), "max_us": max(case)})
    finally:
        gc.enable()
    timings_us.sort()
    return {
        "seats": layout.total,
        "decisions": len(timings_us),
        "median_us": statistics.median(timings_us),
        "p99_us": timings_us[int(len(timings_us) * 0.99)],
        "max_us": timings_us[-1],
        "slowest_case": max(per_case, key=lambda c: c["median_us"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()
    result = measure()
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
