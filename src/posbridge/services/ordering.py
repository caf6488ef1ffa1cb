"""Orders from Wix: Validate Order and Create Order (product.md §3 steps 5 and 6).

Both run the same checks (`order_checks.check_order`) on the pairing the order's channel names
(`order_pairing.PairingKey`: the SPI's keys, or an eCommerce order's business location). Create
Order is idempotent on (instance, configuration or business location, Wix order id): a repeat
returns the first answer without re-validating. A new order is checked again and written in ONE
write transaction: the location is held, stock and slot rechecked, the order placed in the POS
(`PosBackend.place_order`: the built-in store takes the stock; nothing it writes outlives a
rollback), then the order row (its unique key is the idempotency key, so a concurrent duplicate
rolls the whole transaction back), lines and options, and the NEW status.

Orders arrive in the domain's terms (`orders.model.Order`): each order channel parses its own wire
form at the edge. The POS is reached only through a `PosBackend` (`pos_backend`: the built-in
store's reads; Create Order places through `HttpPos`, which also owes a merchant's own POS its
webhook when the merchant has one).

An `OrderPolicy` says how strictly (settings `POSBRIDGE_ORDER_*`). In observe mode the failures
that did not refuse the order are logged (`order_checks_observed`) and, on Create Order, recorded
on the order (`orders.observed_failures`) for the operator to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from posbridge.errors import ErrorDetail, InvalidArgument, WixError
from posbridge.logs import get_logger
from posbridge.orders.model import Order, OrderStatus, StatusActor
from posbridge.pos.backend import (
    OrderPlacement,
    PlacedChoice,
    PlacedLine,
    PosBackend,
    PosBackendFactory,
    PosError,
    PosMisconfigured,
    PosRefused,
    PosUnavailable,
)
from posbridge.pos.builtin import BuiltinPos
from posbridge.pos.http_pos import HttpPos
from posbridge.services.order_checks import (
    OrderPlan,
    OrderPolicy,
    ResolvedChoice,
    ResolvedLine,
    check_order,
    lock_location,
    recheck_locked,
)
from posbridge.services.order_events import on_order_recorded
from posbridge.services.order_pairing import LegacyPairingKey, PairingKey
from posbridge.services.order_totals import LinePricing, line_amount, service_fees_of
from posbridge.store.db import Database
from posbridge.store.models import OrderLine, OrderLineOption, OrderRow, OrderStatusChange
from posbridge.store.types import utcnow

log = get_logger("ordering")


# Built once (every Create Order runs it twice): building a statement costs more than running it.
_EXISTING = select(OrderRow.pos_order_id, OrderRow.location_id).where(
    OrderRow.instance_id == bindparam("instance"),
    OrderRow.configuration_wix_id == bindparam("configuration"),
    OrderRow.wix_order_id == bindparam("order"),
)


@dataclass(frozen=True)
class CreatedOrder:
    """Create Order's answer: the POS order id, the POS location id, and whether this call created it."""

    pos_order_id: str
    pos_location_id: str
    created: bool
    jobs: tuple[int, ...] = ()  # outbound jobs the new order owes at once (an auto-accept to tell Wix)
    confirmed: bool = True  # False: a merchant's own POS still has to take it (a delivery is owed)


def validate_order(
    db: Database,
    *,
    instance_id: str,
    account_id: str,
    configuration_id: str,
    order: Order,
    request_id: str | None = None,
    now: datetime | None = None,
    policy: OrderPolicy = OrderPolicy(),
    pos_backend: PosBackendFactory = BuiltinPos,
) -> list[ErrorDetail]:
    """Check an order against the POS; raise one WixError listing every failure, in check order.

    Returns the failures observe mode let through (empty when enforcing). Payments may still be
    missing here: Wix validates before the customer pays.
    """
    try:
        with db.transaction(write=False) as session:
            pos = pos_backend(session)
            pairing = LegacyPairingKey(instance_id, account_id, configuration_id).resolve(session, pos)
            plan = check_order(session, pos, pairing, order, now=_aware(now), policy=policy)
    except WixError as exc:
        _log_refusal("order_invalid", exc, instance_id, configuration_id, order, request_id)
        raise
    _log_observed("validate", plan.observed, instance_id, configuration_id, order, request_id)
    return plan.observed


def create_order(
    db: Database,
    *,
    instance_id: str,
    account_id: str,
    configuration_id: str,
    order: Order,
    paid_by_pos_gateway: bool,
    request_id: str | None = None,
    now: datetime | None = None,
    policy: OrderPolicy = OrderPolicy(),
    pos_backend: PosBackendFactory = HttpPos,
) -> CreatedOrder:
    """SPI Create Order (the legacy channel): `create_order_at` the pairing the call's keys name."""
    return create_order_at(
        db,
        LegacyPairingKey(instance_id, account_id, configuration_id),
        order=order,
        paid_by_pos_gateway=paid_by_pos_gateway,
        request_id=request_id,
        now=now,
        policy=policy,
        pos_backend=pos_backend,
    )


