"""Best available, by the server's rule, for the page's optimistic guess.

Pure Python, no imports; nothing runs at import. When the buyer asks for "the
best N seats", the page shows its guess of the seats the server will pick at
once (REQ-6) and replaces it with the server's answer. The rule (contract,
"Best available"):

- one seat: the front-most row with a free seat, the free seat closest to that
  row's middle, left before right;
- N >= 2: N adjacent free seats in one row, a block that strands no single free
  seat beside it (in any row) before one that does; then front row first, then
  the block closest to the row's middle, left before right;
- no row has N adjacent free seats: the best single seats, front row first, then
  closest to the middle.

Rows are given as strings, one letter a seat: "f" for a seat the guess may take,
"h", "b" or "x" for one it may not, so a row is searched with string operations (fast in
Brython too) instead of a Python loop per seat.
"""

FREE = "f"


def runs_of(row: str) -> list:
    """[(start, length)] of the free runs of a row string (letters f, h, b, x)."""
    runs = []
    if FREE not in row:
        return runs
    position = 0
    for piece in row.replace("h", "x").replace("b", "x").split("x"):
        if piece:
            runs.append((position, len(piece)))
        position += len(piece) + 1
    return runs


def best_offset_in_row(row: str, quantity: int, orphan_free: bool) -> int:
    """Start offset of the best block of `quantity` adjacent free seats in a row
    (closest to the middle, left first), -1 when there is none. With
    `orphan_free`, only blocks that leave no single free seat next to them."""
    m = len(row)
    ideal = (m - quantity) // 2
    best = None
    best_key = None
    for start, length in runs_of(row):
        if length < quantity or (orphan_free and length == quantity + 1):
            continue
        last = start + length - quantity
        for s in (start, last, ideal - 1, ideal, ideal + 1, ideal + 2):
            if s < start or s > last or (orphan_free and (s == start + 1 or s == last - 1)):
                continue
            key = (abs(2 * s + quantity - m), s)
            if best_key is None or key < best_key:
                best_key = key
                best = s
    return -1 if best is None else best


def best_singles_in_row(row: str, wanted: int) -> list:
    """Up to `wanted` free offsets of a row, closest to its middle first, left
    before right."""
    m = len(row)
    candidates = []
    for start, length in runs_of(row):
        for s in range(start, start + length):
            candidates.append((abs(2 * s + 1 - m), s))
    candidates.sort()
    return [s for _distance, s in candidates[:wanted]]


def best_available(rows: list, quantity: int) -> list:
    """(row position, offset) of the seats the server would pick, in `rows`
    (strings, front row first; the caller maps positions back to its rows).
    Fewer than `quantity` when there are not that many free seats."""
    if quantity <= 0:
        return []
    if quantity >= 2:
        for orphan_free in (True, False):
            block = FREE * quantity
            for position in range(len(rows)):
                row = rows[position]
                if block not in row:
                    continue
                offset = best_offset_in_row(row, quantity, orphan_free)
                if offset >= 0:
                    return [(position, offset + i) for i in range(quantity)]
    chosen = []
    for position in range(len(rows)):
        row = rows[position]
        if FREE not in row:
            continue
        for offset in best_singles_in_row(row, quantity - len(chosen)):
            chosen.append((position, offset))
        if len(chosen) >= quantity:
            break
    return chosen


def middle_out(length: int) -> list:
    """Positions 0..length-1, closest to the middle first, left before right:
    4 -> [1, 2, 0, 3], 5 -> [2, 1, 3, 0, 4]."""
    left = (length - 1) // 2
    right = length // 2
    order = []
    if left == right:
        order.append(left)
        left -= 1
        right += 1
    while left >= 0:
        order.append(left)
        order.append(right)
        left -= 1
        right += 1
    return order
