"""What an SPI handler gets: the verified call's tenant, metadata, request and the app's resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from posbridge.config import Settings
from posbridge.store.db import Database


@dataclass(frozen=True)
class SpiCall:
    """One verified SPI call."""

    db: Database
    settings: Settings
    instance_id: str
    request_id: str
    metadata: dict[str, Any]
    request: dict[str, Any]

    @property
    def currency(self) -> str | None:
        """The site's currency (ISO-4217) as Wix stated it."""
        value = self.metadata.get("currency")
        return str(value) if value else None
