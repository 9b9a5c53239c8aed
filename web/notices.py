"""Every sentence the page says to the buyer, in one place.

Pure Python, no imports; nothing runs at import. Notices (`#message`) say what
went wrong and what happens next; announcements (the polite live region) say what
went right. Words work for a mouse, a finger, a keyboard and a screen reader
alike ("select", never "click").
"""

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩"}
# ISO 4217 currencies with no minor unit (prices are in minor units).
NO_DECIMALS = {"JPY", "KRW", "ISK", "CLP", "VND", "XAF", "XOF", "UGX", "PYG", "RWF"}


def describe_seats(seats: list) -> str:
    """"A5", "A5 and A6", "A5, A6 and A7"."""
    if not seats:
        return "the seat"
    if len(seats) == 1:
        return seats[0]
    return ", ".join(seats[:-1]) + " and " + seats[-1]


def plural(count: int, one: str, many: str = "") -> str:
    return str(count) + " " + (one if count == 1 else (many or one + "s"))


def format_price(minor: int, currency: str) -> str:
    """4500 EUR -> "€45.00"; 1200 JPY -> "¥1200"; 999 CHF -> "9.99 CHF"."""
    negative = minor < 0
    minor = -minor if negative else minor
    if currency in NO_DECIMALS:
        amount = str(minor)
    else:
        cents = str(minor % 100)
        amount = _thousands(minor // 100) + "." + ("0" + cents if len(cents) == 1 else cents)
    sign = "-" if negative else ""
    if currency in SYMBOLS:
        return sign + SYMBOLS[currency] + amount
    return sign + amount + " " + currency


def _thousands(whole: int) -> str:
    text = str(whole)
    groups = []
    while len(text) > 3:
        groups.insert(0, text[-3:])
        text = text[:-3]
    groups.insert(0, text)
    return ",".join(groups)


def format_countdown(seconds: int) -> str:
    """125 -> "2:05"."""
    seconds = max(0, seconds)
    rest = str(seconds % 60)
    return str(seconds // 60) + ":" + ("0" + rest if len(rest) == 1 else rest)


def spell_reference(reference: str) -> str:
    """"K7Q-M4ZP" -> "K 7 Q, M 4 Z P": one character at a time, to read out."""
    groups = []
    for group in reference.split("-"):
        groups.append(" ".join(list(group)))
    return ", ".join(groups)


# ---- holds ---------------------------------------------------------------------

def held(seats: list, seconds: int) -> str:
    return (describe_seats(seats) + (" is" if len(seats) == 1 else " are") + " in your basket, held for "
            + format_countdown(seconds) + ".")


def held_late(seats: list) -> str:
    return ("The server held " + describe_seats(seats) + " for you after all: "
            + ("it is" if len(seats) == 1 else "they are") + " back in your basket.")


def removed(seat_id: str) -> str:
    return seat_id + " was taken out of your basket."


def released(seats: list) -> str:
    return "Your basket is empty: " + describe_seats(seats) + (" was" if len(seats) == 1 else " were") + " let go."


def taken(seats: list) -> str:
    return describe_seats(seats) + (" was" if len(seats) == 1 else " were") + " just taken by someone else."


def sold_out(available: int, quantity: int, section: str) -> str:
    where = " in " + section if section else ""
    if available <= 0:
        return "Sold out" + where + ": there are no free seats left."
    return ("Only " + plural(available, "seat") + " left" + where + ", not " + str(quantity)
            + ". Choose fewer seats.")


def hold_expired(seats: list) -> str:
    if not seats:
        return "Your hold expired. Pick your seats again."
    return ("Your hold expired: " + describe_seats(seats) + (" was" if len(seats) == 1 else " were")
            + " let go. Pick your seats again.")


def too_many(kind: str) -> str:
    return "Too many " + kind + " from this network at once. Please wait a moment and try again."


def basket_full(limit_text: str) -> str:
    return "Your basket is full (" + limit_text + "). Check out these seats first."


def not_available(seat_id: str, state_words: str) -> str:
    return seat_id + " is " + state_words + " and cannot be chosen."


# ---- failures with no answer (timeouts, network) ---------------------------------

def no_answer(what: str, seats: list, timeout: bool) -> str:
    """The view was rolled back; the request keeps being asked (same key)."""
    about = (" of " + describe_seats(seats)) if seats else ""
    start = "No answer from the server in time" if timeout else "Network problem"
    return (start + ": your " + what + about + " was undone for now. We keep asking the server, "
            "and if it went through you will get it back.")


def server_error(what: str) -> str:
    return "Server error: your " + what + " was undone. Please try again."


def refused(what: str, detail: str) -> str:
    return "Your " + what + " was refused (" + detail + ") and undone."


# ---- checkout -----------------------------------------------------------------

def confirmed(references: list) -> str:
    if len(references) == 1:
        return "Booked. Your reference is " + references[0] + ": " + spell_reference(references[0]) + "."
    return "Booked. Your references are " + ", ".join(references) + "."


def confirmed_late(seats: list, reference: str) -> str:
    return ("Your booking of " + describe_seats(seats) + " went through after all. Reference "
            + reference + ".")


def confirm_expired(taken_seats: list) -> str:
    if taken_seats:
        return ("Your hold expired and " + describe_seats(taken_seats) + (" was" if len(taken_seats) == 1
                                                                          else " were")
                + " taken since, so nothing was booked. Pick your seats again.")
    return "Your hold expired before the booking, so nothing was booked. Pick your seats again."


def basket_empty() -> str:
    return "Your basket is empty: choose seats before checking out."


def need_details(missing: list) -> str:
    return "Please fill in " + " and ".join(missing) + " to book."


# ---- my bookings --------------------------------------------------------------

def cancelled(seats: list, reference: str) -> str:
    return "Booking " + reference + " is cancelled: " + describe_seats(seats) + " released."


def already_cancelled(seats: list) -> str:
    return "That booking (" + describe_seats(seats) + ") was already cancelled."


def not_yours(seats: list) -> str:
    return describe_seats(seats) + " can no longer be cancelled from this browser."


def confirm_cancel_question(reference: str, seats: list) -> str:
    return ("Cancel booking " + reference + " for " + describe_seats(seats)
            + "? The seats go back on sale for anyone.")


# ---- the connection -----------------------------------------------------------

def offline_banner(seconds_since: int, clock: str) -> str:
    if seconds_since < 0:
        return "No connection to the server yet. Bookings may fail until it is back."
    return ("Connection to the server lost. Bookings may fail. Last heard from the server at " + clock
            + " (" + _ago(seconds_since) + ").")


def _ago(seconds: int) -> str:
    if seconds < 60:
        return plural(seconds, "second") + " ago"
    minutes = seconds // 60
    return plural(minutes, "minute") + " ago"
