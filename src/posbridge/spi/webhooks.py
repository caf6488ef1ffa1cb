"""Wix's webhooks (wix-apis.md §5) at `POST /wix/webhooks`: AppInstalled, AppRemoved and the Orders v3 events.

The body is an RS256 JWT signed with the app's key, judged by the SPI envelope's claim rules
(`posbridge.spi.envelope.verify_token`: `exp`/`nbf` when present, bounded lifetime and age;
`iss`/`aud` checked when present, as the SDK's webhook parser does not require them). Its
payload's `data` is a JSON **string** holding `{eventType, instanceId, data, identity}`, where
`data` and `identity` are JSON strings again; each layer's depth is bounded before it is parsed.
The event is checked whole before anything is written: `instanceId` must be a Wix instance id
(a GUID), `eventType` plain text of at most 64 characters, and no string anywhere may hold NUL or
a lone surrogate (neither can be stored on every backend); otherwise a 400 in Wix's error shape.
An eCommerce order event (`wix.ecom.v1.order_*`) is read by `spi/ecom_wire.py` into the services'
terms and goes to `services/ecom_orders`; an Orders v3 event (`wix.restaurants.v3.order_*`), read by
`spi/order_event_wire.py`, to `services/order_events`; a Menus API event (`wix.restaurants.menus.v1.*`),
read by `spi/menu_event_wire.py`, to `services/menu_events` (our own writes recognised and ignored, a
merchant's edits recorded); the others to `services/lifecycle`. A verified event is
applied and committed before the `200` (one short transaction, well inside Wix's 1.25 s), so an
acknowledged event is never lost; repeats and stale events are answered `200` and change nothing.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from posbridge.errors import InvalidArgument, WixError
from posbridge.logs import get_logger, request_id_var
from posbridge.services import ecom_orders, menu_events, pos_deliveries
from posbridge.services.lifecycle import AppEvent, apply_app_event
from posbridge.services.order_events import APPLIED, apply_order_event, is_order_event
from posbridge.services.tenancy import require_instance_id
from posbridge.spi import ecom_wire, menu_event_wire, order_event_wire, responses
from posbridge.spi.envelope import ClaimRules, parse_json, read_limited, token_of, verify_token
from posbridge.store.db import unavailable_reason
from posbridge.sync import menus_api
from posbridge.sync.ownership import Ownership
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError

router = APIRouter()
log = get_logger("webhooks")


@router.post("", include_in_schema=False)
async def webhook_endpoint(request: Request) -> Response:
    """Every Wix app webhook enters here."""
    settings = request.app.state.settings
    try:
        raw = await read_limited(request.stream(), settings.max_body_bytes, request.headers.get("content-length"))
        event = open_webhook(raw, public_key=settings.public_key, rules=ClaimRules.of(settings))
        if ecom_orders.is_ecom_order_event(event.event_type):
            outcome = await run_in_threadpool(
                functools.partial(ecom_orders.apply_ecom_event, variants=_variant_names(request)),
                request.app.state.db,
                event.instance_id,
                ecom_wire.parse_event(event.event_type, event.data),
            )
            if outcome in (ecom_orders.PLACED, APPLIED):
                await run_in_threadpool(pos_deliveries.wake, getattr(request.app.state, "jobs", None))
        elif menu_events.is_menu_event(event.event_type):
            jobs = getattr(request.app.state, "jobs", None)
            outcome = await run_in_threadpool(
                menu_events.apply_menu_event,
                request.app.state.db,
                menu_event_wire.parse_event(event),
                app_id=settings.wix_app_id,
                ownership=Ownership.parse(settings.catalog_sync_configuration),
                notify=jobs.schedule_sync if jobs is not None else None,
                debounce_seconds=settings.sync_debounce_seconds,
            )
        elif is_order_event(event.event_type):
            order_event = order_event_wire.parse_event(event)
            outcome = await run_in_threadpool(apply_order_event, request.app.state.db, order_event)
            if outcome == APPLIED:
                # A cancel from Wix may owe a merchant's own POS its webhook: wake a worker now, not at the sweep.
                await run_in_threadpool(pos_deliveries.wake, getattr(request.app.state, "jobs", None))
        else:
            outcome = await run_in_threadpool(apply_app_event, request.app.state.db, event)
    except WixError as err:
        log.info("webhook.refused", status=err.http_status, code=err.code)
        return responses.error(err)
    except WixApiError as exc:
        # Reading the order's price variants from Wix failed: Wix resends the event later.
        log.warning("webhook.wix_unavailable", request_id=request_id_var.get(), status=exc.status)
        return responses.internal_error(request_id_var.get(), http_status=503)
    except OperationalError as exc:
        log.warning("webhook.database_unavailable", request_id=request_id_var.get(), error=unavailable_reason(exc))
        return responses.internal_error(request_id_var.get(), http_status=503)  # Wix retries for 48 h
    except Exception:
        log.exception("webhook.failed")
        return responses.internal_error(request_id_var.get())
    log.info("webhook.applied", event_type=event.event_type, instance_id=event.instance_id, outcome=outcome)
    return Response(content=b"{}", media_type="application/json")


def _variant_names(request: Request) -> ecom_orders.VariantNames:
    """Reads Item Variant names from Wix (a sized eCom line), through one client the app keeps."""
    state = request.app.state
    client = getattr(state, "ecom_wix_client", None)
    if client is None:
        client = state.ecom_wix_client = WixClient(state.settings, state.db)
    return functools.partial(menus_api.read_variant_names, client)


def open_webhook(raw: bytes, *, public_key: RSAPublicKey, rules: ClaimRules, now: float | None = None) -> AppEvent:
    """Verify a webhook body and unwrap its layers; 401 for a bad signature, 400 for a malformed event."""
    token = token_of(raw)
    moment = datetime.now(UTC).timestamp() if now is None else now
    claims = verify_token(token, public_key=public_key, rules=rules, now=moment, style="webhook")
    outer = _json_layer(claims.get("data"), "data")
    event_type, instance_id = outer.get("eventType"), outer.get("instanceId")
    if not isinstance(event_type, str) or not event_type:
        raise InvalidArgument("The webhook names no eventType")
    if not _EVENT_TYPE.fullmatch(event_type):
        raise InvalidArgument("The webhook's eventType is not an event name", field="data.eventType")
    if not isinstance(instance_id, str) or not instance_id:
        raise InvalidArgument("The webhook names no instanceId")
    require_instance_id(instance_id, "data.instanceId")
    data = _json_layer(outer.get("data", "{}"), "data.data")
    identity = _json_layer(outer.get("identity", "{}"), "data.identity")
    _refuse_unstorable({"data": data, "identity": identity}, "data")
    issued = claims.get("iat")
    return AppEvent(
        # Wix's retries resend the same signed body, so the token itself identifies the event.
        event_id=hashlib.sha256(token.encode()).hexdigest(),
        event_type=event_type,
        instance_id=instance_id,
        at=datetime.fromtimestamp(issued if isinstance(issued, int | float) else moment, UTC),
        data=data,
        identity=identity,
    )


# Event names are identifiers (`AppInstalled`, `PaidPlanPurchased`); the column holds 64 characters.
_EVENT_TYPE = re.compile(r"[A-Za-z0-9_.:/-]{1,64}")
# What no backend stores in text or JSON: NUL and UTF-16 surrogates (Python holds lone ones as such).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _json_layer(value: Any, where: str) -> dict[str, Any]:
    """One layer of the event: a JSON string holding an object (an object as such is taken too)."""
    if isinstance(value, str):
        value = parse_json(value, f"The webhook's {where}")
    if not isinstance(value, dict):
        raise InvalidArgument(f"The webhook's {where} must hold a JSON object")
    return value


def _refuse_unstorable(value: Any, where: str) -> None:
    """A 400 naming the first key or string (at any depth) that holds NUL or a lone surrogate."""
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            raise InvalidArgument(f"The webhook's {where} holds a character that cannot be stored", field=where)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _refuse_unstorable(key, where)
            _refuse_unstorable(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _refuse_unstorable(inner, f"{where}[{index}]")
