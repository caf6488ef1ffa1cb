"""Named leases in the database (`job_leases`): one holder at a time, until released or no longer renewed.

The outbound worker (`services/outbound.run_job`) holds one per ordering key, so one worker of any
process works through an order's jobs at a time; a holder that dies lets its lease lapse after
`LEASE_SECONDS`. A sync's lease is its Sync row's (`sync/runner.py`), not one of these.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from posbridge.logs import get_logger
from posbridge.store.db import Database
from posbridge.store.models import JobLease

# The component the lease lines were logged under when the queue owned the leases; kept, so a log
# filter written for them still finds them.
log = get_logger("jobs")

LEASE_SECONDS = 60.0


class Leases:
    """Named leases in the database: held until released or until the holder stops renewing them.

    Outbound jobs hold one per ordering key; syncs do not (a sync's lease is its Sync row's).
    """

    def __init__(self, db: Database, *, seconds: float = LEASE_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self.seconds = seconds
        self._clock = clock
        self._insert = sqlite_insert if db.is_sqlite else pg_insert

    def acquire(self, name: str, holder: str) -> bool:
        """Take the lease if it is free, expired, or already ours."""
        now = self._clock()
        stmt = self._insert(JobLease).values(name=name, holder=holder, expires_at=now + self.seconds)
        stmt = stmt.on_conflict_do_update(
            index_elements=[JobLease.name],
            set_={"holder": holder, "expires_at": now + self.seconds},
            where=or_(JobLease.expires_at < now, JobLease.holder == holder),
        )
        with self._db.transaction() as session:
            session.execute(stmt)
            return session.execute(select(JobLease.holder).where(JobLease.name == name)).scalar() == holder

    def renew(self, name: str, holder: str) -> bool:
        """Push the expiry forward; False if the lease was lost (expired and taken)."""
        with self._db.transaction() as session:
            result = session.execute(
                update(JobLease)
                .where(JobLease.name == name, JobLease.holder == holder)
                .values(expires_at=self._clock() + self.seconds)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def release(self, name: str, holder: str) -> None:
        """Give the lease up (only if we still hold it)."""
        with self._db.transaction() as session:
            session.execute(delete(JobLease).where(JobLease.name == name, JobLease.holder == holder))

    def is_held(self, name: str) -> bool:
        """Whether someone holds an unexpired lease of this name."""
        with self._db.transaction(write=False) as session:
            expires = session.execute(select(JobLease.expires_at).where(JobLease.name == name)).scalar()
        return expires is not None and expires >= self._clock()

    @contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        """Try to take the lease for the block, renewing it in the background; yields whether we got it."""
        holder = uuid.uuid4().hex
        if not self.acquire(name, holder):
            yield False
            return
        stop = threading.Event()
        heartbeat = threading.Thread(target=self._renew_until, args=(name, holder, stop), daemon=True)
        heartbeat.start()
        try:
            yield True
        finally:
            stop.set()
            heartbeat.join()
            self.release(name, holder)

    def _renew_until(self, name: str, holder: str, stop: threading.Event) -> None:
        while not stop.wait(self.seconds / 3):
            try:
                if not self.renew(name, holder):
                    log.error("lease_lost", lease=name)
                    return
            except Exception:
                # A database hiccup: keep trying; the lease only lapses after `seconds`.
                log.exception("lease_renew_failed", lease=name)
