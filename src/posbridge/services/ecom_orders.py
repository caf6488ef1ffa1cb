"""New-generation hand-over: eCommerce's order events applied to the kitchen and the POS (issue 14 §5).

The events arrive read at the edge (`spi/ecom_wire.py`: `EcomApproved`, whose order is the domain's
`orders.model.Order` with Wix's order kept verbatim as `received`; `EcomCanceled`;
`EcomPaymentStatus`); nothing here reads eCommerce's JSON.

`wix.ecom.v1.order_approved` places the order. Its `businessLocation` names the pairing (the
instance's NEWGEN configuration whose Wix id is that location, also the sync id map's id space), so
`catalogReference.catalogItemId` (a Menus item) and the modifier ids map back to POS items and
variations as an SPI order's catalog ids do. A line with a price variant (a size: the sync writes a
size-like option group as the item's `priceVariants`, one site-wide Item Variant per choice *name*)
is mapped through the variant's name, read from Wix, to the choice of that name in the item's size
group: the line then names that choice as if the customer had picked it (decisions.md). The order
goes through `ordering.create_order_at` at the location's pairing (`order_pairing.BusinessLocationKey`),
keyed by (instance, business location, eCommerce order id), so however often and in whatever order
Wix's events arrive, one order reaches the kitchen and POS. Lines of other apps (another
`catalogReference.appId`) are not the kitchen's business: the edge leaves them out.

Wix has already taken (and usually charged) an approved order, so a POS that refuses it cannot
refuse Wix: the order is recorded CANCELED (it never reached the kitchen) and put in needs
attention (`ORDER_REFUSED`) with the refund to make. `wix.ecom.v1.order_canceled` cancels the order
in the kitchen and the POS; `wix.ecom.v1.order_payment_status_updated` with a refund cancels an
unfulfilled order refunded in full, and puts a partial refund, or a refund of a fulfilled order, in
needs attention (`REFUNDED_IN_WIX`). Each cancel or refund is recorded once (`webhook_events`, by
instance, order and what happened), so a repeat is a no-op; one that arrives before the approval is
kept and applied when the approval comes: a cancelled or fully refunded order is then never placed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from posbridge.errors import WixError
from posbridge.logs import get_logger
from posbridge.orders.model import (
    LineOption,
    Order,
    OrderLine,
    OrderStatus,
    StatusActor,
)
from posbridge.pos.backend import PosBackend, PosBackendFactory
from posbridge.pos.builtin import new_pos_order_id
from posbridge.pos.http_pos import HttpPos
from posbridge.services import attention, order_events, order_flow, ordering
from posbridge.services.order_pairing import BusinessLocationKey
from posbridge.store.db import Database
from posbridge.store.models import (
    Account,
    Configuration,
    OrderRow,
    OrderStatusChange,
    SyncIdMap,
    WebhookEvent,
)
from posbridge.store.types import money_text, money_words
from posbridge.sync.catalog import DISH, VARIATION
from posbridge.wix.generation import ID_SPACE, Generation

ORDER_APPROVED = "wix.ecom.v1.order_approved"
ORDER_CANCELED = "wix.ecom.v1.order_canceled"
PAYMENT_STATUS_UPDATED = "wix.ecom.v1.order_payment_status_updated"
EVENT_TYPES = (ORDER_APPROVED, ORDER_CANCELED, PAYMENT_STATUS_UPDATED)
FULLY_REFUNDED, PARTIALLY_REFUNDED = "FULLY_REFUNDED", "PARTIALLY_REFUNDED"
REFUND_STATUSES = (FULLY_REFUNDED, PARTIALLY_REFUNDED)
# Outcomes, for logs and tests.
PLACED, DUPLICATE, NOT_OURS, REFUSED = "PLACED", "DUPLICATE", "NOT_OURS", "REFUSED"
APPLIED, STALE, KEPT, NOTED = order_events.APPLIED, order_events.STALE, order_events.KEPT, order_events.NOTED
CUSTOM_MESSAGE = "customMessage"  # the merchant's words with a cancel (Wix's order_canceled body)
BALANCE = "balanceSummary"
REFUNDED_SINCE = " (Wix has refunded "
CANCELED_BEFORE = "CANCELED_BEFORE"  # approved after Wix had cancelled or refunded it: never placed
UNFULFILLED = (order_flow.NEW, order_flow.ACCEPTED, order_flow.READY)
# (instance id, variant ids) → {variant id: name}, read from Wix's Item Variants.
VariantNames = Callable[[str, Collection[str]], Mapping[str, str]]
log = get_logger("ecom_orders")


@dataclass(frozen=True)
class EcomApproved:
    """`order_approved`: an order Wix has taken, as the edge read it (`spi/ecom_wire.py`).

    `order` holds the restaurant lines in the domain's terms (`received`: Wix's order verbatim);
    `variants` is each of those lines' price variant. `unreadable`: why the order could not be read
    (then `order` is None), raised only once the order is known to be a paired kitchen's.
    """

    order_id: str
    business_location: str | None  # None: no restaurant location, not a paired kitchen's order
    order: Order | None
    number: str | None = None  # the order's number as people know it
    offline: bool = False  # paid offline: the POS's own gateway takes the payment
    variants: tuple[str | None, ...] = ()
    unreadable: Exception | None = None


@dataclass(frozen=True)
class EcomCanceled:
    """`order_canceled`: Wix cancelled the order; `message` is the merchant's words to the customer."""

    order_id: str
    restaurant: bool  # False: another app's order (no restaurant line)
    message: str | None = None


