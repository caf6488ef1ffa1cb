"""Wix's app webhooks (wix-apis.md §5): AppInstalled and AppRemoved, at `POST /wix/webhooks`.

The body is an RS256 JWT signed with the app's key (`exp` required; `iss`/`aud` checked when
present). Its payload's `data` is a JSON **string** holding `{eventType, instanceId, data,
identity}`, where `data` and `identity` are JSON strings again. A verified event is applied and
committed before the `200` (one short transaction, well inside Wix's 1.25 s), so an acknowledged
event is never lost; repeats and stale events are answered `200` and change nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from posbridge.errors import InvalidArgument, WixError
from posbridge.logs import get_logger, request_id_var
from posbridge.services.lifecycle import AppEvent, apply_app_event
from posbridge.spi import responses
from posbridge.spi.envelope import decode_optional_claims, read_limited, token_of

router = APIRouter()
log = get_logger("webhooks")


@router.post("", include_in_schema=False)
async def webhook_endpoint(request: Request) -> Response:
    """Every Wix app webhook enters here."""
    settings = request.app.state.settings
    try:
        raw = await read_limited(request.stream(), settings.max_body_bytes, request.headers.get("content-length"))
        event = open_webhook(
            raw, public_key=settings.public_key, app_id=settings.wix_app_id, leeway=settings.jwt_leeway_seconds
        )
        outcome = await run_in_threadpool(apply_app_event, request.app.state.db, event)
    except WixError as err:
        log.info("webhook.refused", status=err.http_status, code=err.code)
        return responses.error(err)
    except OperationalError:
        log.exception("webhook.database_unavailable")
        return responses.internal_error(request_id_var.get(), http_status=503)  # Wix retries for 48 h
    log.info("webhook.applied", event_type=event.event_type, instance_id=event.instance_id, outcome=outcome)
    return Response(content=b"{}", media_type="application/json")


def open_webhook(raw: bytes, *, public_key: RSAPublicKey, app_id: str, leeway: int) -> AppEvent:
    """Verify a webhook body and unwrap its layers; 401 for a bad signature, 400 for a malformed event."""
    token = token_of(raw)
    claims = decode_optional_claims(token, public_key=public_key, app_id=app_id, leeway=leeway)
    outer = _json_layer(claims.get("data"), "data")
    event_type, instance_id = outer.get("eventType"), outer.get("instanceId")
    if not isinstance(event_type, str) or not event_type:
        raise InvalidArgument("The webhook names no eventType")
    if not isinstance(instance_id, str) or not instance_id:
        raise InvalidArgument("The webhook names no instanceId")
    issued = claims.get("iat")
    at = datetime.fromtimestamp(issued, UTC) if isinstance(issued, int | float) else datetime.now(UTC)
    return AppEvent(
        # Wix's retries resend the same signed body, so the token itself identifies the event.
        event_id=hashlib.sha256(token.encode()).hexdigest(),
        event_type=event_type,
        instance_id=instance_id,
        at=at,
        data=_json_layer(outer.get("data", "{}"), "data.data"),
        identity=_json_layer(outer.get("identity", "{}"), "data.identity"),
    )


def _json_layer(value: Any, where: str) -> dict[str, Any]:
    """One layer of the event: a JSON string holding an object (an object as such is taken too)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidArgument(f"The webhook's {where} is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"The webhook's {where} must hold a JSON object")
    return value