def create_order_at(
    db: Database,
    key: PairingKey,
    *,
    order: Order,
    paid_by_pos_gateway: bool,
    request_id: str | None = None,
    now: datetime | None = None,
    policy: OrderPolicy = OrderPolicy(),
    pos_backend: PosBackendFactory = HttpPos,
) -> CreatedOrder:
    """Place an order in the POS exactly once per Wix order id; a repeat returns the first answer.

    The order lands at the pairing `key` names (each channel names it its own way) and is keyed by
    (instance, `key.wix_id`, Wix order id). Unless the POS's own gateway takes the payment, the
    order must arrive paid (`payments` adding up to the total).
    """
    if not order.ref:
        raise InvalidArgument("order.id is required to create an order")
    instance_id, configuration_id = key.instance_id, key.wix_id
    moment = _aware(now)
    with db.transaction(write=False) as session:
        found = _existing(session, pos_backend(session), instance_id, configuration_id, order.ref)
        if found is not None:
            return found
    try:
        with db.transaction(write=True) as session:
            pos = pos_backend(session)
            # The checks run before the location hold, so concurrent creates do their Python work in
            # parallel; the hold then covers only what a concurrent order can change.
            try:
                pairing = key.resolve(session, pos)
                plan = check_order(
                    session, pos, pairing, order, now=moment, policy=policy, payment_due=not paid_by_pos_gateway
                )
            except WixError:
                # A duplicate that committed meanwhile (perhaps taking the last unit) is answered, not refused.
                lock_location(session, pos, instance_id, configuration_id)
                found = _existing(session, pos, instance_id, configuration_id, order.ref)
                if found is not None:
                    return found
                raise
            # Serialise creates per location (PostgreSQL row lock; SQLite writers already queue), then
            # look again: a duplicate that committed while we waited is answered, not re-created.
            pos.hold_location(plan.pairing.location.id)
            found = _existing(session, pos, instance_id, configuration_id, order.ref)
            if found is not None:
                return found
            plan = recheck_locked(session, pos, plan, order, moment, policy)
            created = _place(session, pos, plan, order, configuration_id, paid_by_pos_gateway, request_id)
        log.info(
            "order_created",
            instance_id=instance_id,
            configuration_id=configuration_id,
            wix_order_id=order.ref,
            pos_order_id=created.pos_order_id,
            request_id=request_id,
        )
        if created.created:
            _log_observed("create", plan.observed, instance_id, configuration_id, order, request_id)
        return created
    except WixError as exc:
        _log_refusal("order_refused", exc, instance_id, configuration_id, order, request_id)
        raise
    except IntegrityError:
        # A concurrent duplicate won the unique key; ours rolled back whole. Answer with the winner's.
        with db.transaction(write=False) as session:
            found = _existing(session, pos_backend(session), instance_id, configuration_id, order.ref)
        if found is None:
            raise
        return found


def _log_refusal(
    event: str, exc: WixError, instance_id: str, configuration_id: str, order: Order, request_id: str | None
) -> None:
    """One log line per refused order, with every code, so operators see why without the response body."""
    log.info(
        event,
        instance_id=instance_id,
        configuration_id=configuration_id,
        wix_order_id=order.ref,
        codes=[detail.code for detail in exc.details],
        request_id=request_id,
    )


def _log_observed(
    stage: str,
    observed: list[ErrorDetail],
    instance_id: str,
    configuration_id: str,
    order: Order,
    request_id: str | None,
) -> None:
    """Observe mode: one warning per order whose failures were let through, with every code and message."""
    if not observed:
        return
    log.warning(
        "order_checks_observed",
        stage=stage,
        instance_id=instance_id,
        configuration_id=configuration_id,
        wix_order_id=order.ref,
        codes=[detail.code for detail in observed],
        messages=[detail.message for detail in observed],
        request_id=request_id,
    )


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("naive datetime: time zones must be explicit")
    return now


def _existing(
    session: Session, pos: PosBackend, instance_id: str, configuration_wix_id: str, wix_order_id: str
) -> CreatedOrder | None:
    """The answer already given for this Wix order, if any; its location's POS id is the POS's to say."""
    params = {"instance": instance_id, "configuration": configuration_wix_id, "order": wix_order_id}
    row = session.execute(_EXISTING, params).first()
    location = None if row is None else pos.location(row.location_id)
    if row is None or location is None:
        return None
    return CreatedOrder(pos_order_id=row.pos_order_id, pos_location_id=location.pos_id, created=False)


