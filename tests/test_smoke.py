"""The server starts on a migrated database and reports health."""

import httpx
import pytest

pytestmark = pytest.mark.all_backends  # the database backend matters here


def test_healthz_reports_database_reachable(http: httpx.Client) -> None:
    response = http.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("status", "database", "queue")} == {"status": "ok", "database": True, "queue": True}
    assert isinstance(body["details"]["ordersNeedingAttention"], int)
    assert response.headers["X-Request-Id"]
