"""Booking rules: plain Python, no Tornado, no I/O.

Values in, values or domain exceptions out. The application layer (`app/`) wraps
these in a lock, a durable store and an event stream.
"""
