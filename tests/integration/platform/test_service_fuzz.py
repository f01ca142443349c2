"""Schemathesis fuzzes every operation of the service's OpenAPI document, with valid and
invalid data, on SQLite and PostgreSQL: no request may end in a server error (5xx), and
answers must match the schemas the document promises."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.integration.platform.service_app import headers, running_service
from tests.integration.platform.test_service_walk import ENDPOINTS


@pytest.fixture(scope="module")
def service(
    module_db_url: str, demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The running service (its job runner started) on a fresh database of each kind."""
    with running_service(
        module_db_url, tmp_path_factory.mktemp("platform"), demo_store_template
    ) as client:
        yield client


@pytest.fixture(scope="module")
def api_schema(service: TestClient) -> schemathesis.BaseSchema:
    """The service's OpenAPI document, calling the running app."""
    return schemathesis.openapi.from_asgi("/openapi.json", service.app)


@pytest.mark.parametrize(
    "label", sorted({f"{e.method} {e.path}" for e in ENDPOINTS}), ids=lambda label: label
)
def test_no_request_ends_in_a_server_error(api_schema: schemathesis.BaseSchema, label: str) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the OpenAPI document"
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers=headers("duo"), checks=[not_a_server_error, response_schema_conformance]
        )

    fuzz()
