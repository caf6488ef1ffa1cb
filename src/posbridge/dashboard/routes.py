"""The merchant's POS Locations page inside Wix's dashboard (issue 13): Jinja2 templates, htmx, one stylesheet.

Every route but the entry needs the page session (dashboard/session.py); every state change also
needs its CSRF token. Each action calls one service and answers the re-rendered panel, so the
page never shows a state the services did not produce.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from posbridge.config import Settings
from posbridge.dashboard.session import CSRF_FIELD, SESSION_HEADER, Refused, Session, Sessions, verify_instance
from posbridge.errors import WixError
from posbridge.logs import get_logger
from posbridge.services import attention, menu_events, merchant_page, order_flow, outbound, queries, stock, stock_push
from posbridge.services.disconnection import disconnect, owed_disconnect, retry_owed
from posbridge.services.onboarding import NOT_CONNECTED, account_state, connect_with_api_key, save_business_info
from posbridge.services.order_views import attention_orders, kitchen_orders
from posbridge.services.pairing import pair_configuration, unpair_configuration
from posbridge.services.status import ReadinessStatus
from posbridge.services.syncing import preview_sync, request_configuration_sync
from posbridge.store.db import Database
from posbridge.store.statuses import SyncStatus
from posbridge.store.types import money_words
from posbridge.sync.diff import CREATE, DELETE, DETACH, UPDATE
from posbridge.sync.preview import Preview, field_lines, show
from posbridge.wix.client import WixClient
from posbridge.wix.connectivity import get_configuration
from posbridge.wix.errors import WixApiError
from posbridge.wix.generation import Generation

HERE = Path(__file__).parent
STATIC = HERE / "static"
log = get_logger("dashboard")
router = APIRouter(include_in_schema=False)
# Compiled once per process and never re-read: a template changes with a release, not under a running server.
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
)
_env.globals["csrf_field"] = CSRF_FIELD

KIND_ORDER = {"MENU": 0, "SECTION": 1, "DISH": 2, "VARIATION": 3}
STATUS_WORDS = {
    ReadinessStatus.READY: "Ready",
    ReadinessStatus.PENDING: "Setup needed",
    ReadinessStatus.NOT_STARTED: "Not started",
    ReadinessStatus.ERROR: "Problem",
}
SYNC_WORDS = {
    SyncStatus.PENDING: "Waiting to start",
    SyncStatus.IN_PROGRESS: "Syncing",
    SyncStatus.SYNCED: "Synced",
    SyncStatus.FAILED: "Failed",
}
_env.filters["status_words"] = lambda s: STATUS_WORDS.get(s, s.replace("_", " ").capitalize())
_env.filters["sync_words"] = lambda s: SYNC_WORDS.get(s, s.replace("_", " ").capitalize())
_env.filters["when"] = lambda d: d.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC") if d else "—"
_env.filters["money"] = partial(money_words, grouped=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _sessions(request: Request) -> Sessions:
    settings = _settings(request)
    return Sessions(settings.wix_app_secret, timedelta(minutes=settings.dashboard_session_minutes))


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _client(request: Request) -> WixClient:
    jobs = getattr(request.app.state, "jobs", None)
    if jobs is not None:
        client: WixClient = jobs.client
        return client
    cached = getattr(request.app.state, "dashboard_client", None)
    if cached is None:
        cached = request.app.state.dashboard_client = WixClient(_settings(request), _db(request))
    return cached


def _headers(settings: Settings) -> dict[str, str]:
    """Framable by Wix's dashboard only; nothing loads from anywhere but here."""
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors {settings.dashboard_frame_ancestors}"
    )
    return {
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def _html(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = _env.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers=_headers(_settings(request)))


def _refusal(request: Request, refused: Refused, *, fragment: bool) -> HTMLResponse:
    log.info("dashboard_refused", status=refused.status, reason=refused.reason)
    return _html(request, "refused.html", refused.status, reason=refused.reason, fragment=fragment)


# --- entry ----------------------------------------------------------------------------------------


@router.get("/dashboard")
def entry(request: Request) -> HTMLResponse:
    """Wix opens the page with a signed `instance`; a verified owner gets the page and a session."""
    settings = _settings(request)
    try:
        owner = verify_instance(
            request.query_params.get("instance"),
            settings.wix_app_secret,
            max_age_seconds=settings.dashboard_instance_max_age_seconds,
            now=_now(),
        )
    except Refused as refused:
        return _refusal(request, refused, fragment=False)
    session = _sessions(request).issue(owner, _now())
    open_row = request.query_params.get("configurationId")
    context = _panel_context(request, session, open_row=open_row, kitchen=True)
    # A deep link (Wix's integrationSettingsUrl) opens its row first: a cross-site iframe may not
    # autofocus or scroll, so the row comes to the top instead.
    context["data"].rows.sort(key=lambda row: row.configuration_id != open_row)
    return _html(request, "page.html", session=session, **context)


# --- the page's own requests ---------------------------------------------------------------------


def _session(request: Request) -> Session:
    return _sessions(request).check(request.headers.get(SESSION_HEADER), _now())


Action = Callable[[Session, FormData], dict[str, Any] | None]


@dataclass
class _Acted:
    """A checked request of the page and what its action (if any) answered, in words."""

    session: Session
    form: FormData
    flash: dict[str, Any] | None = None
    status: int = 200


async def _act(request: Request, action: Action | None) -> _Acted | Response:
    """Session (and for a POST its CSRF token) first, or the refusal; then the action in a worker thread,
    its error in words (a refused request changes nothing, and none makes a 5xx of ours)."""
    try:
        session = _session(request)
        form = await request.form() if request.method == "POST" else FormData()
        if request.method == "POST":
            Sessions.check_csrf(session, str(form.get(CSRF_FIELD) or ""))
    except Refused as refused:
        return _refusal(request, refused, fragment=True)
    acted = _Acted(session, form)
    if action is not None:
        try:
            acted.flash = await run_in_threadpool(action, session, form)
        except WixError as error:
            acted.flash, acted.status = {"error": True, "text": error.message}, _status_for(error)
        except WixApiError as error:
            acted.flash, acted.status = {"error": True, "text": f"Wix did not take it: {error.message}"}, 502
    return acted


async def _guarded(request: Request, action: Action | None = None) -> Response:
    """The action (after the session and CSRF checks), then the re-rendered panel."""
    acted = await _act(request, action)
    if not isinstance(acted, _Acted):
        return acted
    open_row = str(acted.form.get("configurationId") or "") or request.query_params.get("open")
    context = await run_in_threadpool(_panel_context, request, acted.session, open_row=open_row)
    return _html(request, "panel.html", acted.status, session=acted.session, flash=acted.flash, **context)


def _status_for(error: WixError) -> int:
    return error.http_status if 400 <= error.http_status < 500 else 400


# Wix's side of the page is read in one of these while the page reads its own rows (the request's
# worker thread): the page waits for the slower of the two, not for their sum.
_WIX_READS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dashboard-wix")


def _panel_context(
    request: Request, session: Session, *, open_row: str | None = None, kitchen: bool = False
) -> dict[str, Any]:
    """What the panel shows (and with `kitchen`, the kitchen card). Wix's locations are read live while our
    reads that do not need them run in one read transaction (`Database.reading`); the rows, which do, are
    read once Wix has answered, so no transaction stays open while Wix is waited for."""
    db, instance_id, settings = _db(request), session.owner.instance_id, _settings(request)
    state = account_state(db, instance_id)
    data = merchant_page.PageData()
    wix: Future[tuple[Generation, list[dict[str, Any]]]] | None = None
    if state.account is not None:
        # The request's context (its id in the logs) goes along; no read transaction is open yet to share.
        read = partial(copy_context().run, merchant_page.wix_locations, _client(request), instance_id)
        wix = _WIX_READS.submit(read)
    with db.reading():
        orders: list[merchant_page.RecentOrder] = []
        if state.account is not None:
            data.pos_locations = merchant_page.pos_locations(db, state.account.merchant_id)
            orders = merchant_page.recent_orders(db, instance_id)
        cards = _kitchen_context(request, session) if kitchen and state.account is not None else {"kitchen": None}
    if state.account is not None and wix is not None:
        configurations: list[dict[str, Any]] = []
        try:
            # The client bounds its own calls and retries; this bound only backs that up.
            data.generation, configurations = wix.result(
                timeout=settings.wix_retry_max_seconds + settings.wix_timeout_seconds
            )
        except WixApiError as exc:
            data.wix_problem = merchant_page.wix_problem(exc)
        except TimeoutError:
            data.wix_problem = "Wix did not answer with your locations in time: try again in a minute."
        with db.reading():
            data.rows = merchant_page.build_rows(db, state, instance_id, configurations, data.pos_locations)
    return {
        **cards,
        "state": state,
        "not_connected": state.state == NOT_CONNECTED,
        "owed_disconnect": owed_disconnect(db, instance_id) if state.state == NOT_CONNECTED else None,
        "data": data,
        "orders": orders,
        "problems": [o for o in orders if o.problem],
        "open_row": open_row,
        "running": (SyncStatus.PENDING, SyncStatus.IN_PROGRESS),
    }


@router.get("/dashboard/panel")
async def panel(request: Request) -> Response:
    """The page's panel, re-read."""
    return await _guarded(request)


def _flash(text: str) -> dict[str, Any]:
    return {"error": False, "text": text}


@router.post("/dashboard/account/connect")
async def connect(request: Request) -> Response:
    """Connect the POS account with its API key."""

    def act(session: Session, form: FormData) -> dict[str, Any]:
        account = connect_with_api_key(
            _db(request),
            instance_id=session.owner.instance_id,
            api_key=str(form.get("apiKey") or ""),
            secret_key=_settings(request).secret_key,
        )
        return _flash(f"Connected to POS account {account.account_id}. Now add your business information.")

    return await _guarded(request, act)


@router.post("/dashboard/account/business")
async def business(request: Request) -> Response:
    """Save the business information (contact for order problems)."""

    def act(session: Session, form: FormData) -> dict[str, Any]:
        save_business_info(
            _db(request),
            instance_id=session.owner.instance_id,
            name=str(form.get("contactName") or ""),
            email=str(form.get("contactEmail") or ""),
            phone=str(form.get("contactPhone") or ""),
        )
        return _flash("Business information saved.")

    return await _guarded(request, act)


@router.post("/dashboard/account/disconnect")
async def disconnect_account(request: Request) -> Response:
    """Disconnect the POS account (after the page's confirmation): unpaired here, then Wix is told."""

    def act(session: Session, form: FormData) -> dict[str, Any]:
        if form.get("confirm") != "yes":
            raise WixError.of("ACCOUNT_CONFIGURATION", "Tick the box to confirm the disconnection", http_status=400)
        state = account_state(_db(request), session.owner.instance_id)
        if state.account is None:
            # Sent again after Wix was not told: that is the retry the page offered.
            return _tell_wix_again(request, session)
        done = disconnect(
            _db(request), _client(request), instance_id=session.owner.instance_id, account_id=state.account.account_id
        )
        if done.wix_error:
            return {"error": True, "text": f"Disconnected here, but Wix was not told: {done.wix_error}. Try again."}
        return _flash("Your POS account is disconnected from this site.")

    return await _guarded(request, act)


@router.post("/dashboard/account/disconnect/retry")
async def retry_disconnect(request: Request) -> Response:
    """Tell Wix again of a disconnection it did not take (the queue's sweep also retries it, with backoff)."""
    return await _guarded(request, lambda session, form: _tell_wix_again(request, session))


def _tell_wix_again(request: Request, session: Session) -> dict[str, Any]:
    done = retry_owed(_db(request), _client(request), instance_id=session.owner.instance_id)
    if done is None:
        raise WixError.of("ACCOUNT_NOT_CONNECTED", "No POS account is connected", http_status=409)
    if done.wix_error:
        return {"error": True, "text": f"Wix was still not told: {done.wix_error}. Try again."}
    return _flash("Wix was told: your POS account is disconnected from this site.")


def _wix_configuration(request: Request, session: Session, configuration_id: str) -> dict[str, Any]:
    """The configuration as Wix has it for this site: an id of another site is 'not found' (Wix answers 404)."""
    try:
        return get_configuration(_client(request), session.owner.instance_id, configuration_id)
    except WixApiError as exc:
        if exc.status == 404:
            raise WixError.of(
                "LOCATION_NOT_FOUND", "This Wix location is not on your site", configurationId=configuration_id
            ) from None
        raise


@router.post("/dashboard/configurations/{configuration_id}/pair")
async def pair(request: Request, configuration_id: str) -> Response:
    """Pair (or change) a Wix location with a POS location; menus given or all sold there."""

    def act(session: Session, form: FormData) -> dict[str, Any]:
        menus = [str(m) for m in form.getlist("menu")] if form.get("menusChosen") == "yes" else None
        location_id = str(form.get("locationId") or "")
        if not location_id:
            raise WixError.of("LOCATION_NOT_FOUND", "Choose a POS location", http_status=400)
        instance_id, client = session.owner.instance_id, _client(request)
        if merchant_page.generation_of(_db(request), client, instance_id, configuration_id) is Generation.NEWGEN:
            # A business location: the pairing service asks Wix's Locations API whether it is this site's.
            pair_configuration(
                _db(request),
                instance_id=instance_id,
                configuration_id=configuration_id,
                location_id=location_id,
                menu_ids=menus,
                wix=client,
                generation=Generation.NEWGEN,
            )
            name = "the business location"
        else:
            found = _wix_configuration(request, session, configuration_id)
            pair_configuration(
                _db(request),
                instance_id=instance_id,
                configuration_id=configuration_id,
                location_id=location_id,
                menu_ids=menus,
                catalog_id=found.get("catalogId") or None,
            )
            name = (found.get("location") or {}).get("name") or configuration_id
        return _flash(f"Saved: {name} is paired." if menus is None else f"Saved the menus for {name}.")

    return await _guarded(request, act)


@router.post("/dashboard/configurations/{configuration_id}/unpair")
async def unpair(request: Request, configuration_id: str) -> Response:
    """Undo a pairing (orders stop until it is paired again)."""

    def act(session: Session, form: FormData) -> dict[str, Any]:
        unpair_configuration(_db(request), instance_id=session.owner.instance_id, configuration_id=configuration_id)
        return _flash("Unpaired: this Wix location takes no orders until it is paired again.")

    return await _guarded(request, act)


@router.post("/dashboard/configurations/{configuration_id}/acceptance")
async def acceptance(request: Request, configuration_id: str) -> Response:
    """How the paired POS location accepts online orders: by the kitchen, or at once with a preparation time."""

    def act(session: Session, form: FormData) -> dict[str, Any]:
        raw = str(form.get("prepMinutes") or "").strip()
        if raw and not raw.isdigit():
            raise WixError.of("INVALID_ARGUMENT", "The preparation time is a whole number of minutes", http_status=400)
        name = merchant_page.set_order_acceptance(
            _db(request),
            session.owner.instance_id,
            configuration_id,
            auto_accept=form.get("autoAccept") == "yes",
            prep_minutes=int(raw) if raw else None,
        )
        return _flash(f"Saved how {name} accepts online orders.")

    return await _guarded(request, act)


@router.post("/dashboard/configurations/{configuration_id}/sync")
async def sync_now(request: Request, configuration_id: str) -> Response:
    """Sync now: the same request Wix's Sync Catalog makes."""

    def act(session: Session, form: FormData) -> dict[str, Any]:
        jobs = getattr(request.app.state, "jobs", None)
        request_configuration_sync(
            _db(request),
            session.owner.instance_id,
            configuration_id,
            "DASHBOARD",
            notify=jobs.enqueue_sync if jobs else None,
        )
        return _flash("Sync requested: progress shows below.")

    return await _guarded(request, act)


@router.get("/dashboard/configurations/{configuration_id}/sync")
async def sync_progress(request: Request, configuration_id: str) -> Response:
    """The sync state of one location (polled while a sync waits or runs)."""

    def read(session: Session) -> dict[str, Any]:
        return {
            "sync": merchant_page.sync_state(_db(request), session.owner.instance_id, configuration_id),
            "edits": menu_events.recent_edits(_db(request), session.owner.instance_id, configuration_id),
            "configuration_id": configuration_id,
            "running": (SyncStatus.PENDING, SyncStatus.IN_PROGRESS),
        }

    return await _fragment(request, "sync_status.html", read)


@router.get("/dashboard/configurations/{configuration_id}/wix-menus")
async def wix_menus(request: Request, configuration_id: str) -> Response:
    """Before a first sync: the menus live on Wix for this location, which the sync will archive (Catalogs v3) or
    hide (Menus API, new generation), read from Wix when shown."""

    def read(session: Session) -> dict[str, Any]:
        db, client, instance_id = _db(request), _client(request), session.owner.instance_id
        if merchant_page.generation_of(db, client, instance_id, configuration_id) is Generation.NEWGEN:
            if merchant_page.ever_synced(db, instance_id, configuration_id):
                return {"menus": []}
            return {
                "menus": merchant_page.existing_location_menus(client, instance_id, configuration_id),
                "hides": True,
            }
        found = _wix_configuration(request, session, configuration_id)
        catalog_id = found.get("catalogId")
        if not catalog_id or merchant_page.ever_synced(_db(request), session.owner.instance_id, configuration_id):
            return {"menus": []}
        return {"menus": merchant_page.existing_wix_menus(_client(request), session.owner.instance_id, catalog_id)}

    return await _fragment(request, "wix_menus.html", read)


# The badge of a change; other ops take the target's past participle, as the CLI's dry run does
# (Catalogs v3 archives the site's own menus, the Menus API hides them).
_OP_LABELS = {CREATE: "New", UPDATE: "Changed"}


def _op_counts(result: Preview) -> list[str]:
    """ "N created", "N updated", "N removed" (detached or deleted), then any other op in the target's words."""
    totals: dict[str, int] = {}
    for ops in result.diff.counts().values():
        for op, n in ops.items():
            totals[op] = totals.get(op, 0) + n
    removed = totals.pop(DETACH, 0) + totals.pop(DELETE, 0)
    out = [f"{totals.pop(CREATE, 0)} created", f"{totals.pop(UPDATE, 0)} updated", f"{removed} removed"]
    return out + [f"{n} {result.wording.past[op]}" for op, n in sorted(totals.items())]


@router.get("/dashboard/configurations/{configuration_id}/preview")
async def preview(request: Request, configuration_id: str) -> Response:
    """The next sync's changes (a dry run against Wix's live catalog; writes nothing)."""

    def read(session: Session) -> dict[str, Any]:
        result = preview_sync(
            _db(request), _settings(request), session.owner.instance_id, configuration_id, client=_client(request)
        )
        changes = []
        for change in sorted(result.diff.changes, key=lambda c: (KIND_ORDER.get(c.kind, 9), c.name or "")):
            fields = []
            for name in change.before or change.after:
                if change.op == "create":
                    fields.append(f"{name}: {show(change.after.get(name), result.diff.names)}")
                else:
                    fields.extend(field_lines(name, change.before.get(name), change.after.get(name), result.diff.names))
            changes.append(
                {
                    "op": change.op,
                    "label": _OP_LABELS.get(change.op) or result.wording.past[change.op].capitalize(),
                    "kind": change.kind.lower(),
                    "name": change.name,
                    "fields": fields,
                }
            )
        return {"preview": result, "changes": changes, "counts": _op_counts(result)}

    return await _fragment(request, "preview.html", read)


@router.get("/dashboard/configurations/{configuration_id}/history")
async def history(request: Request, configuration_id: str) -> Response:
    """The location's recent syncs, each with its log and failure reason."""

    def read(session: Session) -> dict[str, Any]:
        db, instance_id = _db(request), session.owner.instance_id
        syncs = queries.list_syncs(db, instance_id=instance_id, configuration_id=configuration_id, limit=10)
        details = [
            queries.get_sync(db, instance_id=instance_id, configuration_id=configuration_id, sync_id=s.id)
            for s in syncs
        ]
        return {"syncs": details, "render_data": _log_data}

    return await _fragment(request, "history.html", read)


async def _fragment(request: Request, template: str, read: Callable[[Session], dict[str, Any]]) -> Response:
    """A read-only part of the page: the session first, then the read; a refusal or error in words."""
    try:
        session = _session(request)
    except Refused as refused:
        return _refusal(request, refused, fragment=True)
    try:
        context = await run_in_threadpool(read, session)
    except WixError as error:
        return _html(request, "message.html", _status_for(error), text=error.message, error=True)
    except WixApiError as error:
        return _html(request, "message.html", 502, text=f"Wix did not answer: {error.message}", error=True)
    return _html(request, template, **context)


def _log_data(data: dict[str, Any] | None) -> str:
    """A log line's data as `key: value` words, not JSON."""
    if not data:
        return ""
    return "; ".join(f"{key}: {_words(value)}" for key, value in data.items())


def _words(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_words(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_words(v) for v in value[:10]) + (" …" if len(value) > 10 else "")
    return str(value)


# --- the kitchen view ---------------------------------------------------------------------------

ACTION_WORDS = {
    "accept": "Accept",
    "ready": "Ready",
    "fulfill": "Picked up / delivered",
    "cancel": "Cancel order",
    "retry": "Send again",
    "resolve": "Mark as dealt with",
}


def _kitchen_context(request: Request, session: Session) -> dict[str, Any]:
    kitchen = kitchen_orders(_db(request), session.owner.instance_id)
    new_count = sum(1 for place in kitchen for t in place.tickets if t.status == order_flow.NEW)
    attention = attention_orders(_db(request), session.owner.instance_id)
    return {"kitchen": kitchen, "new_count": new_count, "action_words": ACTION_WORDS, "attention": attention}


async def _kitchen(request: Request, action: Action | None = None) -> Response:
    """The kitchen card: the action (after the session and CSRF checks), then the list re-read."""
    acted = await _act(request, action)
    if not isinstance(acted, _Acted):
        return acted
    context = await run_in_threadpool(_kitchen_context, request, acted.session)
    return _html(request, "kitchen.html", acted.status, session=acted.session, flash=acted.flash, **context)


@router.get("/dashboard/kitchen")
async def kitchen(request: Request) -> Response:
    """The open orders per location (the card polls this every few seconds)."""
    return await _kitchen(request)


@router.post("/dashboard/kitchen/orders/{pos_order_id}/{action}")
async def kitchen_action(request: Request, pos_order_id: str, action: str) -> Response:
    """One click: accept, ready, fulfil or cancel an order of this site (Wix is told from the queue), or retry
    or resolve one that needs attention."""

    def act(session: Session, form: FormData) -> dict[str, Any]:
        instance_id = session.owner.instance_id
        jobs = getattr(request.app.state, "jobs", None)
        if action == "retry":
            for job in outbound.retry(_db(request), pos_order_id, instance_id=instance_id):
                if jobs is not None:
                    jobs.enqueue_outbound(job)
            return _flash("The failed updates are being sent again.")
        if action == "resolve":
            attention.resolve(_db(request), pos_order_id, instance_id=instance_id)
            return _flash("Marked as dealt with.")
        if action not in order_flow.ACTIONS:
            raise WixError.of("INVALID_ARGUMENT", f"'{action}' is not a kitchen action", http_status=404)
        done = order_flow.change_status(
            _db(request),
            pos_order_id,
            order_flow.ACTIONS[action],
            actor="KITCHEN",
            reason=str(form.get("reason") or "") or None,
            instance_id=instance_id,
            notify=jobs.enqueue_outbound if jobs is not None else None,
        )
        return _flash(f"Order {done.wix_order_id} is {done.status.lower()}.")

    return await _kitchen(request, act)


# --- stock and 86 -------------------------------------------------------------------------------


def _stock_context(request: Request, session: Session, location: str | None, search: str | None) -> dict[str, Any]:
    db, instance_id = _db(request), session.owner.instance_id
    places = stock.paired_locations(db, instance_id)
    chosen = location if location in {pos_id for pos_id, _ in places} else (places[0][0] if places else None)
    page = (
        stock.stock_page(db, chosen, instance_id=instance_id, search=search, settings=_settings(request))
        if chosen is not None
        else stock.StockPage([], [], 0, 0)
    )
    wix_owns = stock_push.WIX_OWNS_STOCK if stock_push.wix_owns_stock(_settings(request)) else None
    return {"places": places, "chosen": chosen, "search": search or "", "stock": page, "wix_owns": wix_owns}


async def _stock(request: Request, action: Action | None = None) -> Response:
    """The stock card: the action (after the session and CSRF checks), then the list re-read."""
    acted = await _act(request, action)
    if not isinstance(acted, _Acted):
        return acted
    form = acted.form
    location = str(form.get("location") or request.query_params.get("location") or "") or None
    search = str(form.get("q") or request.query_params.get("q") or "")[:255] or None
    try:
        context = await run_in_threadpool(_stock_context, request, acted.session, location, search)
    except WixError as error:
        return _html(request, "message.html", _status_for(error), text=error.message, error=True)
    return _html(request, "stock.html", acted.status, session=acted.session, flash=acted.flash, **context)


@router.get("/dashboard/stock")
async def stock_card(request: Request) -> Response:
    """A paired location's dishes with their stock (`q`: a search over the menu): what is 86ed, until when."""
    return await _stock(request)


@router.post("/dashboard/stock/{location}/{item}/{action}")
async def stock_action(request: Request, location: str, item: str, action: str) -> Response:
    """One click: 86 a dish or a choice (`kind=choice`: a size, an extra; for now, or for the chosen while) or
    bring it back; Wix is told in seconds."""

    def act(session: Session, form: FormData) -> dict[str, Any]:
        jobs = getattr(request.app.state, "jobs", None)
        instance_id, settings = session.owner.instance_id, _settings(request)
        notify = jobs.enqueue_outbound if jobs is not None else None
        choice = form.get("kind") == "choice"
        if action == "86":
            span = str(form.get("for") or "")
            done = stock.eighty_six(
                _db(request),
                item,
                location,
                instance_id=instance_id,
                for_=stock.parse_duration(span) if span else None,
                settings=settings,
                notify=notify,
                choice=choice,
            )
            until = f" until {done.view.out_until:%H:%M} UTC" if done.view.out_until else ""
            return _flash(f"{done.view.item_name} is 86ed{until}.")
        if action == "restore":
            done = stock.restore(
                _db(request), item, location, instance_id=instance_id, settings=settings, notify=notify, choice=choice
            )
            return _flash(f"{done.view.item_name} is back.")
        raise WixError.of("INVALID_ARGUMENT", f"'{action}' is not a stock action", http_status=404)

    return await _stock(request, act)
