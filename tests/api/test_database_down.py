"""A database that does not answer: every adapter says 503 in its own shape, with one log line per call.

"Down" here is a PostgreSQL address where nothing listens (a free port): the connect is refused at
once, so the test is deterministic and quick. The frozen server (a wait that runs out) is covered in
tests/store/test_db_timeouts.py; both end in the same OperationalError that is mapped here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from structlog.testing import capture_logs

from posbridge.app import create_app
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.spi.conftest import assert_wix_error, signed_call
from tests.support.server import free_port, serve_in_thread
from tests.support.signer import TestSigner

pytest.importorskip("psycopg")


@pytest.fixture()
def down_url(signer: TestSigner) -> Iterator[str]:
    """posbridge serving, its PostgreSQL nowhere to be found."""
    settings = make_settings(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere", signer)
    with serve_in_thread(create_app(settings)) as url:
        yield url


def test_the_admin_api_answers_503_in_its_error_shape(down_url: str) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Request-Id": "req-admin-1"}
    with capture_logs() as logs, httpx.Client(base_url=down_url, timeout=30) as client:
        response = client.get("/api/v1/instances", headers=headers)
    assert response.status_code == 503, response.text
    assert response.json() == {
        "message": "The database is not answering; try again shortly",
        "code": "DATABASE_UNAVAILABLE",
        "details": {},
    }
    lines = [entry for entry in logs if entry["event"] == "api.database_unavailable"]
    assert len(lines) == 1 and lines[0]["log_level"] == "warning"
    assert lines[0]["request_id"] == "req-admin-1" and "exc_info" not in lines[0]


def test_the_admin_api_documents_503_on_every_route(down_url: str) -> None:
    with httpx.Client(base_url=down_url, timeout=30) as client:
        document = client.get("/api/v1/openapi.json").json()
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert operations and all("503" in op["responses"] for op in operations)


def test_the_spi_answers_a_wix_503_and_logs_one_line_per_call_without_a_traceback(
    down_url: str, signer: TestSigner
) -> None:
    instance_id = str(uuid.uuid4())
    metadata = [signer.metadata(instance_id) for _ in range(3)]
    with capture_logs() as logs, httpx.Client(base_url=down_url, timeout=30) as client:
        for meta in metadata:
            assert_wix_error(signed_call(client, signer, "account-ids", {}, instance_id, metadata=meta), 503)
    assert [(entry["event"], entry["log_level"], entry["request_id"]) for entry in logs] == [
        ("spi.database_unavailable", "warning", meta["requestId"]) for meta in metadata
    ]
    assert not any("exc_info" in entry for entry in logs)
