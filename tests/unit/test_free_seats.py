"""The free-seat map behind best available, against a brute-force reading of the
contract's rule: front row first, closest to the row's middle, left before right;
for a block, one that strands no single free seat beside it (in any row) first."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.free_seats import FreeSeats
from booking.layout import Layout, row_label

# -- the rule, by brute force over every seat ----------------------------------------------------------


def brute_block(layout: Layout, free: list[bool], quantity: int, section: int | None,
                orphan_free: bool) -> tuple[int, int] | None:
    """(row, offset) of the best `quantity` adjacent free seats, trying every start."""
    rows = range(len(layout.rows)) if section is None else layout.sections[section].rows
    for r in rows:
        row = layout.rows[r]
        m = len(row)

        def is_free(offset: int, row: range = row, m: int = m) -> bool:
            return 0 <= offset < m and free[row.start + offset]

        best = None
        for s in range(m - quantity + 1):
            if not all(is_free(s + k) for k in range(quantity)):
                continue
            stranded_left = is_free(s - 1) and not is_free(s - 2)
            stranded_right = is_free(s + quantity) and not is_free(s + quantity + 1)
            if orphan_free and (stranded_left or stranded_right):
                continue
            key = (abs(2 * s + quantity - m), s)  # twice the distance of the block's centre to the middle
            if best is None or key < best:
                best = key
        if best is not None:
            return r, best[1]
    return None


def brute_seats(layout: Layout, free: list[bool], quantity: int, section: int | None) -> list[tuple[int, int]]:
    """(row, offset) of the `quantity` best free seats, ranking every free seat."""
    rows = range(len(layout.rows)) if section is None else layout.sections[section].rows
    ranked = []
    for r in rows:
        row = layout.rows[r]
        m = len(row)
        ranked.extend((r, abs(2 * s + 1 - m), s) for s in range(m) if free[row.start + s])
    return [(r, s) for r, _, s in sorted(ranked)[:quantity]]


def layout_of(sections: list[list[int]]) -> Layout:
    """Sections S0, S1, … of rows A, B, … with the given lengths."""
    spec, n = [], 0
    for s, lengths in enumerate(sections):
        rows = []
        for length in lengths:
            rows.append((row_label(n), length, ()))
            n += 1
        spec.append((f"S{s}", 100 * (s + 1), rows))
    return Layout(spec)


def rows_of(*patterns: str) -> tuple[Layout, list[bool]]:
    """One section, one row per pattern: `.` a free seat, `x` a taken one."""
    layout = layout_of([[len(p) for p in patterns]])
    return layout, [ch == "." for p in patterns for ch in p]


# -- hand-checked tables ---------------------------------------------------------------------------------


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("rows", "quantity", "orphan_free", "expected"),
    [
        # Four free: the centre pair strands a seat each side; the no-orphan pair is at an end, left on a tie.
        pytest.param(["...."], 2, True, (0, 0), id="4-free-pair-goes-to-the-left-end"),
        pytest.param(["...."], 2, False, (0, 1), id="4-free-pair-centred-when-orphans-allowed"),
        # Five free: offsets 1 and 2 strand seat 1 or seat 5; 0 and 3 tie, left wins.
        pytest.param(["....."], 2, True, (0, 0), id="5-free-pair-at-an-end"),
        pytest.param(["....."], 2, False, (0, 1), id="5-free-pair-centred-left-on-tie"),
        # Three free: any pair strands the third.
        pytest.param(["..."], 2, True, None, id="3-free-no-pair-without-an-orphan"),
        pytest.param(["..."], 2, False, (0, 0), id="3-free-pair-left-when-orphans-allowed"),
        # Exactly the block's size fits with no orphan.
        pytest.param(["x..x"], 2, True, (0, 1), id="exact-run"),
        # A run of 3 (orphan) and a run of 2 (exact) in one row: the exact one, though further out.
        pytest.param(["...x.."], 2, True, (0, 4), id="exact-run-beats-central-orphaning-block"),
        pytest.param(["...x.."], 2, False, (0, 1), id="central-block-when-orphans-allowed"),
        # A row behind with no orphan beats a front row that would strand a seat.
        pytest.param(["...", "...."], 2, True, (1, 0), id="no-orphan-row-behind-beats-front-row"),
        pytest.param(["...", "...."], 2, False, (0, 0), id="front-row-when-orphans-allowed"),
        # Seven free, three wanted: the centre leaves two each side.
        pytest.param(["......."], 3, True, (0, 2), id="7-free-block-of-3-centred"),
        # Eight free, three wanted: offsets 2 and 3 leave 2+3 / 3+2; tie, left.
        pytest.param(["........"], 3, True, (0, 2), id="8-free-block-of-3-left-of-centre"),
        # Six free, three wanted: the two central blocks strand a seat.
        pytest.param(["......"], 3, True, (0, 0), id="6-free-block-of-3-at-the-left-end"),
        pytest.param(["......"], 3, False, (0, 1), id="6-free-block-of-3-centred-left"),
        # Four free seats (run of q + 2): a block at either end leaves a pair, never in the middle.
        pytest.param(["x....xxxxx"], 2, True, (0, 3), id="run-of-4-block-at-its-right-end-nearer-middle"),
        pytest.param(["xxxxx....x"], 2, True, (0, 5), id="run-of-4-block-at-its-left-end-nearer-middle"),
        # Runs separated by a taken seat each side of the middle.
        pytest.param(["x....x...."], 2, True, (0, 3), id="two-runs-of-4-nearest-end"),
        pytest.param(["x....x...."], 2, False, (0, 3), id="two-runs-of-4-same-either-way"),
        # A single free seat beside a taken one is not "stranded by" the block unless the block is beside it.
        pytest.param([".x..x."], 2, True, (0, 2), id="existing-single-seats-do-not-count"),
        # Nothing big enough anywhere.
        pytest.param([".x.", "x.x"], 2, False, None, id="no-two-adjacent"),
        pytest.param(["xxx"], 1, False, None, id="row-full"),
    ],
)
def test_best_block_follows_the_no_orphan_rule(rows, quantity, orphan_free, expected):
    # Arrange
    layout, free = rows_of(*rows)
    seats = FreeSeats(layout, free)

    # Act
    found = seats.best_block(quantity, None, orphan_free)

    # Assert
    assert found == expected
    assert found == brute_block(layout, free, quantity, None, orphan_free)


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("sections", "section", "quantity", "expected"),
    [
        # Section 0 is rows A, B; section 1 rows C, D; all free.
        pytest.param(None, None, 2, (0, 1), id="anywhere-front-row"),
        pytest.param(None, 1, 2, (2, 1), id="second-section-its-own-front-row"),
        pytest.param(["xxxx", "xxxx"], 0, 1, None, id="section-full-though-others-are-not"),
        pytest.param(["xxxx", "x..x"], 0, 2, (1, 1), id="section-its-back-row"),
    ],
)
def test_best_block_in_a_section_looks_only_at_its_rows(sections, section, quantity, expected):
    # Arrange
    layout = layout_of([[4, 4], [4, 4]])
    patterns = (sections or ["....", "...."]) + ["....", "...."]
    free = [ch == "." for p in patterns for ch in p]
    seats = FreeSeats(layout, free)

    # Act
    found = seats.best_block(quantity, section, False)

    # Assert
    assert found == expected


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("rows", "quantity", "expected"),
    [
        pytest.param([".x.x."], 2, [(0, 2), (0, 0)], id="middle-then-left"),
        pytest.param(["x.x.", "..."], 3, [(0, 1), (0, 3), (1, 1)], id="front-row-first-then-next-row-middle"),
        pytest.param(["....."], 5, [(0, 2), (0, 1), (0, 3), (0, 0), (0, 4)], id="outward-left-before-right"),
        pytest.param(["x.", "xx"], 3, [(0, 1)], id="fewer-when-not-that-many"),
        pytest.param(["xx"], 1, [], id="none-free"),
    ],
)
def test_best_seats_are_front_row_first_then_closest_to_the_middle(rows, quantity, expected):
    # Arrange
    layout, free = rows_of(*rows)
    seats = FreeSeats(layout, free)

    # Act
    found = seats.best_seats(quantity, None)

    # Assert
    assert found == expected


@pytest.mark.req("best-available")
def test_take_and_give_back_split_and_merge_runs():
    # Arrange
    layout, free = rows_of("......")
    seats = FreeSeats(layout, free)

    # Act
    seats.take(0, 1, 2)  # .xx...
    after_take = (seats.available, list(seats.row_free), seats.best_block(3, None, False),
                  seats.best_block(4, None, False))
    seats.give_back(0, 2)  # .x....
    after_give = (seats.available, seats.best_block(4, None, True), seats.is_free(0, 2), seats.is_free(0, 1))

    # Assert
    assert after_take == (4, [4], (0, 3), None)
    assert after_give == (5, (0, 2), True, False)


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("offset", "count"),
    [(1, 1), (0, 2), (2, 4), (4, 2), (5, 1)],
    ids=["taken-seat", "run-then-taken", "past-the-run", "past-the-row", "off-the-row"],
)
def test_taking_seats_that_are_not_all_free_is_refused_and_changes_nothing(offset, count):
    # Arrange
    layout, free = rows_of(".x...")
    seats = FreeSeats(layout, free)

    # Act / Assert
    with pytest.raises(ValueError, match="not all free"):
        seats.take(0, offset, count)
    assert (seats.available, seats.row_free, [seats.is_free(0, s) for s in range(5)]) == (
        4, [4], [True, False, True, True, True])
    assert seats.best_block(3, None, False) == (0, 2)


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("offset", "count"),
    [(0, 1), (2, 1), (4, 1), (0, 2), (1, 2), (2, 3)],
    ids=["free-left", "free-run-start", "free-run-end", "free-then-taken", "taken-then-free", "all-free"],
)
def test_giving_back_seats_any_of_which_is_free_is_refused_and_changes_nothing(offset, count):
    # Arrange
    layout, free = rows_of(".x...")
    seats = FreeSeats(layout, free)

    # Act / Assert
    with pytest.raises(ValueError, match="already free"):
        seats.give_back(0, offset, count)
    assert (seats.available, [seats.is_free(0, s) for s in range(5)]) == (4, [True, False, True, True, True])


@pytest.mark.req("best-available")
@pytest.mark.parametrize(
    ("pattern", "offset", "count", "after", "longest_run"),
    [
        pytest.param(".xxx.", 1, 3, ".....", 5, id="merges-both-sides"),
        pytest.param("xxx..", 0, 3, ".....", 5, id="merges-right"),
        pytest.param("..xxx", 2, 3, ".....", 5, id="merges-left"),
        pytest.param("xxxxx", 1, 2, "x..xx", 2, id="alone"),
        pytest.param(".xxxx", 1, 2, "...xx", 3, id="merges-left-part-of-a-block"),
    ],
)
def test_giving_back_a_block_merges_it_with_free_neighbours(pattern, offset, count, after, longest_run):
    # Arrange
    layout, free = rows_of(pattern)
    seats = FreeSeats(layout, free)

    # Act
    seats.give_back(0, offset, count)

    # Assert
    assert "".join("." if seats.is_free(0, s) else "x" for s in range(5)) == after
    assert seats.available == after.count(".")
    assert seats.best_block(longest_run, None, False) is not None
    assert seats.best_block(longest_run + 1, None, False) is None


# -- against brute force, over random layouts and histories ----------------------------------------------

SECTIONS = st.lists(st.lists(st.integers(1, 30), min_size=1, max_size=4), min_size=1, max_size=3)


@st.composite
def histories(draw):
    """A layout, a starting free pattern, and a history of takes and give-backs."""
    layout = layout_of(draw(SECTIONS))
    density = draw(st.sampled_from([0.0, 0.2, 0.5, 0.8, 1.0]))
    free = draw(st.lists(st.booleans() if 0 < density < 1 else st.just(density == 1.0),
                         min_size=layout.total, max_size=layout.total))
    steps = draw(st.lists(st.tuples(st.integers(0, layout.total - 1), st.integers(1, 4)), max_size=40))
    return layout, free, steps


def apply(seats: FreeSeats, layout: Layout, free: list[bool], seat: int, count: int) -> None:
    """Take a free seat, or give back a taken one, with as many seats after it in its
    row in the same state as fit, up to `count`; mirror it in `free`."""
    r = layout.row_index_of(seat)
    row = layout.rows[r]
    offset = seat - row.start
    was_free = free[seat]
    n = 1
    while n < count and offset + n < len(row) and free[seat + n] == was_free:
        n += 1
    if was_free:
        seats.take(r, offset, n)
    else:
        seats.give_back(r, offset, n)
    for k in range(n):
        free[seat + k] = not was_free


def check_counts(seats: FreeSeats, layout: Layout, free: list[bool]) -> None:
    assert seats.available == sum(free) == seats.free_in(None)
    assert seats.row_free == [sum(free[i] for i in row) for row in layout.rows]
    for s, section in enumerate(layout.sections):
        expected = sum(free[i] for r in section.rows for i in layout.rows[r])
        assert seats.section_free[s] == expected == seats.free_in(s)
    for r, row in enumerate(layout.rows):
        assert [seats.is_free(r, i - row.start) for i in row] == [free[i] for i in row]


@pytest.mark.req("best-available")
@settings(max_examples=300, deadline=None)
@given(history=histories(), longest_block=st.sampled_from([1, 2, 3, 5, 8, 62]))
def test_free_seats_answer_as_brute_force_after_any_history(history, longest_block):
    """Also with short `longest_block`s, where long runs share one bit of a row's
    mask: the masks must still find exactly the blocks brute force finds."""
    # Arrange
    layout, free, steps = history
    free = list(free)
    seats = FreeSeats(layout, free, longest_block)
    check_counts(seats, layout, free)

    # Act
    for seat, count in steps:
        apply(seats, layout, free, seat, count)
        check_counts(seats, layout, free)

    # Assert
    for section in [None, *range(len(layout.sections))]:
        for quantity in range(1, min(9, longest_block + 1)):
            for orphan_free in (True, False):
                assert seats.best_block(quantity, section, orphan_free) == brute_block(
                    layout, free, quantity, section, orphan_free), (quantity, section, orphan_free)
            assert seats.best_seats(quantity, section) == brute_seats(layout, free, quantity, section), (
                quantity, section)


@pytest.mark.req("best-available")
@settings(max_examples=100, deadline=None)
@given(history=histories(), quantity=st.integers(1, 6), orphan_free=st.booleans())
def test_best_block_stays_right_at_every_step_of_a_history(history, quantity, orphan_free):
    # Arrange
    layout, free, steps = history
    free = list(free)
    seats = FreeSeats(layout, free)

    for seat, count in steps:
        # Act
        apply(seats, layout, free, seat, count)

        # Assert
        assert seats.best_block(quantity, None, orphan_free) == brute_block(layout, free, quantity, None, orphan_free)
        assert seats.best_seats(quantity, None) == brute_seats(layout, free, quantity, None)


@pytest.mark.req("best-available")
@settings(max_examples=50, deadline=None)
@given(length=st.integers(1, 400), taken=st.sets(st.integers(0, 399), max_size=60), quantity=st.integers(1, 12))
def test_long_rows_answer_as_brute_force(length, taken, quantity):
    # Arrange: one long row, so runs far from the middle and many runs of one length occur
    layout = layout_of([[length]])
    free = [i not in taken for i in range(length)]
    seats = FreeSeats(layout, free)

    # Act
    found = [seats.best_block(quantity, None, orphan_free) for orphan_free in (True, False)]
    singles = seats.best_seats(quantity, None)

    # Assert
    assert found == [brute_block(layout, free, quantity, None, orphan_free) for orphan_free in (True, False)]
    assert singles == brute_seats(layout, free, quantity, None)


@pytest.mark.req("best-available")
def test_a_block_longer_than_the_map_was_built_for_is_refused():
    # Arrange
    layout, free = rows_of("..........")
    seats = FreeSeats(layout, free, longest_block=4)

    # Act / Assert
    assert seats.best_block(4, None, True) == (0, 3)
    with pytest.raises(ValueError, match="at most 4"):
        seats.best_block(5, None, False)
