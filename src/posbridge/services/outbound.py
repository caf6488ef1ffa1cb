"""Outbound work about orders (status pushes to Wix; deliveries to a merchant's POS), run from the job queue.

Each piece of work is an `OutboundJob` row written in the transaction that made it owed, so nothing
acknowledged is lost; the queued task is only a wake-up (the sweep re-wakes what is due). Jobs that
share an `ordering_key` (one order's) run strictly in id order: one worker at a time per key holds
the lease `outbound-<key>` and works through the key's jobs; a job that failed for good blocks the
ones after it (a fulfil must never overtake an accept Wix has not taken), until an operator retries.

A handler per job kind does the call and says how it went: return (done), `TryLater` (Wix or the
POS did not answer, throttled, failed on its side: backoff, at least its Retry-After), or `GiveUp`
(refused for good). A job still failing after `MAX_ATTEMPTS` (about half an hour of backoff), or
given up, fails and puts its order in needs attention with the reason; `retry` runs it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from posbridge.config import Settings
from posbridge.errors import WixError
from posbridge.logs import get_logger
from posbridge.orders.channels import channel_class
from posbridge.orders.model import OrderStatus
from posbridge.pos.stock import is_push_key
from posbridge.services import attention, pos_deliveries
from posbridge.services.order_lookup import find_order
from posbridge.store.db import Database
from posbridge.store.leases import LEASE_SECONDS, Leases
from posbridge.store.models import Configuration, OrderRow, OutboundJob
from posbridge.store.statuses import OutboundJobStatus, WixPushStatus
from posbridge.store.types import utcnow
from posbridge.wix.client import WixClient
from posbridge.wix.generation import Generation

log = get_logger("outbound")

ORDER_STATUS = "ORDER_STATUS"
STOCK = "STOCK"  # pos.stock.STOCK_PUSH
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS = 5.0, 600.0
BUSY_DELAY_SECONDS = 1.0  # another worker holds the key: look again this much later


class TryLater(Exception):
    """The other side did not take the work now; try again after a backoff (at least `retry_after`)."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class GiveUp(Exception):
    """The other side refused the work for good; `actions` are what an operator can do about it."""

    def __init__(self, reason: str, *, actions: tuple[str, ...] = (attention.RETRY,)) -> None:
        super().__init__(reason)
        self.actions = actions


@dataclass(frozen=True)
class Job:
    """A job as a handler sees it (no ORM row crosses into a handler: it runs outside any transaction)."""

    id: int
    kind: str
    instance_id: str
    order_id: int | None
    payload: dict[str, Any]
    attempts: int
    clock: Callable[[], datetime] = field(default=utcnow, repr=False, compare=False)  # run_job's: tests move it
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)  # run_job's: tests wait on it


Handler = Callable[[Database, Settings, Job, WixClient], None]
# What an outbound job of a kind does and which needs-attention kind its failure is.
_HANDLERS: dict[str, tuple[Handler, str]] = {}


def register(kind: str, handler: Handler, *, attention_kind: str) -> None:
    """Install the handler of a job kind (status pushes here; POS deliveries by the POS connector)."""
    _HANDLERS[kind] = (handler, attention_kind)


def queue_job(session: Session, *, kind: str, order: OrderRow, payload: dict[str, Any]) -> int:
    """Record a job for an order in the caller's transaction, after the order's earlier ones; its id."""
    job = OutboundJob(
        kind=kind, instance_id=order.instance_id, order_id=order.id, ordering_key=order_key(order.id), payload=payload
    )
    session.add(job)
    session.flush()
    return job.id


def queue_status_push(session: Session, order: OrderRow, status: str, *, actor: str, message: str | None) -> int | None:
    """Owe Wix the order's new status, when Wix models it; the job's id, or None when there is nothing to tell.

    What Wix models is the order channel's to say (Orders v3 has no READY; eCommerce's fulfillment has).
    """
    if not channel_class(generation_of(order)).reports(OrderStatus(status)):
        return None
    order.wix_push_status = WixPushStatus.PENDING
    payload = {"status": status, "actor": actor, "message": message}
    return queue_job(session, kind=ORDER_STATUS, order=order, payload=payload)


def generation_of(order: OrderRow) -> Generation:
    """The Wix generation of the pairing the order came through (a business location's: NEWGEN)."""
    session = object_session(order)
    if session is None or order.configuration_id is None:
        return Generation.LEGACY
    configuration = session.get(Configuration, order.configuration_id)
    return (
        Generation.NEWGEN
        if configuration is not None and configuration.generation == Generation.NEWGEN
        else Generation.LEGACY
    )


