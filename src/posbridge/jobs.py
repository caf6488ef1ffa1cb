"""Background jobs on Huey: catalog syncs and outbound order work (`services/outbound.py`); one queue, three storages.

- `sqlite` (embedded default): SqliteHuey in a file next to the database — persistent, no server.
- `redis` (scaled out): RedisHuey — workers on several machines share the queue.
- `immediate` (tests): Huey's immediate mode, tasks run inline when enqueued.

The database is the source of truth; a queued task is only a wake-up. A sync request first writes
a PENDING `Sync` row, then enqueues "sync configuration N"; the task runs whatever that
configuration owes. So a wake-up lost with a crashed worker (Huey removes a task from the queue
when a worker takes it) is repaired by the sweep, which runs when a consumer starts and every
minute: it enqueues every configuration with a due PENDING sync or an abandoned IN_PROGRESS one.

One sync at a time per configuration is the sync's own database lease (`Sync.lease_until`,
taken when the runner claims the sync and renewed while it runs; `posbridge.sync.runner`), not
Huey's `lock_task`: Huey's lock has no expiry on SQLite (nor on Redis before 7.4), so a worker
killed mid-sync would block that configuration for good, and flushing locks at start-up is unsafe
with several workers. The lease expires unless its holder renews it, works the same with every
queue storage, and tells the sweep whether a sync is really running. A task that finds the sync
claimed by a live worker runs nothing; while a PENDING sync waits behind it, it looks again a
second later (and the running worker looks for a follow-up when it ends).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer, Scheduler, Worker
from sqlalchemy import or_, select
from sqlalchemy.engine import make_url

# Importing status_push and stock_push installs their outbound handlers, which run_job dispatches to.
import posbridge.services.status_push
import posbridge.services.stock_push  # noqa: F401
from posbridge.config import ConfigError, Settings
from posbridge.logs import configure_logging, get_logger
from posbridge.services import disconnection, menu_events, outbound, pos_deliveries, syncing
from posbridge.store.db import Database
from posbridge.store.models import Sync
from posbridge.store.statuses import SyncStatus
from posbridge.store.types import utcnow
from posbridge.sync import runner as sync_runner
from posbridge.wix.client import WixClient

log = get_logger("jobs")

QUEUE_NAME = "posbridge"
SYNC_RETRIES, SYNC_RETRY_DELAY_SECONDS = 3, 10.0
OUTBOUND_RETRIES, OUTBOUND_RETRY_DELAY_SECONDS = 5, 10.0
# Idle workers poll SQLite at most this far apart (Huey's default of 10 s delays syncs visibly).
MAX_POLL_DELAY_SECONDS = 0.5
# Huey's scheduler moves a task whose time has come onto the queue once a second. A debounced sync
# is scheduled that much early and its worker waits out the rest (at most EARLY_WAKE_SECONDS), so
# it starts when due instead of up to a scheduler tick plus a poll late.
SCHEDULER_INTERVAL_SECONDS = 1.0
EARLY_WAKE_SECONDS = 2.0
SHUTDOWN_TIMEOUT_SECONDS = 30.0
# Every call to Redis: connecting, and a reply (beyond the 1 s a worker's blocking dequeue waits).
REDIS_TIMEOUT_SECONDS = 5.0
FOLLOW_UP_MIN_DELAY_SECONDS = 1.0
# Immediate mode runs follow-ups inline (recursively): a bound keeps a stuck claim from recursing forever.
MAX_INLINE_FOLLOW_UPS = 3
_INLINE_FOLLOW_UPS: ContextVar[int] = ContextVar("inline_follow_ups", default=0)


class SyncRunner(Protocol):
    """`posbridge.sync.runner.run_sync`: runs the configuration's PENDING sync; True if another is owed."""

    def __call__(self, db: Database, settings: Settings, configuration_pk: int, *, client: WixClient) -> bool: ...


class OutboundRunner(Protocol):
    """Runs the due outbound work of one job's ordering key; seconds until it should be looked at again, or None."""

    def __call__(self, db: Database, settings: Settings, job_id: int, *, client: WixClient) -> float | None: ...


# A queue that stops answering (Redis down): the first retry after this, doubling up to the cap.
OUTAGE_FIRST_RETRY_SECONDS, OUTAGE_MAX_RETRY_SECONDS = 0.5, 30.0


