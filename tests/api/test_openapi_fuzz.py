"""The admin API under schemathesis: what /api/v1/openapi.json says is what the API answers.

Generated from the OpenAPI document itself, sent with the operator token to a real server on each
backend, and checked three ways: no 5xx, only documented statuses, every body in its documented
schema (errors in the one ErrorBody shape). Bounded and derandomized, with no example database, so
a run is the same on every machine and a failure reproduces from the test id alone.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from posbridge.app import create_app
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.support.signer import TestSigner

# The document the server serves: built by the same code, without a database behind it.
schema = schemathesis.openapi.from_dict(create_app(make_settings("sqlite://", TestSigner(app_id="openapi"))).openapi())
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _fuzz(examples: int, phases: tuple[Phase, ...] = tuple(Phase)) -> settings:
    return settings(
        max_examples=examples,
        phases=phases,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


@schema.exclude(path="/api/v1/imports").parametrize()
@_fuzz(20)
def test_every_operation_answers_as_documented(case: schemathesis.Case, server_url: str) -> None:
    case.call_and_validate(base_url=server_url, headers=HEADERS, checks=CHECKS)


@schema.include(path="/api/v1/imports").parametrize()
# The coverage phase would send every boundary case of the whole menu schema (minutes): generated only.
@_fuzz(10, phases=(Phase.generate,))
def test_imports_answer_as_documented(case: schemathesis.Case, server_url: str) -> None:
    case.call_and_validate(base_url=server_url, headers=HEADERS, checks=CHECKS)
