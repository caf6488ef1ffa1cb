"""The eCommerce Validations service plugin of new-generation sites: `POST /wix/validations/v1/get-violations`.

Wix calls it on the cart and the checkout, synchronously, before the customer pays. The envelope is
the SPI's (`spi/envelope.py`, the same claim rules), with `metadata.appExtensionType`
`ECOM_VALIDATIONS`; a forged or stale one is refused (401) like any SPI call. Past that, the plugin
**fails open**: the checks run within `POSBRIDGE_VALIDATIONS_BUDGET_MS`, and a check that is late or
fails (a database outage) answers no violations, so a POS outage never closes the shop. Lines are
read liberally (Wix may add fields; a line that is not a restaurant item, or that names no item, is
not ours and is skipped).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from posbridge.errors import InvalidArgument, WixError
from posbridge.logs import get_logger, request_id_var
from posbridge.services.tenancy import require_instance_id
from posbridge.services.validations import RESTAURANTS_APP_ID, CartLine, Violation, check_cart
from posbridge.spi import responses
from posbridge.spi.envelope import ClaimRules, open_envelope, read_limited

router = APIRouter()
log = get_logger("validations")

EXTENSION_TYPE = "ECOM_VALIDATIONS"
METHOD_SUFFIX = "get-violations"
MAX_LINES = 1000
MAX_QUANTITY = 100_000


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def validations_endpoint(path: str, request: Request) -> Response:
    """Wix appends `/v1/get-violations` to the plugin's base URI."""
    if path.rstrip("/").rsplit("/", 1)[-1] != METHOD_SUFFIX:
        return responses.not_found()
    if request.method != "POST":
        return responses.method_not_allowed()
    settings = request.app.state.settings
    try:
        raw = await read_limited(request.stream(), settings.max_body_bytes, request.headers.get("content-length"))
        envelope = open_envelope(raw, request.headers, public_key=settings.public_key, rules=ClaimRules.of(settings))
        if envelope.metadata.get("appExtensionType") != EXTENSION_TYPE:
            raise InvalidArgument(
                f"'metadata.appExtensionType' must be {EXTENSION_TYPE}", field="metadata.appExtensionType"
            )
        instance_id = require_instance_id(envelope.metadata.get("instanceId"), "metadata.instanceId")
    except WixError as err:
        log.info("validations.refused", status=err.http_status, code=err.code)
        return responses.error(err)
    request_id = str(envelope.metadata.get("requestId") or uuid.uuid4().hex)[:128]
    request_id_var.set(request_id)
    lines = restaurant_lines(envelope.request)
    budget = settings.validations_budget_ms / 1000
    try:
        found = await asyncio.wait_for(run_in_threadpool(check_cart, request.app.state.db, instance_id, lines), budget)
    except TimeoutError:
        log.warning("validations.failed_open", reason="budget", budget_ms=settings.validations_budget_ms)
        found = []
    except Exception:
        log.exception("validations.failed_open", reason="error")
        found = []
    log.info("validations.answered", instance_id=instance_id, lines=len(lines), violations=len(found))
    return JSONResponse({"violations": [_wire(v) for v in found]}, headers={"X-Request-Id": request_id})


def restaurant_lines(request: dict[str, Any]) -> list[CartLine]:
    """The cart's restaurant lines, read liberally (anything unreadable is not ours and is skipped)."""
    info = request.get("validationInfo")
    raw_lines = info.get("lineItems") if isinstance(info, dict) else None
    if not isinstance(raw_lines, list):
        return []
    lines = []
    for raw in raw_lines[:MAX_LINES]:
        if not isinstance(raw, dict):
            continue
        reference = raw.get("catalogReference")
        if not isinstance(reference, dict) or reference.get("appId") != RESTAURANTS_APP_ID:
            continue
        line_id, item_ref, quantity = raw.get("id", raw.get("_id")), reference.get("catalogItemId"), raw.get("quantity")
        if not isinstance(line_id, str) or not isinstance(item_ref, str) or not item_ref or len(item_ref) > 128:
            continue
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            quantity = 1
        lines.append(CartLine(line_id=line_id[:128], item_ref=item_ref, quantity=quantity))
    return lines


def _wire(violation: Violation) -> dict[str, Any]:
    return {
        "severity": violation.severity,
        "target": {"lineItem": {"name": "LINE_ITEM_DEFAULT", "id": violation.line_id}},
        "description": violation.description,
    }