@dataclass(frozen=True)
class EcomPaymentStatus:
    """`order_payment_status_updated`: the order's payment status; a refund states what Wix refunded in all.

    `balance` is Wix's balance summary verbatim (what is still owed is read from it later);
    `unreadable`: why a refund's facts could not be read, raised only when the refund is the kitchen's.
    """

    order_id: str
    payment_status: str | None
    restaurant: bool = True
    refunded: Decimal = Decimal(0)
    number: str | None = None
    balance: Mapping[str, Any] | None = None
    unreadable: Exception | None = None


EcomEvent = EcomApproved | EcomCanceled | EcomPaymentStatus


def is_ecom_order_event(event_type: str) -> bool:
    return event_type in EVENT_TYPES


def apply_ecom_event(
    db: Database,
    instance_id: str,
    event: EcomEvent,
    *,
    variants: VariantNames | None = None,
    pos_backend: PosBackendFactory = HttpPos,
) -> str:
    """Place an approved eCommerce order once, or apply a cancel or refund from Wix; the outcome.

    The POS is reached through `pos_backend` (a sized line's choices; the placement).
    """
    if isinstance(event, EcomCanceled):
        return _cancel(db, instance_id, event)
    if isinstance(event, EcomPaymentStatus):
        return _payment(db, instance_id, event)
    order_id, location = event.order_id, event.business_location
    if location is None:
        return NOT_OURS  # no restaurant location: not an order of a paired kitchen
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Configuration.id, Configuration.location_id, ID_SPACE)
            .select_from(Account)
            .join(Configuration, Configuration.account_pk == Account.id)
            .where(
                Configuration.instance_id == instance_id,
                Configuration.wix_id == location,
                Configuration.generation == Generation.NEWGEN,
            )
        ).first()
        if row is not None and _rows(session, instance_id, order_id, lock=False):
            return DUPLICATE  # a resent approval: answered before anything is read from Wix
        if row is not None and _withdrawn(session, instance_id, order_id):
            log.info("ecom_order.canceled_before_approval", instance_id=instance_id, wix_order_id=order_id)
            return CANCELED_BEFORE
    if row is None:
        log.info("ecom_order.unpaired_location", instance_id=instance_id, location=location, wix_order_id=order_id)
        return NOT_OURS
    configuration_pk, location_pk, id_space = row
    if event.unreadable is not None:
        raise event.unreadable
    domain = event.order
    assert domain is not None  # read, since nothing was unreadable
    if not domain.lines:
        return NOT_OURS
    domain = _with_sizes(db, pos_backend, instance_id, id_space, domain, event.variants, variants)
    try:
        created = ordering.create_order_at(
            db,
            BusinessLocationKey(instance_id, location),
            order=domain,
            paid_by_pos_gateway=event.offline,
            pos_backend=pos_backend,
        )
    except WixError as exc:
        if exc.http_status >= 500 or location_pk is None:
            raise  # the POS is down (Wix resends the event later), or the pairing has no location yet
        log.warning(
            "ecom_order.refused", instance_id=instance_id, wix_order_id=order_id, code=exc.code, reason=str(exc)
        )
        return _record_refused(db, instance_id, location, configuration_pk, location_pk, domain, event.number, exc)
    if not created.created:
        return DUPLICATE
    _apply_kept(db, instance_id, order_id)  # a cancel or refund that raced the placement
    return PLACED


