"""The admin API under schemathesis: what /api/v1/openapi.json says is what the API answers.

Generated from the OpenAPI document itself, sent with the operator token to a real server on each
backend, and checked three ways: no 5xx, only documented statuses, every body in its documented
schema (errors in the one ErrorBody shape). Bounded and derandomized, with no example database, so
a run is the same on every machine and a failure reproduces from the test id alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from posbridge.app import create_app
from posbridge.store.db import Database
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner
from wixsim.client import WixSimClient
from wixsim.testing import wixsim_server  # noqa: F401  (fixture)

# The document the server serves: built by the same code, without a database behind it.
schema = schemathesis.openapi.from_dict(create_app(make_settings("sqlite://", TestSigner(app_id="openapi"))).openapi())
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def fuzzed_url(db_url: str, db: Database, signer: TestSigner, wixsim_server: WixSimClient) -> Iterator[str]:  # noqa: F811
    """posbridge aimed at wixsim, so the checks against Wix (link, pair) get real answers, quickly."""
    settings = make_settings(
        db_url,
        signer,
        wix_api_base=wixsim_server.base_url,
        wix_app_id=wixsim_server.app_id,
        wix_app_secret=wixsim_server.app_secret,
        wix_retry_max_seconds=0.5,
    )
    with serve_in_thread(create_app(settings, db)) as url:
        yield url


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
@pytest.mark.slow
def test_every_operation_answers_as_documented(case: schemathesis.Case, fuzzed_url: str) -> None:
    case.call_and_validate(base_url=fuzzed_url, headers=HEADERS, checks=CHECKS)


@schema.include(path="/api/v1/imports").parametrize()
# The coverage phase would send every boundary case of the whole menu schema (minutes): generated only.
@_fuzz(10, phases=(Phase.generate,))
def test_imports_answer_as_documented(case: schemathesis.Case, fuzzed_url: str) -> None:
    case.call_and_validate(base_url=fuzzed_url, headers=HEADERS, checks=CHECKS)
