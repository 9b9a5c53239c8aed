"""The OpenAPI document (`openapi/openapi.json`) against the application itself:
every route `make_app` serves is documented, every documented path is served,
each with the methods its handler implements; the document is valid OpenAPI 3.1;
and `GET /openapi.json` serves it, cacheable."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import jsonschema_rs
import pytest
import schemathesis
from schemathesis.core.result import Ok
from tornado.routing import Rule
from tornado.web import Application

from application import SeatServer
from handlers.openapi import OPENAPI_PATH
from handlers.shows import HealthHandler

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# HEAD answers wherever GET does and OPTIONS is the CORS preflight of every route:
# the document says so once, in its description, instead of on every path.
DESCRIBED_ONCE = {"HEAD", "OPTIONS"}


def documented_methods(path: str) -> set[str]:
    return {method.upper() for method in DOCUMENT["paths"][path] if method in HTTP_METHODS}


def resolve(node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/components/").split("/")
        node = DOCUMENT["components"][name[0]][name[1]]
    return node


def sample_url(path: str) -> str:
    """The path with each `{parameter}` replaced by its example in the document."""
    examples = {}
    for operation in (op for method, op in DOCUMENT["paths"][path].items() if method in HTTP_METHODS):
        for parameter in map(resolve, operation.get("parameters", [])):
            if parameter["in"] == "path":
                examples[parameter["name"]] = parameter["example"]
    return re.sub(r"\{([^}]+)\}", lambda match: str(examples[match.group(1)]), path)


def rule_serving(app: Application, url: str) -> Rule | None:
    """The rule Tornado routes `url` to (the first whose pattern matches), or None
    when it falls through to the default 404 handler."""
    return next((rule for rule in app.wildcard_router.rules if rule.matcher.regex.match(url)), None)


def implemented_methods(rule: Rule) -> set[str]:
    return set(rule.target.implemented_methods())


@pytest.mark.req("openapi")
def test_every_route_the_application_serves_is_a_path_of_the_document(app):
    served_by_documented_paths = {id(rule_serving(app, sample_url(path))) for path in DOCUMENT["paths"]}

    undocumented = [rule.matcher.regex.pattern for rule in app.wildcard_router.rules
                    if id(rule) not in served_by_documented_paths]

    assert app.wildcard_router.rules, "make_app lists no routes"
    assert undocumented == [], "routes of make_app missing from openapi/openapi.json"


@pytest.mark.req("openapi")
def test_every_path_of_the_document_is_served_with_exactly_the_documented_methods(app):
    served = {path: rule_serving(app, sample_url(path)) for path in DOCUMENT["paths"]}

    not_served = sorted(path for path, rule in served.items() if rule is None)
    methods_differ = {path: (sorted(documented_methods(path)), sorted(implemented_methods(rule) - DESCRIBED_ONCE))
                      for path, rule in served.items()
                      if rule is not None and documented_methods(path) != implemented_methods(rule) - DESCRIBED_ONCE}

    assert not_served == [], "documented paths that fall through to the 404 handler"
    assert methods_differ == {}, "documented methods != the handler's methods"


@pytest.mark.req("openapi")
def test_head_is_answered_exactly_on_the_paths_the_description_names(app):
    """HEAD is said once, in the document's description: hold it to that list."""
    description = DOCUMENT["info"]["description"]
    named = set(re.findall(r"`(/[^`]*)`", description[description.index("`HEAD`"):description.index("elsewhere")]))

    with_head = {path for path in DOCUMENT["paths"]
                 if "HEAD" in implemented_methods(rule_serving(app, sample_url(path)))}

    assert named == with_head


@pytest.mark.req("openapi")
def test_the_routes_are_read_from_make_app_so_a_new_route_would_be_caught(seat_server: SeatServer):
    app = seat_server.application
    app.wildcard_router.add_rules([(r"/not-documented", HealthHandler)])

    rule = rule_serving(app, "/not-documented")

    assert rule is not None
    assert all(rule_serving(app, sample_url(path)) is not rule for path in DOCUMENT["paths"])


@pytest.mark.req("openapi")
def test_the_document_is_valid_openapi_3_1_and_every_operation_loads():
    schema = schemathesis.openapi.from_dict(DOCUMENT)

    schema.validate()  # the OpenAPI 3.1 meta-schema, as schemathesis ships it
    operations = list(schema.get_all_operations())
    for name, component in DOCUMENT["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(component), name

    assert DOCUMENT["openapi"].startswith("3.1.")
    assert all(isinstance(result, Ok) for result in operations), [r for r in operations if not isinstance(r, Ok)]
    assert len(operations) == sum(len(documented_methods(path)) for path in DOCUMENT["paths"])


@pytest.mark.req("openapi")
def test_every_error_answer_is_the_contracts_error_shape_or_a_seat_refusal():
    """Each 4xx/5xx body in the document is `{"error", "message"}` and nothing
    else, or the 409 about seats; `/healthz`'s 503 is its health body."""
    shapes = {}
    for path, item in DOCUMENT["paths"].items():
        for method, operation in ((m, op) for m, op in item.items() if m in HTTP_METHODS):
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = resolve(resolve(response)["content"]["application/json"]["schema"])
                    shapes[f"{method.upper()} {path} {status}"] = sorted(
                        resolve(schema)["required"] if "required" in schema
                        else {field for option in schema["anyOf"] for field in resolve(option)["required"]})

    error_shape = ["error", "message"]
    seat_refusal = ["available", "error", "message", "unavailable", "version"]
    health_or_error = ["error", "message", "status", "subscribers", "version"]
    odd = {where: shape for where, shape in shapes.items()
           if shape not in (error_shape, seat_refusal)
           and not (where == "GET /healthz 503" and shape == health_or_error)}

    assert shapes, "no error answers documented"
    assert odd == {}


@pytest.mark.req("openapi")
@pytest.mark.gen_test
async def test_get_openapi_json_serves_the_document_as_json_with_an_etag(api):
    response = await api.get("/openapi.json")
    again = await api.request("GET", "/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    zipped = await api.client.fetch(api.base_url + "/openapi.json", headers={"Accept-Encoding": "gzip"},
                                    decompress_response=False)

    assert response.code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.body == OPENAPI_PATH.read_bytes()
    assert again.code == 304
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == response.body
