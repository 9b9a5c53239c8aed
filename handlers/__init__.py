"""Thin Tornado handlers: parse the request, call the service, render the contract's JSON."""
