"""A merchant's own POS (issue 14 §4): its connection, and the order webhooks owed to it.

- **Connection.** `set_pos` records where the merchant's POS takes webhooks and makes a new signing
  secret (shown once; sealed at rest with the POS credentials' key, `crypto.CredentialBox`).
- **Outbox.** The webhooks owed about an order (created: `pos.http_pos.HttpPos.place_order`; cancelled:
  `queue_cancel`) are written in the transaction that records the change, so nothing acknowledged
  to Wix is ever without its delivery.
- **Delivery.** `deliver_order` sends an order's owed webhooks strictly in id order, at least once:
  the first unfinished one is claimed (its next attempt pushed `CLAIM` ahead, so a second worker
  leaves it alone and a worker that died mid-call is replaced), sent, and the outcome recorded in
  the delivery log. Failures back off (`pos.connector.next_delay`); a delivery that has failed for
  `RETRY_WINDOW` since its first attempt fails: the order needs attention and the order's later
  deliveries wait (a cancel must never overtake the order it cancels) until an operator retries
  (`retry_order`). One the POS refuses is REFUSED for good: the order needs attention, and when it
  was the created webhook the POS never took the order, so a cancel owed after it is SKIPPED (and
  `http_pos.queue_cancel` owes no new one).
- A POS that answers the created webhook with `{"posOrderId": ...}` has that id kept for the order
  (`ConnectedPosOrder`); later webhooks name it, and the POS may use it in its status reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from posbridge.config import Settings
from posbridge.crypto import CredentialBox
from posbridge.errors import WixError
from posbridge.logs import get_logger
from posbridge.pos import connector, http_pos
from posbridge.services import attention
from posbridge.services.order_lookup import find_order
from posbridge.store.db import Database
from posbridge.store.models import ConnectedPosOrder, Merchant, OrderRow, PosDelivery, PosDeliveryAttempt
from posbridge.store.statuses import POS_DELIVERY_DONE, PosDeliveryStatus
from posbridge.store.types import money_words, utcnow

log = get_logger("pos_deliveries")

# A claimed delivery is left alone this long: longer than one attempt can take (the HTTP timeout).
CLAIM = timedelta(seconds=60)
DELIVERY_TIMEOUT_SECONDS = 10.0
MAX_URL = 2048
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PosConnectionInfo:
    """A merchant's POS connection as shown to an operator; `secret` only right after it was made."""

    merchant_id: str
    url: str
    secret: str | None = None


def set_pos(db: Database, *, merchant_id: str, url: str, secret_key: str | None) -> PosConnectionInfo:
    """Connect a merchant's own POS at `url` with a new signing secret (returned once, stored sealed).

    Setting it again replaces the URL and the secret: the old secret stops working at once.
    """
    if not secret_key:
        raise ValueError("storing the POS signing secret needs the secret key (POSBRIDGE_SECRET_KEY)")
    url = _checked_url(url)
    secret = connector.new_secret()
    sealed = CredentialBox(secret_key).seal(secret)
    with db.transaction() as session:
        merchant = _merchant(session, merchant_id, lock=True)
        merchant.pos_url, merchant.pos_secret_encrypted = url, sealed
    log.info("pos.connected", merchant_id=merchant_id, url=url)
    return PosConnectionInfo(merchant_id=merchant_id, url=url, secret=secret)


def get_pos(db: Database, *, merchant_id: str) -> PosConnectionInfo | None:
    """The merchant's POS connection (never its secret), or None when it uses the built-in kitchen."""
    with db.transaction(write=False) as session:
        merchant = _merchant(session, merchant_id)
        return None if merchant.pos_url is None else PosConnectionInfo(merchant_id=merchant_id, url=merchant.pos_url)


def remove_pos(db: Database, *, merchant_id: str) -> bool:
    """Disconnect the merchant's POS (back to the built-in kitchen); whether one was connected.

    Deliveries still owed stay in the log as they are and are no longer attempted.
    """
    with db.transaction() as session:
        merchant = _merchant(session, merchant_id, lock=True)
        if merchant.pos_url is None:
            return False
        merchant.pos_url = merchant.pos_secret_encrypted = None
        return True


def queue_cancel(session: Session, order: OrderRow, *, reason: str | None, at: datetime | None = None) -> bool:
    """Owe the order's own POS its cancellation (in the caller's transaction); False for the built-in kitchen."""
    return http_pos.queue_cancel(session, order, reason=reason, at=at)


def backoff_of(settings: Settings) -> connector.Backoff:
    """The delivery backoff the settings ask for."""
    return connector.Backoff(
        first=timedelta(seconds=settings.pos_retry_first_seconds),
        maximum=timedelta(seconds=settings.pos_retry_max_seconds),
    )


