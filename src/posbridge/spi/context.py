"""What an SPI handler gets: the verified call's tenant, metadata, request and the app's resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from posbridge.config import Settings
from posbridge.store.db import Database


class SyncQueue(Protocol):
    """The job queue as the SPI sees it: something that can be woken to run a sync or an outbound job."""

    def enqueue_sync(self, configuration_pk: int) -> None:
        """Schedule the configuration's PENDING sync."""

    def enqueue_outbound(self, job_id: int) -> None:
        """Wake a worker for an outbound job (a status push to Wix)."""

    def enqueue_pos_delivery(self, pos_order_id: str) -> None:
        """Wake a worker to deliver what the order owes its merchant's own POS."""


@dataclass(frozen=True)
class SpiCall:
    """One verified SPI call."""

    db: Database
    settings: Settings
    instance_id: str
    request_id: str
    metadata: dict[str, Any]
    request: dict[str, Any]
    jobs: SyncQueue | None = None

    @property
    def currency(self) -> str | None:
        """The site's currency (ISO-4217) as Wix stated it."""
        value = self.metadata.get("currency")
        return str(value) if value else None
