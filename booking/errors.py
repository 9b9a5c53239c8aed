"""Domain errors. Each carries the contract's error code; handlers map them to HTTP."""


class BookingError(Exception):
    """Base class: `code` is the contract's `error` field, `str(self)` its message."""

    code = "error"


class InvalidRequest(BookingError):
    code = "bad_request"


class UnknownBooking(BookingError):
    code = "not_found"


class WrongToken(BookingError):
    code = "forbidden"
