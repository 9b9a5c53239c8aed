"""Server options: flags beat `SEATS_*` variables, which beat the defaults."""

from __future__ import annotations

import dataclasses

import pytest

from app.config import Config, metrics_endpoint, parse_config


@pytest.mark.req("config")
def test_no_flags_and_no_variables_give_the_contracts_defaults():
    # Act
    config = parse_config([], {})

    # Assert
    assert config == Config()
    assert (config.host, config.port, config.seats, config.row_size, config.db) == (
        "127.0.0.1", 8888, 100, 10, "data/seats.db",
    )
    assert (config.heartbeat, config.max_per_booking, config.max_streams, config.max_backlog) == (
        15.0, 10, 10_000, 1_048_576,
    )
    assert (config.rate_limit, config.shutdown_timeout) == (0.0, 5.0)
    assert (config.hold_seconds, config.max_holds_per_client, config.late_confirm_seconds) == (600.0, 20, 3600.0)
    assert (config.admin_token, config.layout) == ("", "")


@pytest.mark.req("config")
@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        pytest.param(["--port", "9000"], {}, {"port": 9000}, id="flag"),
        pytest.param([], {"SEATS_PORT": "9001"}, {"port": 9001}, id="variable"),
        pytest.param(["--port", "9000"], {"SEATS_PORT": "9001"}, {"port": 9000}, id="flag-beats-variable"),
        pytest.param(["--port=9002"], {"SEATS_PORT": "9001"}, {"port": 9002}, id="flag-with-equals"),
        pytest.param([], {"SEATS_DB": ":memory:"}, {"db": ":memory:"}, id="db-memory-from-variable"),
        pytest.param(["--seats", "30", "--row-size", "7"], {}, {"seats": 30, "row_size": 7}, id="layout"),
        pytest.param([], {"SEATS_ROW_SIZE": "12", "SEATS_MAX_PER_BOOKING": "4"}, {"row_size": 12, "max_per_booking": 4},
                     id="underscored-names-in-variables"),
        pytest.param(["--heartbeat", "0.5"], {"SEATS_RATE_LIMIT": "2.5"}, {"heartbeat": 0.5, "rate_limit": 2.5},
                     id="floats"),
        pytest.param([], {"SEATS_SHUTDOWN_TIMEOUT": "0"}, {"shutdown_timeout": 0.0}, id="zero-timeout-allowed"),
        pytest.param([], {"SEATS_LOG_FORMAT": "json"}, {"log_format": "json"}, id="choice-from-variable"),
        pytest.param(["--max-streams", "5", "--max-backlog", "4096"], {"SEATS_MAX_STREAMS": "7"},
                     {"max_streams": 5, "max_backlog": 4096}, id="limits"),
        pytest.param([], {"SEATS_UNKNOWN": "x", "PORT": "1"}, {}, id="other-variables-ignored"),
        pytest.param(["--hold-seconds", "90"], {"SEATS_MAX_HOLDS_PER_CLIENT": "3"},
                     {"hold_seconds": 90.0, "max_holds_per_client": 3}, id="holds"),
        pytest.param([], {"SEATS_ADMIN_TOKEN": "s3cret", "SEATS_LAYOUT": "venue.json"},
                     {"admin_token": "s3cret", "layout": "venue.json"}, id="admin-token-and-layout-from-variables"),
        pytest.param(["--late-confirm-seconds", "0"], {}, {"late_confirm_seconds": 0.0}, id="no-late-confirms"),
        pytest.param(["--seats", "100000", "--row-size", "100"], {}, {"seats": 100_000, "row_size": 100},
                     id="largest-show"),
    ],
)
def test_each_option_comes_from_its_flag_else_its_variable_else_the_default(argv, environ, expected):
    # Act
    config = parse_config(argv, environ)

    # Assert
    assert config == dataclasses.replace(Config(), **expected)