def _withdrawn(session: Session, instance_id: str, order_id: str) -> bool:
    """Whether Wix cancelled or fully refunded the order before it was placed (a kept event)."""
    kept = session.execute(
        select(WebhookEvent.event_type, WebhookEvent.payload).where(
            WebhookEvent.instance_id == instance_id,
            WebhookEvent.subject == order_id[:128],
            WebhookEvent.event_type.in_((ORDER_CANCELED, PAYMENT_STATUS_UPDATED)),
        )
    )
    return any(
        event_type == ORDER_CANCELED or (payload or {}).get("paymentStatus") == FULLY_REFUNDED
        for event_type, payload in kept
    )


def _cancel(db: Database, instance_id: str, event: EcomCanceled) -> str:
    """Wix cancelled the order (merchant, refund, …): the kitchen's order follows, never reported back.

    The merchant's message to the customer (`customMessage`) is the reason the kitchen and the POS see.
    """
    if not event.restaurant:
        return NOT_OURS
    message = _reason(event.message)
    return _once(
        db,
        instance_id,
        event.order_id,
        ORDER_CANCELED,
        {},
        lambda session, rows: _cancel_rows(session, rows, message),
        note={CUSTOM_MESSAGE: message} if message else None,
    )


def _custom_message(kept: dict[str, Any]) -> str | None:
    """The merchant's words kept with a cancel (`_once`'s note), as the kitchen's reason."""
    return _reason(kept.get(CUSTOM_MESSAGE))


def _reason(text: Any) -> str | None:
    return text.strip()[: order_flow.MAX_REASON] if isinstance(text, str) and text.strip() else None


def _cancel_rows(session: Session, rows: list[OrderRow], message: str | None = None) -> str:
    outcomes = [
        order_events.apply_wix_status(session, row, order_flow.CANCELED, at=None, message=message) for row in rows
    ]
    return APPLIED if APPLIED in outcomes else STALE


def _payment(db: Database, instance_id: str, event: EcomPaymentStatus) -> str:
    """A refund in Wix: an unfulfilled order refunded in full is cancelled; any other refund needs a person."""
    status = event.payment_status
    if status not in REFUND_STATUSES:
        return NOTED  # paid, pending, …: nothing for the kitchen
    if event.unreadable is not None:
        raise event.unreadable
    if not event.restaurant:
        return NOT_OURS
    facts = {"paymentStatus": status, "refunded": money_text(event.refunded), "number": event.number}
    note = {BALANCE: dict(event.balance)} if event.balance is not None else None
    return _once(
        db,
        instance_id,
        event.order_id,
        PAYMENT_STATUS_UPDATED,
        facts,
        lambda s, rows: _refund_rows(s, rows, {**facts, **(note or {})}),
        note=note,
    )


def _refund_rows(session: Session, rows: list[OrderRow], facts: dict[str, Any]) -> str:
    outcomes = []
    full = facts.get("paymentStatus") == FULLY_REFUNDED
    balance = facts.get(BALANCE)
    for row in rows:
        if isinstance(balance, dict):  # what is still owed is read from the order's balance (attention.refund)
            row.wix_order = {**row.wix_order, BALANCE: balance, "paymentStatus": facts.get("paymentStatus")}
        if not full and row.attention_kind == attention.ORDER_REFUSED and row.needs_attention:
            first = row.needs_attention.split(REFUNDED_SINCE)[0]
            attention.flag(
                session,
                row,
                kind=attention.ORDER_REFUSED,
                reason=f"{first}{REFUNDED_SINCE}{facts.get('refunded')} {row.currency} of it since)",
                actions=tuple(row.attention_actions or ()),
            )
            outcomes.append(APPLIED)
            continue
        if full and (row.status in UNFULFILLED or row.attention_kind == attention.ORDER_REFUSED):
            outcomes.append(_cancel_rows(session, [row], message="refunded in full"))
            if attention.clear(session, row, kind=attention.ORDER_REFUSED):  # the refund it asked for is done
                outcomes.append(APPLIED)
        elif row.status == order_flow.CANCELED:
            outcomes.append(STALE)  # nothing left to cook; the money is Wix's side
        else:
            what = "in full" if full else f"by {facts.get('refunded')} {row.currency} in all"
            when = "after the kitchen fulfilled it" if row.status == order_flow.FULFILLED else "while it is open"
            attention.flag(
                session,
                row,
                kind=attention.REFUNDED_IN_WIX,
                reason=(
                    f"Wix refunded eCom order #{facts.get('number') or '?'} ({row.wix_order_id}) {what} {when}: "
                    "check with the kitchen whether the order still stands (cancel it, or resolve)"
                ),
                actions=(attention.CANCEL, attention.RESOLVE),
            )
            outcomes.append(APPLIED)
    return APPLIED if APPLIED in outcomes else STALE