def order_key(order_pk: int) -> str:
    """The ordering key of an order's jobs."""
    return f"order-{order_pk}"


def run_job(
    db: Database,
    settings: Settings,
    job_id: int,
    *,
    client: WixClient,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    lease_seconds: float | None = None,
) -> float | None:
    """Run the job's key's due work in order; seconds until this key should be looked at again, or None.

    The queue calls it for each wake-up (`jobs.JobQueue`'s outbound runner). A wake-up for a key with
    nothing due, or that another worker is running, costs a query or two.
    """
    with db.transaction(write=False) as session:
        row = session.get(OutboundJob, job_id)
        if row is None:
            return None
        # Whatever the woken job's state, its key may owe more (a wake-up scheduled after a backoff
        # names the job that was first then).
        key = row.ordering_key
    leases = Leases(db, seconds=lease_seconds or LEASE_SECONDS)
    with leases.hold(f"outbound-{key}") as held:
        if not held:
            return BUSY_DELAY_SECONDS
        while True:
            job = _next_due(db, key, clock())
            if isinstance(job, float) or job is None:
                return job
            _attempt(db, settings, replace(job, clock=clock, sleep=sleep), client, clock)


def _next_due(db: Database, key: str, now: datetime) -> Job | float | None:
    """The key's first unfinished job if due now; else seconds until it is; None when nothing can run."""
    with db.transaction(write=False) as session:
        row = session.scalar(
            select(OutboundJob)
            # A failed stock push blocks nothing: a later one reads the stock afresh and supersedes it.
            .where(
                OutboundJob.ordering_key == key,
                or_(
                    OutboundJob.status == OutboundJobStatus.PENDING,
                    (OutboundJob.status == OutboundJobStatus.FAILED) & (OutboundJob.kind != STOCK),
                ),
            )
            # Stock pushes read the stock when they run, so only their times order them: a timed 86's
            # end, due later, must not hold back a restore owed now.
            .order_by(OutboundJob.next_attempt_at if is_push_key(key) else OutboundJob.id, OutboundJob.id)
            .limit(1)
        )
        if row is None or row.status == OutboundJobStatus.FAILED:
            return None  # all done, or blocked behind a failed job until an operator retries
        wait = (row.next_attempt_at - now).total_seconds()
        if wait > 0:
            return wait
        return Job(row.id, row.kind, row.instance_id, row.order_id, dict(row.payload), row.attempts)


def _attempt(db: Database, settings: Settings, job: Job, client: WixClient, clock: Callable[[], datetime]) -> None:
    handler, problem = _HANDLERS.get(job.kind, (None, attention.STATUS_PUSH_FAILED))
    started = time.monotonic()
    try:
        if handler is None:
            raise GiveUp(f"no handler for outbound jobs of kind {job.kind}")
        handler(db, settings, job, client)
    except TryLater as exc:
        _record_failure(db, job, str(exc), problem, clock(), retry_after=exc.retry_after, final=False)
    except GiveUp as exc:
        _record_failure(db, job, str(exc), problem, clock(), actions=exc.actions, final=True)
    except Exception as exc:
        # A bug or an outage of our own (the database): never lose the job, try it again later.
        log.exception("outbound.job_crashed", job_id=job.id, kind=job.kind)
        _record_failure(db, job, f"internal error: {type(exc).__name__}", problem, clock(), final=False)
    else:
        with db.transaction() as session:
            row = session.get(OutboundJob, job.id, with_for_update=True)
            if row is not None:
                row.status, row.attempts, row.last_error = OutboundJobStatus.DONE, row.attempts + 1, None
                _after_done(session, row, problem)
        log.info("outbound.done", job_id=job.id, kind=job.kind, ms=round((time.monotonic() - started) * 1000, 1))


