"""Counting the SQL statements a block of code sends, for tests that bound a read's or a write's round trips."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from posbridge.store.db import Database


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement this thread sends while the block runs (transaction control included).

    Only the calling thread's: the engine is shared with whatever else the test has running (an outbound
    job's worker, a server thread), whose statements would otherwise land in the count at random.
    """
    sent: list[str] = []
    caller = threading.get_ident()

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        if threading.get_ident() == caller:
            sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
