"""Orders from Wix: Validate Order and Create Order (product.md §3 steps 5 and 6).

Both run the same checks (`order_checks.check_order`). Create Order is idempotent on
(instance, configuration, Wix order id): a repeat returns the first answer without re-validating.
A new order is checked again and written in ONE write transaction: the order row first (its
unique key is the idempotency key, so a concurrent duplicate fails before any side effect), then
lines and options, the stock decrement and the NEW status.

An `OrderPolicy` says how strictly (settings `POSBRIDGE_ORDER_*`). In observe mode the failures
that did not refuse the order are logged (`order_checks_observed`) and, on Create Order, recorded
on the order (`orders.observed_failures`) for the operator to read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from posbridge.errors import ErrorDetail, InvalidArgument, WixError
from posbridge.logs import get_logger
from posbridge.pos.stock import decrement
from posbridge.services.order_checks import (
    OrderPlan,
    OrderPolicy,
    ResolvedChoice,
    ResolvedLine,
    check_order,
    lock_location,
    lock_location_row,
    recheck_locked,
)
from posbridge.services.order_totals import line_amount, service_fees_of
from posbridge.spi.order_wire import WixOrder
from posbridge.store.db import Database
from posbridge.store.models import Location, Order, OrderLine, OrderLineOption, OrderStatusChange
from posbridge.store.types import utcnow

log = get_logger("ordering")

# Built once (every Create Order runs it twice): building a statement costs more than running it.
_EXISTING = (
    select(Order.pos_order_id, Location.pos_id)
    .join(Location, Location.id == Order.location_id)
    .where(
        Order.instance_id == bindparam("instance"),
        Order.configuration_wix_id == bindparam("configuration"),
        Order.wix_order_id == bindparam("order"),
    )
)


@dataclass(frozen=True)
class CreatedOrder:
    """Create Order's answer: the POS order id, the POS location id, and whether this call created it."""

    pos_order_id: str
    pos_location_id: str
    created: bool


