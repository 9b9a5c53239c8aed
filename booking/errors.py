"""Domain errors: requests that cannot be decided at all. Each carries the
contract's error code; `handlers/base.py` maps each class to its HTTP status in
one table. (A request that *is* decided but loses, such as a seat someone else
took, is not an error: it is a `Rejected` result, answered 409 and remembered
for its idempotency key.)"""


class BookingError(Exception):
    """Base class: `code` is the contract's `error` field, `str(self)` its message."""

    code = "error"


class InvalidRequest(BookingError):
    code = "bad_request"


class UnknownShow(BookingError):
    code = "not_found"


class UnknownBooking(BookingError):
    code = "not_found"


class UnknownHold(BookingError):
    """No such hold, or it has expired, been confirmed or been released."""

    code = "not_found"


class SeatNotInHold(BookingError):
    code = "not_found"


class WrongToken(BookingError):
    code = "forbidden"


class ShowExists(BookingError):
    code = "show_exists"
