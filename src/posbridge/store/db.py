"""The database handle: engine, sessions and the unit of work."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

# How long a SQLite writer waits for the write lock (this process's queue, then SQLite's busy handler).
SQLITE_BUSY_SECONDS = 30
# How the next SQLite transaction begins; set by Database.transaction for the current context.
_SQLITE_BEGIN_MODE: ContextVar[str] = ContextVar("sqlite_begin_mode", default="DEFERRED")


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


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout; let `transaction(write=True)` take the write lock up front."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; we issue it ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(f"BEGIN {_SQLITE_BEGIN_MODE.get()}")


class Database:
    """One engine and its session factory; the only way code reaches the database."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 20) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine = create_engine(url, **kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_writers = FifoLock()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on any error.

        On SQLite a writing transaction begins IMMEDIATE so two writers never deadlock on lock
        upgrade; this process's writers first queue, in arrival order, on the Database's lock.
        """
        if self.is_sqlite and write:
            # One writer at a time per file anyway: this process's writers queue on a lock, in arrival
            # order, instead of SQLite's busy handler, whose sleep-and-retry lets newcomers overtake.
            # Not re-entrant: a write transaction never opens another (SQLite would refuse it too).
            # Bounded like the busy handler: a writer stuck for that long is refused, not waited for forever.
            if not self._sqlite_writers.acquire(timeout=SQLITE_BUSY_SECONDS):
                raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
            try:
                yield from self._unit_of_work(write=True)
            finally:
                self._sqlite_writers.release()
            return
        yield from self._unit_of_work(write=write)

    def _unit_of_work(self, *, write: bool) -> Iterator[Session]:
        session = self._sessions()
        try:
            if self.is_sqlite:
                token = _SQLITE_BEGIN_MODE.set("IMMEDIATE" if write else "DEFERRED")
                try:
                    session.connection()  # begins now, in the chosen mode
                finally:
                    _SQLITE_BEGIN_MODE.reset(token)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
