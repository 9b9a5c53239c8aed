"""Idempotency keys: which keys are valid, and which bodies count as the same."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.errors import InvalidRequest
from booking.idempotency import fingerprint, validate_key


@pytest.mark.req("idempotency")
@pytest.mark.parametrize(
    "key",
    [
        "a", "x" * 255, "550e8400-e29b-41d4-a716-446655440000", "~", "!", "key with spaces",
        "".join(map(chr, range(32, 127))),
    ],
)
def test_key_of_1_to_255_printable_ascii_characters_is_accepted_unchanged(key):
    # Act
    accepted = validate_key(key)

    # Assert
    assert accepted == key


@pytest.mark.req("idempotency")
@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "1 to 255 characters"),
        ("x" * 256, "1 to 255 characters"),
        ("clé", "printable ASCII"),
        ("tab\there", "printable ASCII"),
        ("line\nbreak", "printable ASCII"),
        ("nul\0", "printable ASCII"),
        ("del\x7f", "printable ASCII"),
        ("\u2028", "printable ASCII"),
    ],
)
def test_empty_too_long_or_non_printable_key_is_refused(key, message):
    # Act / Assert
    with pytest.raises(InvalidRequest, match=message):
        validate_key(key)


@pytest.mark.req("idempotency")
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ('{"quantity": 2}', '{"quantity":2}'),
        ('{"seats": ["A1", "A2"], "x": 1}', '{ "x" : 1 ,\n "seats" : [ "A1","A2" ] }'),
        ('{"a": {"b": 1, "c": 2}}', '{"a": {"c": 2, "b": 1}}'),
        ('{"seats": ["é"]}', '{"seats": ["\\u00e9"]}'),
        ("{}", " { } "),
    ],
)
def test_same_json_value_with_other_spacing_or_key_order_has_the_same_fingerprint(first, second):
    # Act
    prints = fingerprint(json.loads(first)), fingerprint(json.loads(second))

    # Assert
    assert prints[0] == prints[1]


@pytest.mark.req("idempotency")
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ('{"quantity": 2}', '{"quantity": 3}'),
        ('{"seats": ["A1", "A2"]}', '{"seats": ["A2", "A1"]}'),
        ('{"quantity": 1}', "{}"),
        ('{"quantity": 1}', '{"quantity": "1"}'),
        ('{"quantity": 1}', '[{"quantity": 1}]'),
    ],
)
def test_different_json_values_have_different_fingerprints(first, second):
    # Act
    prints = fingerprint(json.loads(first)), fingerprint(json.loads(second))

    # Assert
    assert prints[0] != prints[1]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=16,
)


def reversed_keys(value: object) -> object:
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


@pytest.mark.req("idempotency")
@given(value=JSON_VALUES, indent=st.none() | st.integers(0, 4))
def test_any_json_value_resent_with_other_key_order_and_spacing_has_the_same_fingerprint(value, indent):
    # Arrange
    resent = json.dumps(reversed_keys(value), indent=indent, ensure_ascii=False)

    # Act
    same = fingerprint(json.loads(resent))

    # Assert
    assert same == fingerprint(value)