class QueueOutage:
    """The workers' shared account of a queue that stopped answering.

    Huey's own loop logs a traceback for every failed read, twice a second per thread and once a
    second from the scheduler, for as long as Redis is down. Instead: one warning line per failure,
    the next try after a doubling (bounded) delay, and one line when the queue answers again.
    """

    def __init__(self, first: float = OUTAGE_FIRST_RETRY_SECONDS, cap: float = OUTAGE_MAX_RETRY_SECONDS) -> None:
        self._first, self._cap = first, cap
        self._lock = threading.Lock()
        self._failures = 0

    @property
    def active(self) -> bool:
        """True while the last try failed."""
        return self._failures > 0

    def failed(self, reason: str) -> float:
        """Record a failure (one log line); how long to wait before the next try."""
        with self._lock:  # logged under the lock, so the lines come in the order of their counts
            self._failures += 1
            delay = min(self._cap, self._first * 2 ** min(self._failures - 1, 32))
            log.warning("queue_unreachable", reason=reason, failures=self._failures, retry_in=delay)
        return delay

    def recovered(self) -> None:
        """The queue answered: say so once, and start the backoff afresh next time."""
        with self._lock:
            failures, self._failures = self._failures, 0
        if failures:
            # At the level of the failures, so a log filtered to warnings shows where the outage ended.
            log.warning("queue_recovered", after_failures=failures)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _QuietWorker(Worker):
    """Huey's worker, but a failed read of the queue is one line and a backoff (`QueueOutage`)."""

    outage: QueueOutage

    def loop(self, now: datetime | None = None) -> None:
        try:
            task = self.huey.dequeue()
        except Exception as exc:
            self.stop_flag.wait(self.outage.failed(_reason(exc)))
            return
        self.outage.recovered()
        if task is None:
            if not self.huey.storage.blocking:
                self.sleep()
            return
        self.delay = self.default_delay
        try:
            self.huey.execute(task, now)
        except Exception:
            self._logger.exception("Unhandled error during execution of task %s.", task.id)


class _QuietScheduler(Scheduler):
    """Huey's scheduler, but it waits out an outage instead of logging a traceback every second."""

    outage: QueueOutage

    def loop(self, now: datetime | None = None) -> None:
        problem = _queue_error(self.huey)  # one cheap round trip per tick (a second)
        if problem is not None:
            self.stop_flag.wait(self.outage.failed(problem))
            self._next_loop = time.monotonic()
            return
        self.outage.recovered()
        super().loop(now)


class _QueueConsumer(Consumer):
    """Huey's consumer with the quiet worker and scheduler, sharing one `QueueOutage`."""

    worker_class = _QuietWorker
    scheduler_class = _QuietScheduler

    def __init__(self, *args: Any, outage: QueueOutage | None = None, **kwargs: Any) -> None:
        self.outage = outage or QueueOutage()
        super().__init__(*args, **kwargs)

    def _create_worker(self) -> Worker:
        worker = super()._create_worker()
        worker.outage = self.outage
        return worker

    def _create_scheduler(self) -> Scheduler:
        scheduler = super()._create_scheduler()
        scheduler.outage = self.outage
        return scheduler


class _EmbeddedConsumer(_QueueConsumer):
    """Huey's consumer without signal handlers: inside `posbridge serve` the web server owns the signals."""

    def _set_signal_handlers(self) -> None:
        return None


def queue_file(settings: Settings) -> str:
    """SqliteHuey's file: `queue_path`, else beside a SQLite database, else in the working folder."""
    if settings.queue_path:
        return settings.queue_path
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return str(database.with_name(database.stem + ".queue.db"))
    return str(Path.cwd() / "posbridge.queue.db")


def huey_for(settings: Settings, *, name: str = QUEUE_NAME) -> Huey:
    """The Huey instance for `settings.queue`."""
    if settings.queue == "sqlite":
        return SqliteHuey(name, filename=queue_file(settings), results=False)
    if settings.queue == "redis":
        from redis import ConnectionPool  # here: only the scaled mode needs redis installed

        pool = ConnectionPool.from_url(
            settings.redis_url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS + 1,
        )
        return RedisHuey(name, connection_pool=pool, results=False)
    if settings.queue == "immediate":
        return MemoryHuey(name, immediate=True, results=False)
    raise ConfigError(f"POSBRIDGE_QUEUE is invalid: {settings.queue!r} (sqlite | redis | immediate)")