@pytest.mark.req("config")
@pytest.mark.parametrize(
    ("argv", "environ", "complaint"),
    [
        pytest.param(["--port", "0"], {}, "--port must be positive", id="zero-port"),
        pytest.param(["--seats", "-1"], {}, "--seats must be positive", id="negative-seats"),
        pytest.param([], {"SEATS_ROW_SIZE": "0"}, "--row-size must be positive", id="zero-row-size-variable"),
        pytest.param(["--port", "http"], {}, "invalid int value", id="port-not-a-number"),
        pytest.param(["--seats", "1.5"], {}, "invalid int value", id="seats-not-an-integer"),
        pytest.param([], {"SEATS_PORT": "http"}, "SEATS_PORT='http' is not a valid int", id="variable-not-a-number"),
        pytest.param([], {"SEATS_HEARTBEAT": "soon"}, "SEATS_HEARTBEAT='soon' is not a valid float",
                     id="variable-not-a-float"),
        pytest.param(["--heartbeat", "0"], {}, "--heartbeat must be positive", id="zero-heartbeat"),
        pytest.param(["--rate-limit", "-1"], {}, "--rate-limit must not be negative", id="negative-rate"),
        pytest.param([], {"SEATS_SHUTDOWN_TIMEOUT": "-2"}, "--shutdown-timeout must not be negative",
                     id="negative-timeout-variable"),
        pytest.param(["--log-format", "xml"], {}, "invalid choice", id="unknown-log-format"),
        pytest.param([], {"SEATS_LOG_FORMAT": "xml"}, "SEATS_LOG_FORMAT='xml' is not one of text, json",
                     id="unknown-log-format-variable"),
        pytest.param(["--heartbeat", "nan"], {}, "--heartbeat must be a finite number", id="nan-heartbeat"),
        pytest.param([], {"SEATS_RATE_LIMIT": "inf"}, "--rate-limit must be a finite number", id="infinite-rate"),
        pytest.param(["--shutdown-timeout", "nan"], {}, "--shutdown-timeout must be a finite number",
                     id="nan-timeout"),
        pytest.param(["--no-such-flag"], {}, "unrecognized arguments", id="unknown-flag"),
        pytest.param(["--seats", "100001"], {}, "--seats must be at most 100000", id="more-seats-than-a-show-has"),
        pytest.param(["--hold-seconds", "0"], {}, "--hold-seconds must be positive", id="zero-hold"),
        pytest.param([], {"SEATS_MAX_HOLDS_PER_CLIENT": "0"}, "--max-holds-per-client must be positive",
                     id="no-holds-allowed"),
        pytest.param(["--late-confirm-seconds", "-1"], {}, "--late-confirm-seconds must not be negative",
                     id="negative-late-confirm"),
    ],
)
def test_bad_value_exits_with_usage_error_naming_the_option(argv, environ, complaint, capsys):
    # Act
    with pytest.raises(SystemExit) as exited:
        parse_config(argv, environ)

    # Assert
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err


@pytest.mark.req("config")
@pytest.mark.parametrize(
    ("allowed", "origins"),
    [
        ("", frozenset()),
        ("https://a.example", {"https://a.example"}),
        (" https://a.example/ , http://b.example:8080,, ", {"https://a.example", "http://b.example:8080"}),
    ],
)
def test_allowed_origins_are_a_comma_separated_set_without_trailing_slashes(allowed, origins):
    # Arrange
    config = parse_config(["--allowed-origins", allowed], {})

    # Act
    result = config.allowed_origin_set

    # Assert
    assert result == origins


@pytest.mark.req("metrics")
@pytest.mark.parametrize("address", [" :9360", "::1", "x:\u0669\u0663", "[]:9100", "host:", ":9", "0", "ho st:9100",
                                     "127.0.0.1:70000"])
def test_a_metrics_address_that_is_not_host_port_is_refused_at_start(address, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_config(["--metrics-address", address], {})

    assert exit_.value.code == 2
    assert "--metrics-address" in capsys.readouterr().err


@pytest.mark.req("metrics")
@pytest.mark.parametrize(("argv", "says"), [
    (["--port", "9100", "--metrics-address", "127.0.0.1:9100"], "is the main port"),
    (["--port", "9101", "--workers", "2", "--metrics-address", "127.0.0.1:9100"], "is the main port"),
    (["--workers", "2", "--metrics-address", "127.0.0.1:65535"], "past 65535"),
    (["--workers", "2"], "each process counts its own metrics"),
])
def test_metrics_ports_that_cannot_work_are_refused_at_start(argv, says, capsys):
    with pytest.raises(SystemExit):
        parse_config([*argv, "--db", "postgresql://h/db"], {})

    assert says in capsys.readouterr().err


@pytest.mark.req("metrics")
@pytest.mark.parametrize(("address", "endpoint"), [
    ("127.0.0.1:9100", ("127.0.0.1", 9100)), ("[::1]:9100", ("::1", 9100)), ("*:9100", ("*", 9100)),
])
def test_a_metrics_address_names_its_host_and_port(address, endpoint):
    assert metrics_endpoint(address) == endpoint
    assert parse_config(["--metrics-address", address], {}).metrics_address == address