def validate_order(
    db: Database,
    *,
    instance_id: str,
    account_id: str,
    configuration_id: str,
    order: WixOrder,
    request_id: str | None = None,
    now: datetime | None = None,
    policy: OrderPolicy = OrderPolicy(),
) -> list[ErrorDetail]:
    """Check an order against the POS; raise one WixError listing every failure, in check order.

    Returns the failures observe mode let through (empty when enforcing). Payments may still be
    missing here: Wix validates before the customer pays.
    """
    try:
        with db.transaction(write=False) as session:
            plan = check_order(
                session,
                instance_id=instance_id,
                account_id=account_id,
                configuration_id=configuration_id,
                order=order,
                now=_aware(now),
                policy=policy,
            )
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
    order: WixOrder,
    paid_by_pos_gateway: bool,
    request_id: str | None = None,
    now: datetime | None = None,
    policy: OrderPolicy = OrderPolicy(),
) -> CreatedOrder:
    """Place an order in the POS exactly once per Wix order id; a repeat returns the first answer.

    Unless the POS's own gateway takes the payment, the order must arrive paid (`payments` adding
    up to the total).
    """
    if not order.id:
        raise InvalidArgument("order.id is required to create an order")
    moment = _aware(now)
    with db.transaction(write=False) as session:
        found = _existing(session, instance_id, configuration_id, order.id)
        if found is not None:
            return found
    try:
        with db.transaction(write=True) as session:
            # The checks run before the location lock, so concurrent creates do their Python work in
            # parallel; the lock then covers only what a concurrent order can change.
            try:
                plan = check_order(
                    session,
                    instance_id=instance_id,
                    account_id=account_id,
                    configuration_id=configuration_id,
                    order=order,
                    now=moment,
                    policy=policy,
                    payment_due=not paid_by_pos_gateway,
                )
            except WixError:
                # A duplicate that committed meanwhile (perhaps taking the last unit) is answered, not refused.
                lock_location(session, instance_id, configuration_id)
                found = _existing(session, instance_id, configuration_id, order.id)
                if found is not None:
                    return found
                raise
            # Serialise creates per location (PostgreSQL row lock; SQLite writers already queue), then
            # look again: a duplicate that committed while we waited is answered, not re-created.
            lock_location_row(session, plan.location.id)
            found = _existing(session, instance_id, configuration_id, order.id)
            if found is not None:
                return found
            plan = recheck_locked(session, plan, order, moment, policy)
            created = _write(session, plan, order, configuration_id, paid_by_pos_gateway, request_id)
        log.info(
            "order_created",
            instance_id=instance_id,
            configuration_id=configuration_id,
            wix_order_id=order.id,
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
            found = _existing(session, instance_id, configuration_id, order.id)
        if found is None:
            raise
        return found


def _log_refusal(
    event: str, exc: WixError, instance_id: str, configuration_id: str, order: WixOrder, request_id: str | None
) -> None:
    """One log line per refused order, with every code, so operators see why without the response body."""
    log.info(
        event,
        instance_id=instance_id,
        configuration_id=configuration_id,
        wix_order_id=order.id,
        codes=[detail.code for detail in exc.details],
        request_id=request_id,
    )


def _log_observed(
    stage: str,
    observed: list[ErrorDetail],
    instance_id: str,
    configuration_id: str,
    order: WixOrder,
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
        wix_order_id=order.id,
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


def _existing(session: Session, instance_id: str, configuration_wix_id: str, wix_order_id: str) -> CreatedOrder | None:
    """The answer already given for this Wix order, if any."""
    params = {"instance": instance_id, "configuration": configuration_wix_id, "order": wix_order_id}
    row = session.execute(_EXISTING, params).first()
    return None if row is None else CreatedOrder(pos_order_id=row[0], pos_location_id=row[1], created=False)


def new_pos_order_id() -> str:
    """A fresh POS order id: "po_" + 32 hex digits."""
    return f"po_{uuid.uuid4().hex}"


def _write(
    session: Session,
    plan: OrderPlan,
    order: WixOrder,
    configuration_wix_id: str,
    paid_by_pos_gateway: bool,
    request_id: str | None,
) -> CreatedOrder:
    """Insert the order (flushed first: the idempotency key), its lines, the stock decrement and NEW status."""
    assert order.id is not None
    totals = order.totals
    fulfillment = order.fulfillment
    row = Order(
        pos_order_id=new_pos_order_id(),
        instance_id=plan.tenant.configuration.instance_id,
        configuration_wix_id=configuration_wix_id,
        configuration_id=plan.tenant.configuration.id,
        wix_order_id=order.id,
        location_id=plan.location.id,
        status="NEW",
        currency=(order.currency or plan.merchant.currency).upper(),
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
        customer=order.customer.to_wire(),
        fulfillment=fulfillment.to_wire(),
        payments=[payment.to_wire() for payment in order.payments],
        comment=order.comment,
        paid_by_pos_gateway=paid_by_pos_gateway,
        wix_order=order.to_wire(),
        request_id=request_id,
        observed_failures=[detail.to_wire() for detail in plan.observed] or None,
    )
    session.add(row)
    session.flush()  # the unique key is taken here, before any side effect
    for line in plan.lines:
        _write_line(session, row, line, plan.reading.convention)
    for item_id, quantity in plan.demand.items():
        decrement(plan.stock.get(item_id), quantity)
    session.add(OrderStatusChange(order_id=row.id, status="NEW", actor="WIX", note=f"Wix order {order.id}"))
    return CreatedOrder(pos_order_id=row.pos_order_id, pos_location_id=plan.location.pos_id, created=True)


def _write_line(session: Session, order: Order, line: ResolvedLine, convention: str) -> None:
    assert line.item is not None  # a plan only holds lines that mapped
    row = OrderLine(
        order_id=order.id,
        position=line.position,
        item_id=line.item.id,
        wix_catalog_item_id=line.line.catalog_item_id or "",
        name=line.item.name,
        quantity=line.line.quantity,
        unit_price=line.line.price,
        line_total=line_amount(line.line, convention),
        comment=line.line.comment,
    )
    session.add(row)
    session.flush()
    for choice in line.choices:
        _write_choice(session, row.id, None, choice)


def _write_choice(session: Session, line_id: int, parent_id: int | None, choice: ResolvedChoice) -> None:
    """One chosen option, then the options chosen inside it (nested under it by parent id)."""
    wire = choice.choice
    row = OrderLineOption(
        line_id=line_id,
        parent_id=parent_id,
        group_name=choice.group.name if choice.group is not None else choice.option.name,
        group_type=choice.group.type if choice.group is not None else choice.option.type,
        option_group_id=choice.group.id if choice.group is not None else None,
        variation_id=choice.variation.id if choice.variation is not None else None,
        wix_item_id=wire.catalog_item_id or "",
        name=choice.variation.name
        if choice.variation is not None
        else (wire.catalog_reference.catalog_item_name or ""),
        price=wire.price,
        quantity=wire.quantity,
    )
    session.add(row)
    if choice.children:
        session.flush()
        for child in choice.children:
            _write_choice(session, line_id, row.id, child)
