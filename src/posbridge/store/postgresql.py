"""PostgreSQL connections whose every wait is bounded (see posbridge.store.db), through psycopg.

A module of its own so that psycopg is imported only when a PostgreSQL database is opened.
"""

from __future__ import annotations

import math
from typing import Any

import psycopg
import psycopg.errors
from sqlalchemy import event
from sqlalchemy.engine import Engine

from posbridge.store.db import DEFAULT_TIMEOUT_SECONDS, remaining_budget


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection none of whose network waits outlasts `budget` (nor a checkout's deadline).

    The server's statement_timeout cancels a slow statement cleanly; this bound is for a server
    that answers nothing at all, where only the client can stop waiting. The protocol is then
    mid-exchange, so the connection is closed: SQLAlchemy sees a disconnect and drops the pool.
    """

    budget: float = DEFAULT_TIMEOUT_SECONDS

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        limit = remaining_budget(self.budget)
        if timeout is not None and timeout <= limit:
            return super().wait(gen, interval, timeout)  # the caller's own, shorter bound
        try:
            return super().wait(gen, interval, limit)
        except psycopg.errors._WaitTimeout:  # psycopg's own (internal) signal that `timeout` ran out
            self.pgconn.finish()
            raise psycopg.OperationalError(f"the database did not answer within {limit:.1f} s") from None


def configure_postgresql(engine: Engine, budget: float) -> None:
    """Connect through BoundedConnection, within what is left of the checkout's budget."""

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
        remaining = remaining_budget(budget)
        if remaining <= 0:
            # A pre-ping just used the budget up: the server is not answering, a reconnect would wait again.
            raise psycopg.OperationalError(f"the database did not answer within {budget:.1f} s")
        # libpq counts whole seconds, at least 2.
        cparams = {**cparams, "connect_timeout": max(2, math.ceil(remaining))}
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.budget = budget
        return connection
