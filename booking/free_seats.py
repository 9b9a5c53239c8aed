"""Which seats are free, kept so that "best available" never scans the house.

Each row keeps its free seats as *runs* (maximal blocks of adjacent free seats):
sorted run starts plus each run's length. Each row also has a *length mask*, one
bit per run length present (bit 5 set: the row has a run of exactly 5 free
seats), runs longer than any request can use sharing one bit. A segment tree
over the rows ORs those masks, so "the front-most row, in
this range of rows, with a run whose length is in this set" is one descent of
the tree, O(log rows), and the best block within that row looks only at that
row's runs. Booking or freeing seats splits or merges at most two runs and, only
when the row's mask changes, updates one path of the tree.

Seat positions inside a row are 0-based offsets; the caller (the inventory)
translates between them and layout indexes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator

from booking.layout import Layout

# Runs this long or longer share one bit of a row's mask (see `FreeSeats`).
DEFAULT_LONGEST_BLOCK = 62


class FreeSeats:
    def __init__(self, layout: Layout, free: list[bool], longest_block: int = DEFAULT_LONGEST_BLOCK) -> None:
        """`free[i]` says whether seat index i is free. `longest_block` is the most
        adjacent seats one request may ask for: a row's mask has a bit for each run
        length up to `longest_block + 1` and one bit for all longer runs, so taking a
        seat out of a long run (the usual case) leaves the mask, and the tree above
        it, untouched."""
        self.layout = layout
        self._cap = longest_block + 2
        self._long_runs = [0] * len(layout.rows)  # per row: runs of `_cap` seats or more
        rows = layout.rows
        self._starts: list[list[int]] = []  # per row: sorted offsets where free runs start
        self._length_at: list[dict[int, int]] = []  # per row: run start offset -> run length
        self._by_length: list[dict[int, list[int]]] = []  # per row: run length -> sorted starts of such runs
        self.row_free = [0] * len(rows)
        self.section_free = [0] * len(layout.sections)
        size = 1
        while size < len(rows):
            size *= 2
        self._size = size
        self._tree = [0] * (2 * size)
        for row_index, row in enumerate(rows):
            starts, length_at, by_length = [], {}, {}
            run_start = None
            for offset in range(len(row) + 1):
                is_free = offset < len(row) and free[row.start + offset]
                if is_free and run_start is None:
                    run_start = offset
                elif not is_free and run_start is not None:
                    starts.append(run_start)
                    length = offset - run_start
                    length_at[run_start] = length
                    by_length.setdefault(length, []).append(run_start)
                    run_start = None
            self._starts.append(starts)
            self._length_at.append(length_at)
            self._by_length.append(by_length)
            free_here = sum(length_at.values())
            self.row_free[row_index] = free_here
            self.section_free[layout.row_section[row_index]] += free_here
            mask = 0
            for length, same_length in by_length.items():
                if length >= self._cap:
                    self._long_runs[row_index] += len(same_length)
                mask |= 1 << min(length, self._cap)
            self._tree[size + row_index] = mask
        for node in range(size - 1, 0, -1):
            self._tree[node] = self._tree[2 * node] | self._tree[2 * node + 1]
        self.available = sum(self.row_free)
        # No row before `_front` has a free seat: single seats for the whole house
        # (Part 1's "Book seat") start there without walking the tree.
        self._front = 0

    # -- queries ----------------------------------------------------------------------

    def is_free(self, row_index: int, offset: int) -> bool:
        starts = self._starts[row_index]
        i = bisect_right(starts, offset) - 1
        return i >= 0 and offset < starts[i] + self._length_at[row_index][starts[i]]

    def free_in(self, section: int | None) -> int:
        return self.available if section is None else self.section_free[section]

    def best_block(self, quantity: int, section: int | None, orphan_free: bool) -> tuple[int, int] | None:
        """(row, offset) of the best `quantity` adjacent free seats: the front-most
        row that has such a block, then the block closest to that row's middle, left
        before right. With `orphan_free`, only blocks that leave no single free seat
        stranded next to them in the row (a run of exactly `quantity`, or of
        `quantity` + 2 or more)."""
        if quantity > self._cap - 2:
            raise ValueError(f"blocks of at most {self._cap - 2} seats; {quantity} asked for")
        wanted = _lengths_from(quantity)
        if orphan_free:
            wanted &= ~(1 << (quantity + 1))
        rows = range(len(self.layout.rows)) if section is None else self.layout.sections[section].rows
        row_index = self._first_row(rows.start, rows.stop, wanted)
        if row_index < 0:
            return None
        return row_index, self._best_offset_in_row(row_index, quantity, orphan_free)

    def best_seats(self, quantity: int, section: int | None) -> list[tuple[int, int]]:
        """(row, offset) of the `quantity` best free seats, not necessarily adjacent:
        front row first, then closest to the row's middle, left before right. Fewer
        when there are not that many."""
        rows = range(len(self.layout.rows)) if section is None else self.layout.sections[section].rows
        chosen: list[tuple[int, int]] = []
        row_index = rows.start - 1
        if section is None:
            if self._front < rows.stop and not self.row_free[self._front]:
                front = self._first_row(self._front, rows.stop, -1)
                self._front = rows.stop if front < 0 else front
            if self._front == rows.stop:
                return chosen
            row_index = self._front
            chosen.extend((row_index, offset) for offset in self._best_offsets_in_row(row_index, quantity))
        while len(chosen) < quantity:
            row_index = self._first_row(row_index + 1, rows.stop, -1)
            if row_index < 0:
                break
            wanted = quantity - len(chosen)
            chosen.extend((row_index, offset) for offset in self._best_offsets_in_row(row_index, wanted))
        return chosen

    # -- changes ----------------------------------------------------------------------

    def take(self, row_index: int, offset: int, count: int = 1) -> None:
        """Mark `count` adjacent free seats from `offset` as taken (they must all be
        free and in one run)."""
        starts, length_at = self._starts[row_index], self._length_at[row_index]
        i = bisect_right(starts, offset) - 1
        run_start = starts[i] if i >= 0 else 0
        run_length = length_at[run_start] if i >= 0 else 0
        if i < 0 or offset + count > run_start + run_length:
            raise ValueError(f"seats {offset}..{offset + count - 1} of row {row_index} are not all free")
        mask_before = self._tree[self._size + row_index]
        self._drop_run(row_index, i, run_start, run_length)
        if offset > run_start:
            self._add_run(row_index, run_start, offset - run_start)
        end = run_start + run_length
        if offset + count < end:
            self._add_run(row_index, offset + count, end - offset - count)
        self._counted(row_index, -count, mask_before)

    def give_back(self, row_index: int, offset: int, count: int = 1) -> None:
        """Mark `count` adjacent taken seats from `offset` free again, merging them
        with free neighbours."""
        starts, length_at = self._starts[row_index], self._length_at[row_index]
        mask_before = self._tree[self._size + row_index]
        i = bisect_right(starts, offset + count - 1) - 1
        start, length = offset, count
        if i >= 0:
            before = starts[i]
            before_length = length_at[before]
            if offset < before + before_length:
                raise ValueError(f"seats {offset}..{offset + count - 1} of row {row_index}: some are already free")
            if before + before_length == offset:
                self._drop_run(row_index, i, before, before_length)
                start, length = before, before_length + count
        after_length = length_at.get(offset + count)
        if after_length is not None:
            self._drop_run(row_index, bisect_right(starts, offset + count) - 1, offset + count, after_length)
            length += after_length
        self._add_run(row_index, start, length)
        self._counted(row_index, count, mask_before)

    # -- internals --------------------------------------------------------------------

    def _drop_run(self, row_index: int, position: int, start: int, length: int) -> None:
        del self._starts[row_index][position]
        del self._length_at[row_index][start]
        same_length = self._by_length[row_index][length]
        last_of_its_length = len(same_length) == 1
        if last_of_its_length:
            del self._by_length[row_index][length]
        else:
            del same_length[bisect_right(same_length, start) - 1]
        # The row's mask (the tree's leaf; `_counted` passes a change up).
        if length < self._cap:
            if last_of_its_length:
                self._tree[self._size + row_index] &= ~(1 << length)
        else:
            self._long_runs[row_index] -= 1
            if not self._long_runs[row_index]:
                self._tree[self._size + row_index] &= ~(1 << self._cap)

    def _add_run(self, row_index: int, start: int, length: int) -> None:
        starts = self._starts[row_index]
        starts.insert(bisect_right(starts, start), start)
        self._length_at[row_index][start] = length
        same_length = self._by_length[row_index].get(length)
        if same_length is None:
            self._by_length[row_index][length] = [start]
        else:
            same_length.insert(bisect_right(same_length, start), start)
        if length >= self._cap:
            self._long_runs[row_index] += 1
        self._tree[self._size + row_index] |= 1 << min(length, self._cap)

    def _counted(self, row_index: int, delta: int, mask_before: int) -> None:
        if delta > 0 and row_index < self._front:
            self._front = row_index
        self.row_free[row_index] += delta
        self.section_free[self.layout.row_section[row_index]] += delta
        self.available += delta
        tree = self._tree
        node = self._size + row_index
        if tree[node] == mask_before:
            return
        node //= 2
        while node:
            combined = tree[2 * node] | tree[2 * node + 1]
            if tree[node] == combined:
                break
            tree[node] = combined
            node //= 2

    def _first_row(self, lo: int, hi: int, wanted: int) -> int:
        """The smallest row index in [lo, hi) whose mask meets `wanted`, or -1."""
        tree, size = self._tree, self._size
        if lo == 0 and hi == len(self._starts):  # the whole house: straight down from the root
            if not tree[1] & wanted:
                return -1
            node = 1
            while node < size:
                node = 2 * node if tree[2 * node] & wanted else 2 * node + 1
            return node - size
        left_nodes, right_nodes = [], []
        lo += size
        hi += size
        while lo < hi:
            if lo & 1:
                left_nodes.append(lo)
                lo += 1
            if hi & 1:
                hi -= 1
                right_nodes.append(hi)
            lo //= 2
            hi //= 2
        for node in left_nodes + right_nodes[::-1]:
            if tree[node] & wanted:
                while node < size:
                    node = 2 * node if tree[2 * node] & wanted else 2 * node + 1
                return node - size
        return -1

    def _best_offset_in_row(self, row_index: int, quantity: int, orphan_free: bool) -> int:
        """The start offset of the best qualifying block in a row known to have one.

        Distances are doubled to stay in integers: a block starting at offset s has
        its centre at number s + (q + 1) / 2 and the row's middle is (m + 1) / 2, so
        twice their distance is |2s + q - m|. Among runs of one length, the best
        block is in one of the runs nearest the middle (a run further out is at
        least q + 1 seats further away, more than the orphan rule can shift a block
        inside a run), so each length present costs a bisect and two runs a side,
        however long the row."""
        m = len(self.layout.rows[row_index])
        ideal = (m - quantity) // 2  # the left one of the two best starts when they tie
        best: tuple[int, int] | None = None
        for length, starts in self._by_length[row_index].items():
            if length < quantity or (orphan_free and length == quantity + 1):
                continue
            nearest = bisect_right(starts, ideal)
            for start in starts[max(0, nearest - 2):nearest + 2]:
                last = start + length - quantity
                for s in {start, last, *range(ideal - 1, ideal + 3)}:
                    if s < start or s > last or (orphan_free and (s == start + 1 or s == last - 1)):
                        continue
                    key = (abs(2 * s + quantity - m), s)
                    if best is None or key < best:
                        best = key
        assert best is not None, "the row was chosen because it has a qualifying run"
        return best[1]

    def _best_offsets_in_row(self, row_index: int, wanted: int) -> list[int]:
        """Up to `wanted` free offsets of a row, closest to its middle first (left
        before right), visiting runs outward from the middle."""
        m = len(self.layout.rows[row_index])
        ideal = (m - 1) // 2
        if wanted == 1:
            return [self._nearest_free_offset(row_index, ideal, m)]
        candidates: list[tuple[int, int]] = []
        for bound, start, length in self._runs_outward(row_index, ideal, 1):
            if len(candidates) >= wanted and bound > candidates[wanted - 1][0]:
                break
            centre = min(max(ideal, start), start + length - 1)
            lo, hi = max(start, centre - wanted), min(start + length, centre + wanted + 1)
            candidates.extend((abs(2 * s + 1 - m), s) for s in range(lo, hi))
            candidates.sort()
        return [s for _, s in candidates[:wanted]]

    def _nearest_free_offset(self, row_index: int, ideal: int, m: int) -> int:
        """The free seat closest to the middle: in the run at or left of `ideal`
        (its seat nearest `ideal`) or in the next run (its first seat); runs
        further out are further away."""
        starts, length_at = self._starts[row_index], self._length_at[row_index]
        i = bisect_right(starts, ideal) - 1
        best: tuple[int, int] | None = None
        if i >= 0:
            s = min(ideal, starts[i] + length_at[starts[i]] - 1)
            best = (abs(2 * s + 1 - m), s)
        if i + 1 < len(starts):
            s = starts[i + 1]
            if best is None or (abs(2 * s + 1 - m), s) < best:
                best = (abs(2 * s + 1 - m), s)
        assert best is not None, "the row was chosen because it has a free seat"
        return best[1]

    def _runs_outward(self, row_index: int, ideal: int, quantity: int) -> Iterator[tuple[int, int, int]]:
        """(lower bound of the doubled distance, start, length) of each run of a row,
        in increasing bound: the run at or left of `ideal`, then whichever side is
        nearer at each step. The bound is what the run's best block of `quantity`
        would score: runs further out on a side never score better."""
        starts, length_at = self._starts[row_index], self._length_at[row_index]
        m = len(self.layout.rows[row_index])
        left = bisect_right(starts, ideal) - 1
        right = left + 1

        def bound(position: int) -> int:
            start = starts[position]
            s = min(max(ideal, start), start + length_at[start] - quantity)
            return abs(2 * max(s, start) + quantity - m)

        while left >= 0 or right < len(starts):
            if right >= len(starts) or (left >= 0 and bound(left) <= bound(right)):
                position, left = left, left - 1
            else:
                position, right = right, right + 1
            start = starts[position]
            yield bound(position), start, length_at[start]


def _lengths_from(quantity: int) -> int:
    """A mask with every bit from `quantity` up, as far as any run can reach."""
    return -1 << quantity