def deliver_order(
    db: Database,
    pos_order_id: str,
    *,
    secret_key: str,
    http: httpx.Client,
    clock: Clock = utcnow,
    backoff: connector.Backoff = connector.Backoff(),
) -> float | None:
    """Send the order's due webhooks in order; seconds until the next one is due, or None (nothing owed now)."""
    box = CredentialBox(secret_key)
    while True:
        claimed = _claim(db, pos_order_id, clock())
        if not isinstance(claimed, _Claim):
            return claimed
        at = clock()
        attempt = connector.send(http, claimed.url, box.open(claimed.sealed), claimed.message_id, claimed.body, at)
        _record(db, claimed, attempt, at, backoff)


def deliver_due(
    db: Database,
    *,
    secret_key: str,
    http: httpx.Client,
    clock: Clock = utcnow,
    limit: int = 500,
    backoff: connector.Backoff = connector.Backoff(),
) -> int:
    """Run the deliveries of every order that has one due now (the periodic sweep); how many orders."""
    orders = due_orders(db, clock(), limit=limit)
    for pos_order_id in orders:
        deliver_order(db, pos_order_id, secret_key=secret_key, http=http, clock=clock, backoff=backoff)
    return len(orders)


def due_orders(db: Database, now: datetime, *, limit: int = 500) -> list[str]:
    """Orders whose next delivery is due at `now` (not claimed, not held behind a failed one), oldest first."""
    earlier = aliased(PosDelivery)
    held = (
        select(earlier.id)
        .where(
            earlier.pos_order_id == PosDelivery.pos_order_id,
            earlier.id < PosDelivery.id,
            earlier.status.not_in(POS_DELIVERY_DONE),
        )
        .exists()
    )
    with db.transaction(write=False) as session:
        return list(
            session.scalars(
                select(PosDelivery.pos_order_id)
                .where(PosDelivery.status == PosDeliveryStatus.PENDING, PosDelivery.next_attempt_at <= now, ~held)
                .order_by(PosDelivery.id)
                .limit(limit)
            )
        )


def retry_order(db: Database, pos_order_id: str, *, at: datetime | None = None) -> int:
    """An operator's retry: the order's failed deliveries are owed again, with a new window; how many."""
    with db.transaction() as session:
        return reopen_failed(session, pos_order_id, at or utcnow())


def reopen_failed(session: Session, pos_order_id: str, now: datetime) -> int:
    """Owe the order's failed deliveries again from `now` (a fresh 24 h window), in the caller's transaction."""
    failed = list(
        session.scalars(
            select(PosDelivery)
            .where(PosDelivery.pos_order_id == pos_order_id, PosDelivery.status == PosDeliveryStatus.FAILED)
            .with_for_update()
        )
    )
    for delivery in failed:
        delivery.status, delivery.first_attempt_at, delivery.next_attempt_at = PosDeliveryStatus.PENDING, None, now
    return len(failed)


def pos_order_id_of(db: Database, order_id: str, *, instance_id: str | None = None) -> str:
    """posbridge's id of the order a person names (the POS order id or Wix's), 404 when unknown."""
    with db.transaction(write=False) as session:
        return find_order(session, order_id, instance_id=instance_id).pos_order_id


def delivery_log(db: Database, pos_order_id: str) -> list[dict[str, Any]]:
    """The order's deliveries, oldest first, each with its attempts (the delivery log)."""
    with db.transaction(write=False) as session:
        deliveries = list(
            session.scalars(
                select(PosDelivery).where(PosDelivery.pos_order_id == pos_order_id).order_by(PosDelivery.id)
            )
        )
        attempts: dict[int, list[PosDeliveryAttempt]] = {}
        if deliveries:
            rows = session.scalars(
                select(PosDeliveryAttempt)
                .where(PosDeliveryAttempt.delivery_id.in_([d.id for d in deliveries]))
                .order_by(PosDeliveryAttempt.id)
            )
            for row in rows:
                attempts.setdefault(row.delivery_id, []).append(row)
        return [
            {
                "messageId": d.message_id,
                "event": d.event,
                "status": d.status,
                "attempts": d.attempts,
                "createdAt": d.created_at,
                "deliveredAt": d.delivered_at,
                "nextAttemptAt": d.next_attempt_at if d.status == PosDeliveryStatus.PENDING else None,
                "lastError": d.last_error,
                "log": [
                    {"at": a.at, "statusCode": a.status_code, "error": a.error, "durationMs": a.duration_ms}
                    for a in attempts.get(d.id, [])
                ],
            }
            for d in deliveries
        ]