def _record_failure(
    db: Database,
    job: Job,
    reason: str,
    problem: str,
    now: datetime,
    *,
    retry_after: float | None = None,
    actions: tuple[str, ...] = (attention.RETRY,),
    final: bool,
) -> None:
    with db.transaction() as session:
        row = session.get(OutboundJob, job.id, with_for_update=True)
        if row is None:
            return
        row.attempts += 1
        row.last_error = reason[:2000]
        if final or row.attempts >= MAX_ATTEMPTS:
            row.status = OutboundJobStatus.FAILED
            order = session.get(OrderRow, row.order_id, with_for_update=True) if row.order_id is not None else None
            if order is not None:
                if row.kind == ORDER_STATUS:
                    order.wix_push_status = WixPushStatus.FAILED
                attention.flag(session, order, kind=problem, reason=_describe(row, reason), actions=actions)
            log.warning("outbound.failed", job_id=row.id, kind=row.kind, attempts=row.attempts, reason=reason)
            return
        row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts, retry_after))
        log.info("outbound.retry_later", job_id=row.id, kind=row.kind, attempts=row.attempts, reason=reason)


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt after `attempts` failures: 5 s, 15 s, 45 s … capped at 10 min."""
    wait = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 3 ** max(0, attempts - 1))
    return max(wait, retry_after or 0.0)


def _describe(row: OutboundJob, reason: str) -> str:
    if row.kind == ORDER_STATUS:
        what = f"Telling Wix the order is {row.payload.get('status')} failed"
    else:
        what = f"{row.kind.replace('_', ' ').capitalize()} failed"
    return f"{what} after {row.attempts} attempt{'s' if row.attempts != 1 else ''}: {reason}"


def _after_done(session: Session, row: OutboundJob, problem: str) -> None:
    """A job went through: the order's push is complete when nothing of its kind is left, its flag of this kind goes."""
    if row.order_id is None:
        return
    left = session.scalar(
        select(OutboundJob.id)
        .where(
            OutboundJob.order_id == row.order_id,
            OutboundJob.kind == row.kind,
            OutboundJob.status.in_((OutboundJobStatus.PENDING, OutboundJobStatus.FAILED)),
            OutboundJob.id != row.id,
        )
        .limit(1)
    )
    order = session.get(OrderRow, row.order_id, with_for_update=True)
    if order is None or left is not None:
        return
    if row.kind == ORDER_STATUS:
        order.wix_push_status = WixPushStatus.PUSHED
    attention.clear(session, order, kind=problem)


def retry(db: Database, order_id: str, *, instance_id: str | None = None) -> list[int]:
    """The operator's retry: the order's failed jobs run again from the first (fresh attempts); their ids.

    The flag of a failed push or delivery goes with it (it comes back if they fail again). An order
    with nothing failed is refused (409), so a retry is never silently a no-op.
    """
    with db.transaction() as session:
        order = find_order(session, order_id, instance_id=instance_id, lock=True)
        rows = list(
            session.scalars(
                select(OutboundJob)
                .where(OutboundJob.order_id == order.id, OutboundJob.status == OutboundJobStatus.FAILED)
                .order_by(OutboundJob.id)
            )
        )
        now = utcnow()
        deliveries = pos_deliveries.reopen_failed(session, order.pos_order_id, now)
        if deliveries:
            attention.clear(session, order, kind=attention.POS_DELIVERY_FAILED)
        if not rows and not deliveries:
            raise WixError.of(
                "NOTHING_TO_RETRY",
                f"Order {order.pos_order_id} has no failed update to send again",
                http_status=409,
                orderId=order.pos_order_id,
            )
        for row in rows:
            row.status, row.attempts, row.next_attempt_at, row.last_error = OutboundJobStatus.PENDING, 0, now, None
        if any(r.kind == ORDER_STATUS for r in rows):
            order.wix_push_status = WixPushStatus.PENDING
        for kind in {_HANDLERS.get(r.kind, (None, attention.STATUS_PUSH_FAILED))[1] for r in rows}:
            attention.clear(session, order, kind=kind)
        return [r.id for r in rows]


def due_jobs(db: Database, *, now: datetime | None = None) -> list[int]:
    """The first due PENDING job of every key not blocked by a failed one (the queue's sweep: lost wake-ups)."""
    moment = now or utcnow()
    blocked = select(OutboundJob.ordering_key).where(
        OutboundJob.status == OutboundJobStatus.FAILED, OutboundJob.kind != STOCK
    )
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(OutboundJob.ordering_key, OutboundJob.id)
            .where(
                OutboundJob.status == OutboundJobStatus.PENDING,
                OutboundJob.next_attempt_at <= moment,
                OutboundJob.ordering_key.not_in(blocked),
            )
            .order_by(OutboundJob.id)
        ).all()
    first: dict[str, int] = {}
    for key, job_id in rows:
        first.setdefault(key, job_id)
    return list(first.values())
