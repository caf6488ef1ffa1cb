"""SQLite writers of one process queue on the Database's lock: in turn, released on failure, bounded in time."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from posbridge.store.db import Database, FifoLock


@pytest.fixture()
def sqlite_db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with database.transaction() as session:
        session.execute(text("CREATE TABLE log (n INTEGER)"))
    return database


def _wait_for_turns(lock: FifoLock, turns: int) -> None:
    """Until `turns` turns were handed out (the lock's holders and waiters so far): the last caller waits in line."""
    deadline = time.monotonic() + 10
    while lock._next_ticket < turns:
        assert time.monotonic() < deadline, f"{turns} turns never taken"
        time.sleep(0.001)


def test_writers_take_turns_in_the_order_they_arrived(sqlite_db: Database) -> None:
    order: list[int] = []
    first_inside, release = threading.Event(), threading.Event()

    def write(n: int) -> None:
        with sqlite_db.transaction() as session:
            session.execute(text("INSERT INTO log VALUES (:n)"), {"n": n})
            order.append(n)
            if n == 0:
                first_inside.set()
                release.wait(10)  # the first writer writes until every other one waits behind it

    threads = [threading.Thread(target=write, args=(0,))]
    threads[0].start()
    assert first_inside.wait(10)
    for n in range(1, 6):
        thread = threading.Thread(target=write, args=(n,))
        thread.start()
        threads.append(thread)
        # The next one arrives only once this one waits in line, whatever the machine's load.
        _wait_for_turns(sqlite_db._sqlite_writers, n + 1)
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4, 5]
    with sqlite_db.transaction(write=False) as session:
        assert session.scalar(text("SELECT count(*) FROM log")) == 6


def test_a_failed_write_lets_the_next_writer_in(sqlite_db: Database) -> None:
    with pytest.raises(RuntimeError), sqlite_db.transaction() as session:
        session.execute(text("INSERT INTO log VALUES (1)"))
        raise RuntimeError("boom")
    with sqlite_db.transaction() as session:
        session.execute(text("INSERT INTO log VALUES (2)"))
    with sqlite_db.transaction(write=False) as session:
        assert session.scalars(text("SELECT n FROM log")).all() == [2]


def test_a_writer_waits_no_longer_than_the_busy_timeout(tmp_path: Path) -> None:
    sqlite_db = Database(f"sqlite:///{tmp_path / 'w.db'}", timeout_seconds=0.2)
    with sqlite_db.transaction() as session:
        session.execute(text("CREATE TABLE log (n INTEGER)"))
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with sqlite_db.transaction():
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), sqlite_db.transaction():
            pass
        assert time.monotonic() - started < 3
    finally:
        release.set()
        holder.join(5)
    # Readers never queue behind writers (WAL).
    with sqlite_db.transaction(write=False) as session:
        assert session.scalar(text("SELECT count(*) FROM log")) == 0


def test_a_waiter_that_gives_up_passes_its_turn_on() -> None:
    lock = FifoLock()
    assert lock.acquire(timeout=1)
    got: list[str] = []
    patient = threading.Thread(target=lambda: got.append("patient") if lock.acquire(timeout=5) else None)
    assert not lock.acquire(timeout=0.05)  # this turn (before the patient one) is abandoned
    patient.start()
    _wait_for_turns(lock, 3)  # the patient one waits in line, behind the abandoned turn
    lock.release()
    patient.join(5)
    assert got == ["patient"]
    lock.release()
    assert lock.acquire(timeout=0.5)  # free again