def connected_pos_order_id(session: Session, pos_order_id: str) -> str | None:
    """The id the merchant's own POS gave the order, if it answered one."""
    ref = session.get(ConnectedPosOrder, pos_order_id)
    return None if ref is None else ref.external_id


class Waker(Protocol):
    """The job queue as deliveries need it: wake workers for what is due."""

    def sweep_pos_deliveries(self) -> int: ...


def wake(jobs: Waker | None) -> None:
    """Wake workers for deliveries due now (after a cancellation); a queue that cannot be reached leaves it
    to the minute sweep."""
    if jobs is None:
        return
    try:
        jobs.sweep_pos_deliveries()
    except Exception:
        log.warning("pos.wake_failed")


def http_client(timeout: float = DELIVERY_TIMEOUT_SECONDS) -> httpx.Client:
    """The client deliveries use: every wait bounded, no redirects followed (a POS answers where it is)."""
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)


# --- internals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    pos_order_id: str
    merchant_pk: int
    message_id: str
    url: str
    sealed: bytes
    body: str
    attempts: int
    first_attempt_at: datetime


def _claim(db: Database, pos_order_id: str, now: datetime) -> _Claim | float | None:
    """Take the order's first unfinished delivery if it is due (see the module docstring)."""
    with db.transaction() as session:
        delivery = session.scalar(
            select(PosDelivery)
            .where(PosDelivery.pos_order_id == pos_order_id, PosDelivery.status.not_in(POS_DELIVERY_DONE))
            .order_by(PosDelivery.id)
            .limit(1)
            .with_for_update()
        )
        if delivery is None or delivery.status in (PosDeliveryStatus.FAILED, PosDeliveryStatus.REFUSED):
            return None  # all delivered, or blocked behind a failure until an operator retries
        if delivery.next_attempt_at > now:
            return max((delivery.next_attempt_at - now).total_seconds(), 0.0)
        merchant = session.get(Merchant, delivery.merchant_id)
        if merchant is None or merchant.pos_url is None or merchant.pos_secret_encrypted is None:
            return None  # the merchant went back to the built-in kitchen: nothing to send it to
        delivery.attempts += 1
        delivery.first_attempt_at = delivery.first_attempt_at or now
        delivery.next_attempt_at = now + CLAIM
        payload = dict(delivery.payload)
        payload["data"] = {**payload["data"], "posOrderId": _named_pos_order_id(session, delivery)}
        return _Claim(
            delivery_id=delivery.id,
            pos_order_id=pos_order_id,
            merchant_pk=delivery.merchant_id,
            message_id=delivery.message_id,
            url=merchant.pos_url,
            sealed=merchant.pos_secret_encrypted,
            body=connector.body_text(payload),
            attempts=delivery.attempts,
            first_attempt_at=delivery.first_attempt_at,
        )


def _named_pos_order_id(session: Session, delivery: PosDelivery) -> str:
    """The POS order id a webhook names: the POS's own once it gave one, else posbridge's."""
    own = connected_pos_order_id(session, delivery.pos_order_id)
    return own if own is not None else str(delivery.payload["data"]["posOrderId"])


def _record(db: Database, claim: _Claim, attempt: connector.Attempt, at: datetime, backoff: connector.Backoff) -> None:
    """Write an attempt's outcome: the log row, the delivery's state, the POS's id, needs attention."""
    try:
        with db.transaction() as session:
            _apply(session, claim, attempt, at, backoff)
    except IntegrityError:
        # The POS answered an id it already gave another order of this merchant: keep the delivery, not the id.
        with db.transaction() as session:
            _apply(session, claim, attempt, at, backoff, keep_pos_id=False)


def _apply(
    session: Session,
    claim: _Claim,
    attempt: connector.Attempt,
    at: datetime,
    backoff: connector.Backoff,
    keep_pos_id: bool = True,
) -> None:
    delivery = session.get(PosDelivery, claim.delivery_id, with_for_update=True)
    if delivery is None:
        return
    session.add(
        PosDeliveryAttempt(
            delivery_id=delivery.id,
            at=at,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )
    )
    order = session.scalar(select(OrderRow).where(OrderRow.pos_order_id == claim.pos_order_id))
    if attempt.delivered:
        delivery.status, delivery.delivered_at, delivery.last_error = PosDeliveryStatus.DELIVERED, at, None
        if keep_pos_id and attempt.pos_order_id and session.get(ConnectedPosOrder, claim.pos_order_id) is None:
            session.add(
                ConnectedPosOrder(
                    pos_order_id=claim.pos_order_id, merchant_id=claim.merchant_pk, external_id=attempt.pos_order_id
                )
            )
            session.flush()
        log.info("pos.delivered", message_id=claim.message_id, webhook=delivery.event, attempts=delivery.attempts)
        return
    delivery.last_error = attempt.error
    if attempt.refused or at - claim.first_attempt_at >= connector.RETRY_WINDOW:
        delivery.status = PosDeliveryStatus.REFUSED if attempt.refused else PosDeliveryStatus.FAILED
        if attempt.refused and delivery.event == connector.EVENT_CREATED:
            _skip_later(session, delivery)
        if order is not None:
            _needs_attention(session, order, delivery, refused=attempt.refused)
        log.warning("pos.delivery_failed", message_id=claim.message_id, webhook=delivery.event, error=attempt.error)
        return
    delivery.next_attempt_at = at + connector.next_delay(delivery.attempts, attempt.retry_after, backoff)
    log.info("pos.delivery_retry", message_id=claim.message_id, attempts=delivery.attempts, error=attempt.error)


