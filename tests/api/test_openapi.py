"""The OpenAPI document matches the routes, and schemathesis finds no 5xx / schema breaks."""

from __future__ import annotations

import re

import pytest

from recognize.api.openapi import document
from tests.api.conftest import ALICE, IMAGENET, build_world

schemathesis = pytest.importorskip("schemathesis")


def _flask_rules(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        out |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def test_every_route_is_documented_and_vice_versa(world) -> None:
    from recognize.api import create_app

    app = create_app(world.settings, world.store)
    documented = {(path, method) for path, ops in document()["paths"].items() for method in ops}
    assert _flask_rules(app) == documented


def test_document_is_served_publicly(client) -> None:
    data = client.get("/api/v1/openapi.json").json
    assert data["openapi"].startswith("3.") and "/search" in data["paths"]


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory, password_hash: str):
    """A world of its own: the random requests rename, merge and delete what they hit."""
    from recognize.api import create_app

    world = build_world(tmp_path_factory.mktemp("api-fuzz"), password_hash,
                        IMAGENET[:2], {"compreface_person_a": 3})
    # the fuzzer's WSGI calls carry no client address, so they are not "from this machine"
    world.settings.server.allow_basic_over_http = True
    app = create_app(world.settings, world.store)  # config path None: PATCH persists nothing
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_schemathesis_finds_no_server_error(schema) -> None:
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    failures: list[str] = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            calls.append(case.call_and_validate(headers=dict(ALICE), checks=checks).status_code)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert not failures, "\n\n".join(failures)
    assert len(calls) > 100 and {200, 201, 204} & set(calls) and 404 in calls