Apply = Callable[[Session, list[OrderRow]], str]


def _once(
    db: Database,
    instance_id: str,
    order_id: str,
    event_type: str,
    facts: dict[str, Any],
    apply: Apply,
    *,
    note: dict[str, Any] | None = None,
) -> str:
    """Record what Wix said about the order once, then apply it to the order (or keep it for the approval).

    `facts` make the event what it is (its key); `note` is kept beside them for a later approval to read.
    """
    key = (
        "ecom:" + hashlib.sha256(repr((instance_id, order_id, event_type, sorted(facts.items()))).encode()).hexdigest()
    )
    try:
        with db.transaction() as session:
            _lock_order(session, instance_id, order_id)  # before the order rows are read: see _lock_order
            if session.get(WebhookEvent, key) is not None:
                return DUPLICATE
            session.add(
                WebhookEvent(
                    id=key,
                    event_type=event_type,
                    instance_id=instance_id,
                    subject=order_id[:128],
                    payload={**facts, **(note or {})},
                )
            )
            session.flush()  # the key is taken before anything else changes
            rows = _rows(session, instance_id, order_id)
            if not rows:
                log.info("ecom_order.event_kept", event_type=event_type, wix_order_id=order_id)
                return KEPT
            return apply(session, rows)
    except IntegrityError:
        return DUPLICATE  # a concurrent copy of the same event won its key


def _apply_kept(db: Database, instance_id: str, order_id: str) -> None:
    """Apply the cancels and refunds Wix sent while the order was being placed (they found no order then)."""
    with db.transaction() as session:
        _lock_order(session, instance_id, order_id)  # waits for a cancel that read before the order committed
        kept = list(
            session.execute(
                select(WebhookEvent.event_type, WebhookEvent.payload)
                .where(
                    WebhookEvent.instance_id == instance_id,
                    WebhookEvent.subject == order_id[:128],
                    WebhookEvent.event_type.in_((ORDER_CANCELED, PAYMENT_STATUS_UPDATED)),
                )
                .order_by(WebhookEvent.received_at)
            )
        )
        if not kept:
            return
        rows = _rows(session, instance_id, order_id)
        for event_type, payload in kept:
            if event_type == ORDER_CANCELED:
                _cancel_rows(session, rows, _custom_message(dict(payload or {})))
            else:
                _refund_rows(session, rows, dict(payload or {}))