def _skip_later(session: Session, refused: PosDelivery) -> None:
    """The POS refused the order: what was owed after it (a cancel) is owed no more."""
    later = session.scalars(
        select(PosDelivery)
        .where(
            PosDelivery.pos_order_id == refused.pos_order_id,
            PosDelivery.id > refused.id,
            PosDelivery.status.in_((PosDeliveryStatus.PENDING, PosDeliveryStatus.FAILED)),
        )
        .with_for_update()
    )
    for delivery in later:
        delivery.status, delivery.last_error = (
            PosDeliveryStatus.SKIPPED,
            "not sent: the POS refused the order, so it holds nothing to cancel",
        )


def _needs_attention(session: Session, order: OrderRow, delivery: PosDelivery, *, refused: bool) -> None:
    """Flag the order with what went wrong and what an operator can do."""
    owed = attention.ecom_owed(order.wix_order)
    if refused and delivery.event == connector.EVENT_CREATED and owed is not None:
        _refused_ecom_order(session, order, delivery, owed)
        return
    if refused and delivery.event == connector.EVENT_CREATED:
        paid = Decimal(0) if order.paid_by_pos_gateway else _paid(order)
        refund = f"; the customer paid {money_words(paid, order.currency)}: refund them in Wix" if paid > 0 else ""
        reason = f"The POS refused order {order.pos_order_id}: {delivery.last_error}{refund}"
        actions: tuple[str, ...] = (attention.REFUND, attention.CANCEL) if paid > 0 else (attention.CANCEL,)
    elif refused:
        reason = f"The POS refused the {delivery.event} webhook of order {order.pos_order_id}: {delivery.last_error}"
        actions = (attention.RETRY,)
    else:
        reason = (
            f"The POS did not take the {delivery.event} webhook of order {order.pos_order_id} for 24 hours "
            f"({delivery.attempts} attempts; last: {delivery.last_error})"
        )
        actions = (attention.RETRY,)
    attention.flag(session, order, kind=attention.POS_DELIVERY_FAILED, reason=reason, actions=actions)


def _refused_ecom_order(session: Session, order: OrderRow, delivery: PosDelivery, owed: Decimal) -> None:
    """A new-generation order Wix already took and charged: the refund to make, in words (as ecom_orders does)."""
    number = (order.wix_order or {}).get("number") or "?"
    if owed > 0:
        todo = f"the customer paid {money_words(owed, order.currency)}: refund them in Wix's dashboard"
    else:
        todo = "nothing was paid online: tell the customer"
    attention.flag(
        session,
        order,
        kind=attention.ORDER_REFUSED,
        reason=f"The POS refused eCom order #{number} ({order.wix_order_id}): {delivery.last_error}. To do: {todo}",
        actions=(attention.REFUND, attention.CANCEL) if owed > 0 else (attention.CANCEL,),
    )


def _paid(order: OrderRow) -> Decimal:
    """What the customer paid through Wix (the payments Wix stated, in the order's record)."""
    total = Decimal(0)
    for payment in order.payments or []:
        try:
            total += Decimal(str(payment.get("amount") or "0")) if isinstance(payment, dict) else Decimal(0)
        except InvalidOperation:
            continue
    return total


def _merchant(session: Session, merchant_id: str, *, lock: bool = False) -> Merchant:
    query = select(Merchant).where(Merchant.pos_id == merchant_id)
    merchant = session.scalar(query.with_for_update() if lock else query)
    if merchant is None:
        raise WixError.of(
            "ACCOUNT_NOT_FOUND", f"No POS account '{merchant_id}'", http_status=404, accountId=merchant_id
        )
    return merchant


def _checked_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc:
        raise WixError.of(
            "INVALID_POS_URL", "The POS URL must be an absolute http(s) URL of at most 2048 characters", http_status=400
        )
    return url
