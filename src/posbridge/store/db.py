"""The database handle: engine, sessions and the unit of work.

Every wait on the database is bounded by one budget (`Database.timeout`, POSBRIDGE_DB_TIMEOUT_SECONDS):
on PostgreSQL the connect, the pool checkout, each statement (the server's `statement_timeout`)
and, as a backstop for a server that cannot answer at all (frozen, partitioned), every network
wait of the driver; on SQLite the wait for the write lock. A wait that runs out raises
OperationalError, which the SPI answers as a 503; a PostgreSQL connection that ran out is closed
and the pool discards its siblings, so service comes back by itself with the database.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

# The default budget of one wait on the database (connect, checkout, statement, SQLite write lock).
DEFAULT_TIMEOUT_SECONDS = 5.0
# How the next SQLite transaction begins; set by Database.transaction for the current context.
_SQLITE_BEGIN_MODE: ContextVar[str] = ContextVar("sqlite_begin_mode", default="DEFERRED")
# While a connection is checked out (pre-ping, then maybe a reconnect) both share one budget:
# the monotonic time by which the checkout must be done.
_CHECKOUT_DEADLINE: ContextVar[float | None] = ContextVar("checkout_deadline", default=None)
# The read-only transaction `Database.reading()` shares with the reads inside its block (this thread or task).
_READING: ContextVar[tuple[Database, Session] | None] = ContextVar("reading", default=None)


def unavailable_reason(exc: OperationalError) -> str:
    """The driver's error class for a log line (e.g. `ConnectionTimeout`): what failed, never the DSN."""
    return type(exc.orig if exc.orig is not None else exc).__name__


class FifoLock:
    """A lock granted in arrival order (`threading.Lock` promises no order); a waiter may give up its turn."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()

    def acquire(self, timeout: float) -> bool:
        """Wait for our turn, at most `timeout` seconds; False (and the turn passed on) when it did not come."""
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            if self._cond.wait_for(lambda: self._serving == ticket, timeout):
                return True
            self._abandoned.add(ticket)
            return False

    def release(self) -> None:
        """Hand the lock to the next waiter still waiting."""
        with self._cond:
            self._serving += 1
            while self._serving in self._abandoned:
                self._abandoned.discard(self._serving)
                self._serving += 1
            self._cond.notify_all()


def remaining_budget(budget: float) -> float:
    """The budget, or what is left of the current checkout's deadline if that is sooner."""
    deadline = _CHECKOUT_DEADLINE.get()
    if deadline is None:
        return budget
    return max(0.0, min(budget, deadline - time.monotonic()))


def _configure_sqlite(engine: Engine, busy_seconds: float) -> None:
    """WAL, foreign keys and a busy timeout; let `transaction(write=True)` take the write lock up front."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; we issue it ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(f"BEGIN {_SQLITE_BEGIN_MODE.get()}")


class Database:
    """One engine and its session factory; the only way code reaches the database."""

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 20, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        self.url = url
        self.timeout = timeout_seconds
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": timeout_seconds}
            if make_url(url).database not in (None, "", ":memory:"):
                kwargs["pool_timeout"] = timeout_seconds  # a file's pool (a memory database has one connection)
        else:
            kwargs.update(
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
                pool_timeout=timeout_seconds,
                connect_args={"options": f"-c statement_timeout={int(timeout_seconds * 1000)}"},
            )
        self.engine = create_engine(url, **kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            _configure_sqlite(self.engine, timeout_seconds)
        else:
            # Imported here: psycopg is needed only where PostgreSQL is used, never by the embedded default.
            from posbridge.store.postgresql import configure_postgresql

            configure_postgresql(self.engine, timeout_seconds)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_writers = FifoLock()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on any error.

        On SQLite a writing transaction begins IMMEDIATE so two writers never deadlock on lock
        upgrade; this process's writers first queue, in arrival order, on the Database's lock.
        """
        shared = _READING.get()
        if not write and shared is not None and shared[0] is self:
            yield shared[1]  # the enclosing `reading()` block's transaction: it commits or rolls back
            return
        if self.is_sqlite and write:
            # One writer at a time per file anyway: this process's writers queue on a lock, in arrival
            # order, instead of SQLite's busy handler, whose sleep-and-retry lets newcomers overtake.
            # Not re-entrant: a write transaction never opens another (SQLite would refuse it too).
            # Bounded like the busy handler: a writer stuck for that long is refused, not waited for forever.
            if not self._sqlite_writers.acquire(timeout=self.timeout):
                raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
            try:
                yield from self._unit_of_work(write=True)
            finally:
                self._sqlite_writers.release()
            return
        yield from self._unit_of_work(write=write)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One read-only transaction for every `transaction(write=False)` inside the block (this thread or task).

        A page that reads through several services then pays one pooled checkout (and its pre-ping), one
        BEGIN and one COMMIT instead of one each per service: on PostgreSQL each is a round trip. Writes
        inside the block still have their own transactions. Keep calls out (to Wix) outside the block, so
        no transaction stays open while waiting on them.
        """
        if _READING.get() is not None:
            yield
            return
        with self.transaction(write=False) as session:
            token = _READING.set((self, session))
            try:
                yield
            finally:
                _READING.reset(token)

    def _unit_of_work(self, *, write: bool) -> Iterator[Session]:
        session = self._sessions()
        try:
            token = _SQLITE_BEGIN_MODE.set("IMMEDIATE" if write else "DEFERRED")
            try:
                with self._checkout():
                    session.connection()  # begins now (on SQLite in the chosen mode)
            finally:
                _SQLITE_BEGIN_MODE.reset(token)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def _checkout(self) -> Iterator[None]:
        """One budget for taking a pooled connection: the wait for a free one, its pre-ping, a reconnect."""
        token = _CHECKOUT_DEADLINE.set(time.monotonic() + self.timeout)
        try:
            yield
        except PoolTimeout as exc:
            # Every pooled connection is busy (all stuck on the database, most likely): as unavailable as down.
            raise OperationalError("pool checkout", None, exc) from None
        finally:
            _CHECKOUT_DEADLINE.reset(token)

    def ping(self) -> bool:
        """True when the database answers a trivial query within the budget."""
        try:
            with self._checkout(), self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