def _lock_order(session: Session, instance_id: str, order_id: str) -> None:
    """Serialise a cancel or refund (`_once`) and the placement's re-check (`_apply_kept`) of one eCom order.

    Without it, on PostgreSQL (READ COMMITTED) a cancel that read no order rows before the placement
    committed, and commits only after the placement's re-check read no kept events, is lost: each
    missed the other's uncommitted row. Under this lock the re-check, which always follows the
    placement's commit, either waits for the cancel's commit (and sees its kept event) or runs first
    (and the cancel, reading after it, sees the order). PostgreSQL: a transaction-scoped advisory lock
    keyed on (instance, order), released by the commit. SQLite: every writing transaction already holds
    the file's single write lock (BEGIN IMMEDIATE, across processes), which is the same serialisation.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"ecom-order\0{instance_id}\0{order_id}".encode()).digest()
    session.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True))))


def _rows(session: Session, instance_id: str, order_id: str, *, lock: bool = True) -> list[OrderRow]:
    query = select(OrderRow).where(OrderRow.instance_id == instance_id, OrderRow.wix_order_id == order_id)
    return list(session.scalars(query.with_for_update() if lock else query))


def _record_refused(
    db: Database,
    instance_id: str,
    location: str,
    configuration_pk: int,
    location_pk: int,
    domain: Order,
    number: str | None,
    refusal: WixError,
) -> str:
    """Keep an approved order the POS refused: CANCELED (it never reached the kitchen), needing a refund."""
    assert domain.ref is not None
    owed = attention.ecom_owed(domain.received) or Decimal(0)
    currency = (domain.currency or "").upper()[:3]
    why = "; ".join(detail.message for detail in refusal.details) or str(refusal)
    if owed > 0:
        todo = f"the customer paid {money_words(owed, currency)}: cancel the order in Wix's dashboard and refund it"
    else:
        todo = "nothing was paid online: cancel the order in Wix's dashboard and tell the customer"
    reason = f"The POS refused eCom order #{number or '?'} ({domain.ref}): {why}. To do: {todo}"
    totals = domain.totals
    try:
        with db.transaction() as session:
            row = OrderRow(
                pos_order_id=new_pos_order_id(),
                instance_id=instance_id,
                configuration_wix_id=location,
                configuration_id=configuration_pk,
                wix_order_id=domain.ref,
                location_id=location_pk,
                status=OrderStatus.CANCELED,
                currency=currency,
                subtotal=totals.subtotal,
                delivery=totals.delivery,
                tax=totals.tax,
                discount=abs(totals.discount),
                total=totals.total,
                fulfillment_type=domain.fulfillment.type,
                promised_time=domain.fulfillment.promised_time,
                asap=domain.fulfillment.asap,
                customer={},
                fulfillment={},
                payments=[{"type": "WIX", "amount": money_text(owed)}] if owed > 0 else [],
                comment=domain.comment,
                wix_order=dict(domain.received),
                observed_failures=[detail.to_wire() for detail in refusal.details] or None,
            )
            session.add(row)
            session.flush()  # the order's unique key: a concurrent copy of the event rolls this back
            note = f"eCom order #{number}" if number else f"Wix order {domain.ref}"
            session.add(OrderStatusChange(order_id=row.id, status=OrderStatus.NEW, actor=StatusActor.WIX, note=note))
            session.add(
                OrderStatusChange(
                    order_id=row.id,
                    status=OrderStatus.CANCELED,
                    previous_status=OrderStatus.NEW,
                    actor=StatusActor.POS,
                    note=f"refused by the POS: {why}"[: order_flow.MAX_REASON],
                )
            )
            actions = (attention.REFUND, attention.RESOLVE) if owed > 0 else (attention.RESOLVE,)
            attention.flag(session, row, kind=attention.ORDER_REFUSED, reason=reason, actions=actions)
    except IntegrityError:
        return DUPLICATE
    _apply_kept(db, instance_id, domain.ref)  # a full refund that came meanwhile settles it
    return REFUSED


# --- price variants (sizes) --------------------------------------------------------------------


def _with_sizes(
    db: Database,
    pos_backend: PosBackendFactory,
    instance_id: str,
    id_space: str,
    domain: Order,
    line_variants: tuple[str | None, ...],
    variants: VariantNames | None,
) -> Order:
    """The order with each sized line naming its size as the choice of the item's size group.

    `line_variants` is each line's price variant. A line whose variant is unknown, or whose item
    offers no choice of that name, is left as it came: the order checks then refuse it for its
    missing size, with their usual reason.
    """
    wanted = {position: variant for position, variant in enumerate(line_variants) if variant is not None}
    if not wanted or variants is None:
        return domain
    names = variants(instance_id, set(wanted.values()))
    lines = list(domain.lines)
    with db.transaction(write=False) as session:
        pos = pos_backend(session)
        for position, variant in wanted.items():
            name, line = names.get(variant), lines[position]
            if not name or not line.item_ref:
                continue
            size = _size_choice(session, pos, instance_id, id_space, line.item_ref, name)
            if size is not None:
                lines[position] = dataclasses.replace(line, options=(size, *line.options))
    return dataclasses.replace(domain, lines=tuple(lines))


def _size_choice(
    session: Session, pos: PosBackend, instance_id: str, id_space: str, item_wix_id: str, name: str
) -> LineOption | None:
    """The choice named `name` in the item's first SELECTION group offering it, as a selected option.

    The Wix ids are posbridge's own records (the sync id map, in the pairing's id space); the item's
    choices are the POS's (`PosBackend.item_choices`).
    """
    in_space = (SyncIdMap.instance_id == instance_id, SyncIdMap.catalog_id == id_space)
    dish = session.scalar(
        select(SyncIdMap.pos_ref).where(*in_space, SyncIdMap.kind == DISH, SyncIdMap.wix_id == item_wix_id)
    )
    if dish is None:
        return None
    wanted = name.strip().casefold()
    for offered in pos.item_choices(dish):
        if offered.group_type != "SELECTION" or offered.name.strip().casefold() != wanted:
            continue
        modifier = session.scalar(
            select(SyncIdMap.wix_id).where(
                *in_space, SyncIdMap.kind == VARIATION, SyncIdMap.pos_ref == offered.variation_id
            )
        )
        if modifier is None:
            return None
        chosen = OrderLine(quantity=1, price=offered.price, item_ref=modifier, name=offered.name)
        return LineOption(name=offered.group_name, type=offered.group_type, selected=(chosen,))
    return None