def queue_problem(settings: Settings) -> str | None:
    """Why the configured queue cannot be used (one line), or None when it answers."""
    huey = huey_for(settings, name=QUEUE_NAME)
    try:
        return _queue_error(huey)
    finally:
        _close_storage(huey)


def _queue_error(huey: Huey) -> str | None:
    try:
        huey.pending_count()
    except Exception as exc:
        return f"the job queue ({_describe(huey)}) is unreachable: {_reason(exc)}"
    return None


def _describe(huey: Huey) -> str:
    storage = huey.storage
    if isinstance(huey, RedisHuey):
        kwargs = storage.pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        return f"POSBRIDGE_QUEUE=redis at {where}"
    if isinstance(huey, SqliteHuey):
        return f"POSBRIDGE_QUEUE=sqlite in {storage.filename}"
    return "POSBRIDGE_QUEUE=immediate"


def _close_storage(huey: Huey) -> None:
    if isinstance(huey, RedisHuey):
        huey.storage.pool.disconnect()
    elif isinstance(huey, SqliteHuey):
        huey.storage.close()


class JobQueue:
    """posbridge's background work: enqueue from anywhere, run by in-process or standalone workers."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        huey: Huey | None = None,
        name: str = QUEUE_NAME,
        client: WixClient | None = None,
        sync_runner: SyncRunner | None = None,
        outbound_runner: OutboundRunner | None = None,
        sync_retries: int = SYNC_RETRIES,
        sync_retry_delay: float = SYNC_RETRY_DELAY_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        outage: QueueOutage | None = None,
    ) -> None:
        self.settings = settings
        self.outage = outage or QueueOutage()
        self._clock = clock
        self._sleep = sleep
        self.db = db
        self.huey = huey or huey_for(settings, name=name)
        self._client = client
        self._client_lock = threading.Lock()
        self._sync_runner = sync_runner
        self._outbound_runner = outbound_runner
        self._consumer: Consumer | None = None
        # Huey names a task by module and name; every process registers the same names.
        self._sync_task = self.huey.task(retries=sync_retries, retry_delay=sync_retry_delay, name="sync_configuration")(
            self._run_sync
        )
        self._outbound_task = self.huey.task(
            retries=OUTBOUND_RETRIES, retry_delay=OUTBOUND_RETRY_DELAY_SECONDS, name="run_outbound_job"
        )(self._run_outbound)
        self.huey.periodic_task(crontab(), name="sweep_owed_syncs")(self.sweep)
        self._pos_task = self.huey.task(name="deliver_to_pos")(self._deliver_to_pos)
        self.huey.periodic_task(crontab(), name="sweep_pos_deliveries")(self.sweep_pos_deliveries)
        self.huey.periodic_task(crontab(hour="3", minute="17"), name="prune_menu_events")(self.prune_menu_events)
        self._pos_http: httpx.Client | None = None
        if settings.sync_reconcile_minutes > 0:
            every = settings.sync_reconcile_minutes
            self.huey.periodic_task(crontab(minute=f"*/{every}"), name="reconcile_syncs")(self.reconcile)

    @property
    def client(self) -> WixClient:
        """The Wix client every job of this process shares (one token cache, one connection pool)."""
        with self._client_lock:
            if self._client is None:
                self._client = WixClient(self.settings, self.db)
            return self._client

    def enqueue_sync(self, configuration_pk: int) -> None:
        """Wake a worker to run what the configuration's syncs owe (the PENDING row must exist already)."""
        self._sync_task(configuration_pk)

    def enqueue_outbound(self, job_id: int) -> None:
        """Wake a worker to run one outbound job (status or stock push)."""
        self._outbound_task(job_id)

    def enqueue_pos_delivery(self, pos_order_id: str) -> None:
        """Wake a worker to deliver what an order owes its merchant's own POS (the rows exist already)."""
        self._pos_task(pos_order_id)

    def sweep_pos_deliveries(self) -> int:
        """Wake a worker for every order with a POS delivery due (a lost wake-up, a backoff ended); how many."""
        owed = pos_deliveries.due_orders(self.db, self._clock())
        for pos_order_id in owed:
            self.enqueue_pos_delivery(pos_order_id)
        return len(owed)

    def problem(self) -> str | None:
        """Why the queue cannot be reached now (for /healthz), or None."""
        return _queue_error(self.huey)

    def start_consumer(self, workers: int | None = None) -> None:
        """Start worker threads in this process (for `posbridge serve`); immediate mode has nothing to start."""
        if self.huey.immediate or self._consumer is not None:
            return
        self._consumer = _EmbeddedConsumer(
            self.huey,
            workers=workers or self.settings.worker_threads,
            worker_type="thread",
            periodic=True,
            max_delay=MAX_POLL_DELAY_SECONDS,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
            outage=self.outage,
        )
        self._consumer.start()
        self._sweep_safely()
        log.info("consumer_started", queue=self.settings.queue, workers=self._consumer.workers)

    def stop_consumer(self) -> None:
        """Stop the in-process workers, letting running tasks finish (up to a timeout)."""
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.stop(graceful=True)
            log.info("consumer_stopped")

    def close(self) -> None:
        """Stop workers and release the Wix client's connections."""
        self.stop_consumer()
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._pos_http is not None:
                self._pos_http.close()
                self._pos_http = None

    def owed_syncs(self) -> list[int]:
        """Configurations with a due PENDING sync, or an IN_PROGRESS one nobody is running any more."""
        now = utcnow()
        with self.db.transaction(write=False) as session:
            rows = session.execute(
                select(Sync.configuration_id)
                .where(
                    or_(
                        (Sync.status == SyncStatus.PENDING) & or_(Sync.not_before.is_(None), Sync.not_before <= now),
                        (Sync.status == SyncStatus.IN_PROGRESS)
                        & or_(Sync.lease_until.is_(None), Sync.lease_until < now),
                    )
                )
                .distinct()
            ).scalars()
            return sorted(set(rows))

    def sweep(self) -> int:
        """Enqueue every owed sync and every due outbound job's key; the number enqueued."""
        owed = self.owed_syncs()
        for pk in owed:
            self.enqueue_sync(pk)
        if owed:
            log.info("owed_syncs_enqueued", configurations=owed)
        due = outbound.due_jobs(self.db)
        for job_id in due:
            self.enqueue_outbound(job_id)
        # Disconnects Wix has not taken yet, each after its backoff: Wix is told eventually.
        told = disconnection.retry_due(self.db, self.client, self._clock())
        return len(owed) + len(due) + told

    def schedule_sync(self, configuration_pk: int, due: datetime) -> None:
        """Run the configuration's sync when it is due (a debounced POS change); the sync triggers' `notify`.

        The task goes into the queue's storage, so a worker of another process runs it on time too
        (`posbridge import` schedules what a running worker then publishes).
        """
        delay = (due - self._clock()).total_seconds()
        if delay <= 0:
            self.enqueue_sync(configuration_pk)
        elif self.huey.immediate:
            # Immediate mode (tests) has no scheduler; a caller that wants it runs the sync itself.
            log.info("debounced_sync_not_scheduled", configuration_pk=configuration_pk, delay=round(delay, 3))
        elif delay <= SCHEDULER_INTERVAL_SECONDS:
            self._sync_task(configuration_pk, due=due.isoformat())  # the worker waits out the rest
        else:
            self._sync_task.schedule(
                args=(configuration_pk,),
                kwargs={"due": due.isoformat()},
                delay=delay - SCHEDULER_INTERVAL_SECONDS,
            )

    def reconcile(self) -> None:
        """The periodic reconcile: request a RECONCILE sync of every paired configuration and wake its worker.

        Every consumer with periodic tasks runs it; the requests coalesce into one PENDING sync per
        configuration, so several workers cost a few extra queries, never an extra sync.
        """
        syncing.request_reconcile(self.db, notify=self.schedule_sync)

    def prune_menu_events(self) -> int:
        """Daily: forget week-old Menus API events (each entity's newest is kept; edits are kept)."""
        return menu_events.prune_menu_events(self.db)

    def _sweep_safely(self) -> None:
        try:
            self.sweep()
        except Exception:
            # The consumer still runs new work; the periodic sweep tries again within a minute.
            log.exception("sweep_failed")

    def _run_sync(self, configuration_pk: int, due: str | None = None) -> None:
        if due is not None:
            self._wait_until(datetime.fromisoformat(due))
        runner = self._sync_runner or sync_runner.run_sync
        # The runner claims the sync under its lease; a sync another worker holds is left to it.
        more = runner(self.db, self.settings, configuration_pk, client=self.client)
        if more:
            self._enqueue_follow_up(configuration_pk)

    def _wait_until(self, due: datetime) -> None:
        """A sync woken early on purpose (see schedule_sync) waits for its time here, a moment at most."""
        ahead = (due - self._clock()).total_seconds()
        if 0 < ahead <= EARLY_WAKE_SECONDS:
            self._sleep(ahead)

    def _enqueue_follow_up(self, configuration_pk: int) -> None:
        """Run the configuration's next PENDING sync when it is due (its debounce time, or now)."""
        due = sync_runner.next_due(self.db, configuration_pk)
        if due is None:
            return  # another worker claimed it meanwhile
        delay = (due - utcnow()).total_seconds()
        if not self.huey.immediate:
            # Never at once: if the sync could not be claimed (a lapsing lease of a dead worker), an
            # immediate follow-up would spin; a second later costs a follow-up nothing.
            self._sync_task.schedule(args=(configuration_pk,), delay=max(delay, FOLLOW_UP_MIN_DELAY_SECONDS))
            return
        depth = _INLINE_FOLLOW_UPS.get()
        if delay > 0 or depth >= MAX_INLINE_FOLLOW_UPS:
            log.info("follow_up_not_run_inline", configuration_pk=configuration_pk, delay=round(delay, 3))
            return
        token = _INLINE_FOLLOW_UPS.set(depth + 1)
        try:
            self.enqueue_sync(configuration_pk)
        finally:
            _INLINE_FOLLOW_UPS.reset(token)

    def _deliver_to_pos(self, pos_order_id: str) -> None:
        with self._client_lock:
            if self._pos_http is None:
                self._pos_http = pos_deliveries.http_client()
            http = self._pos_http
        backoff = pos_deliveries.backoff_of(self.settings)
        wait = pos_deliveries.deliver_order(
            self.db, pos_order_id, secret_key=self.settings.secret_key, http=http, clock=self._clock, backoff=backoff
        )
        if wait is not None and not self.huey.immediate:
            # The next attempt (a backoff, or a claim another worker holds) runs when due; the sweep
            # covers a wake-up lost with a worker.
            self._pos_task.schedule(args=(pos_order_id,), delay=max(wait, FOLLOW_UP_MIN_DELAY_SECONDS))

    def _run_outbound(self, job_id: int) -> None:
        runner = self._outbound_runner or outbound.run_job
        again = runner(self.db, self.settings, job_id, client=self.client)
        if again is None:
            return
        if self.huey.immediate:
            # No scheduler (tests): the job stays PENDING with its time in the database; the caller
            # (or a sweep) runs it again.
            log.info("outbound_not_rescheduled_inline", job_id=job_id, delay=round(again, 3))
            return
        self._outbound_task.schedule(args=(job_id,), delay=max(again, FOLLOW_UP_MIN_DELAY_SECONDS / 10))


def build_queue(settings: Settings, db: Database, **options: Any) -> JobQueue:
    """The job queue for these settings (options go to JobQueue, e.g. `name=` or test runners)."""
    return JobQueue(settings, db, **options)


def run_worker(settings: Settings, *, workers: int | None = None) -> None:
    """Run standalone workers until SIGINT/SIGTERM (`posbridge worker`); SIGTERM lets running jobs finish."""
    if settings.queue == "immediate":
        raise ConfigError("POSBRIDGE_QUEUE is invalid for a worker: immediate mode runs jobs where they are enqueued")
    configure_logging(settings.log_level, json=settings.log_json)
    db = Database(settings.database_url, timeout_seconds=settings.db_timeout_seconds)
    queue = build_queue(settings, db)
    consumer = _QueueConsumer(
        queue.huey,
        workers=workers or settings.worker_threads,
        worker_type="thread",
        periodic=True,
        max_delay=MAX_POLL_DELAY_SECONDS,
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        graceful_signal="TERM",
        outage=queue.outage,
    )
    queue._sweep_safely()
    log.info("worker_started", queue=settings.queue, workers=consumer.workers)
    try:
        consumer.run()
    finally:
        queue.close()
        db.dispose()