def _place(
    session: Session,
    pos: PosBackend,
    plan: OrderPlan,
    order: Order,
    configuration_wix_id: str,
    paid_by_pos_gateway: bool,
    request_id: str | None,
) -> CreatedOrder:
    """Place the checked order in the POS, then record it: the order row, its lines and the NEW status."""
    assert order.ref is not None
    lines = tuple(_placed_line(line, plan.reading.convention) for line in plan.lines)
    try:
        placed = pos.place_order(OrderPlacement(plan.pairing.location, order, lines, plan.demand, plan.slot_start))
    except PosError as exc:
        raise _placement_error(exc) from exc
    totals, fulfillment, received = order.totals, order.fulfillment, order.received
    row = OrderRow(
        pos_order_id=placed.pos_order_id,
        instance_id=plan.pairing.instance_id,
        configuration_wix_id=configuration_wix_id,
        configuration_id=plan.pairing.configuration_id,
        wix_order_id=order.ref,
        location_id=plan.pairing.location.id,
        status=OrderStatus.NEW,
        currency=(order.currency or plan.pairing.merchant.currency).upper(),
        subtotal=totals.subtotal,
        delivery=totals.delivery,
        tax=totals.tax,
        tip=totals.tip,
        discount=abs(totals.discount),  # the amount taken off, however Wix signed it
        loyalty_savings=totals.loyalty_savings,
        service_fees=service_fees_of(totals),
        total=totals.total,
        fulfillment_type=fulfillment.type,
        promised_time=fulfillment.promised_time,
        asap=fulfillment.asap,
        slot_start=plan.slot_start,
        # The channel's own record of the order, verbatim (what Wix sent, for people and for disputes).
        customer=received.get("customer", {}),
        fulfillment=received.get("fulfillment", {}),
        payments=received.get("payments", []),
        comment=order.comment,
        paid_by_pos_gateway=paid_by_pos_gateway,
        wix_order=dict(received),
        request_id=request_id,
        observed_failures=[detail.to_wire() for detail in plan.observed] or None,
    )
    session.add(row)
    session.flush()  # the unique key is taken here; a duplicate rolls back the placement with it
    for line in lines:
        _write_line(session, row, line)
    session.add(
        OrderStatusChange(order_id=row.id, status=OrderStatus.NEW, actor=StatusActor.WIX, note=f"Wix order {order.ref}")
    )
    session.flush()  # NEW is the first step of the history; what Wix said meanwhile (or auto-accept) follows
    jobs = on_order_recorded(session, row, pos=lambda _session: pos) + pos.owed_jobs()
    return CreatedOrder(
        pos_order_id=row.pos_order_id,
        pos_location_id=plan.pairing.location.pos_id,
        created=True,
        jobs=tuple(jobs),
        confirmed=placed.confirmed,
    )


def _placement_error(exc: PosError) -> WixError:
    """A POS's failure to place, in Wix's terms (the transaction rolls back: nothing is recorded)."""
    if isinstance(exc, PosRefused):
        return WixError.of("ORDER_REJECTED", f"The POS refused the order: {exc}")
    if isinstance(exc, PosMisconfigured):
        return WixError.of("ACCOUNT_CONFIGURATION", f"The POS connection needs attention: {exc}")
    if isinstance(exc, PosUnavailable):
        return WixError.of("SYSTEM_ERROR", f"The POS is not answering; try again shortly ({exc})", http_status=503)
    return WixError.of("SYSTEM_ERROR", f"The POS could not take the order ({exc})")


def _placed_line(line: ResolvedLine, convention: LinePricing) -> PlacedLine:
    assert line.item is not None  # a plan only holds lines that mapped
    return PlacedLine(
        position=line.position,
        item_id=line.item.id,
        item_ref=line.line.item_ref or "",
        name=line.item.name,
        quantity=line.line.quantity,
        unit_price=line.line.price,
        line_total=line_amount(line.line, convention),
        comment=line.line.comment,
        choices=tuple(_placed_choice(choice) for choice in line.choices),
    )


def _placed_choice(choice: ResolvedChoice) -> PlacedChoice:
    group, variation, chosen = choice.group, choice.variation, choice.choice
    return PlacedChoice(
        option_name=group.name if group is not None else choice.option_name,
        option_type=group.type if group is not None else choice.option_type,
        name=variation.name if variation is not None else (chosen.name or ""),
        quantity=chosen.quantity,
        price=chosen.price,
        item_ref=chosen.item_ref or "",
        group_id=group.id if group is not None else None,
        variation_id=variation.id if variation is not None else None,
        choices=tuple(_placed_choice(child) for child in choice.children),
    )


def _write_line(session: Session, order: OrderRow, line: PlacedLine) -> None:
    row = OrderLine(
        order_id=order.id,
        position=line.position,
        item_id=line.item_id,
        wix_catalog_item_id=line.item_ref,
        name=line.name,
        quantity=line.quantity,
        unit_price=line.unit_price,
        line_total=line.line_total,
        comment=line.comment,
    )
    session.add(row)
    session.flush()
    for choice in line.choices:
        _write_choice(session, row.id, None, choice)


def _write_choice(session: Session, line_id: int, parent_id: int | None, choice: PlacedChoice) -> None:
    """One chosen option, then the options chosen inside it (nested under it by parent id)."""
    row = OrderLineOption(
        line_id=line_id,
        parent_id=parent_id,
        group_name=choice.option_name,
        group_type=choice.option_type,
        option_group_id=choice.group_id,
        variation_id=choice.variation_id,
        wix_item_id=choice.item_ref,
        name=choice.name,
        price=choice.price,
        quantity=choice.quantity,
    )
    session.add(row)
    if choice.choices:
        session.flush()
        for child in choice.choices:
            _write_choice(session, line_id, row.id, child)
