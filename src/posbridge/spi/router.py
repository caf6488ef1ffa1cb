"""The SPI endpoint: route on the path suffix, verify the envelope, run the handler, render the answer.

One catch-all route serves every prefix (`/wix/pos-spi/account-ids`, `/wix/pos-spi/v1/account-ids`).
The body is read (bounded) and verified on the event loop; the synchronous handler, which talks
to the database, runs in the threadpool. After verification `metadata.requestId` becomes the
call's request id: logs carry it and the `X-Request-Id` response header echoes it.

`metadata.instanceId` must be a Wix instance id (a GUID) before anything else happens, and the
instance is recorded only after the handler has answered: a refused call writes nothing. Whatever
goes wrong, the answer is in Wix's error shape (`responses` never fails to render).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from posbridge.errors import WixError
from posbridge.logs import get_logger, request_id_var
from posbridge.services.tenancy import note_instance, require_instance_id
from posbridge.spi import responses
from posbridge.spi.context import SpiCall
from posbridge.spi.envelope import ClaimRules, open_envelope, read_limited
from posbridge.spi.handlers import Method, method_for
from posbridge.spi.wire import Metadata, WireModel, parse_wire
from posbridge.store.db import unavailable_reason

router = APIRouter()
log = get_logger("spi")

# The request state key the app's request-id middleware reads back (the handler's context
# variable does not reach it: Starlette runs the endpoint in a child task).
REQUEST_STATE_KEY = "request_id"


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False)
async def spi_endpoint(path: str, request: Request) -> Response:
    """Every SPI call enters here."""
    method = method_for(path)
    if method is None:
        return responses.not_found()
    if request.method != "POST":
        return responses.method_not_allowed()
    try:
        call, body = await _verified_call(request, method)
        result = await run_in_threadpool(_run, method, call, body)
        answer = responses.ok(result)
    except WixError as err:
        log.info("spi.refused", method=method.name, status=err.http_status, code=err.code)
        return responses.error(err)
    except OperationalError as exc:
        # The database is unreachable or busy: transient, so Wix may retry. One line per call, not a
        # traceback: during an outage every call meets it, and the cause is the database, not this code.
        log.warning(
            "spi.database_unavailable",
            method=method.name,
            request_id=request_id_var.get(),
            error=unavailable_reason(exc),
        )
        return responses.internal_error(request_id_var.get(), http_status=503)
    except Exception:
        log.exception("spi.failed", method=method.name)
        return responses.internal_error(request_id_var.get())
    log.info("spi.answered", method=method.name, instance_id=call.instance_id)
    return answer


async def _verified_call(request: Request, method: Method) -> tuple[SpiCall, WireModel]:
    """Read and verify the envelope; parse metadata and the method's request."""
    app_state = request.app.state
    settings = app_state.settings
    raw = await read_limited(request.stream(), settings.max_body_bytes, request.headers.get("content-length"))
    envelope = open_envelope(raw, request.headers, public_key=settings.public_key, rules=ClaimRules.of(settings))
    metadata = parse_wire(Metadata, envelope.metadata, prefix="metadata")
    request_id = metadata.request_id or request_id_var.get() or uuid.uuid4().hex
    request_id_var.set(request_id)
    setattr(request.state, REQUEST_STATE_KEY, request_id)
    require_instance_id(metadata.instance_id, "metadata.instanceId")
    body = parse_wire(method.request_model, envelope.request)
    call = SpiCall(
        db=app_state.db,
        settings=settings,
        instance_id=metadata.instance_id,
        request_id=request_id,
        metadata=envelope.metadata,
        request=envelope.request,
        jobs=getattr(app_state, "jobs", None),
    )
    return call, body


def _run(method: Method, call: SpiCall, body: WireModel) -> WireModel:
    """Handle the call, then record a first-seen instance: only an answered call records it (in a worker thread)."""
    result = method.handler(call, body)
    note_instance(call.db, call.instance_id)
    return result
