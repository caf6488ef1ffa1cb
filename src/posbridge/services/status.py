"""Configuration status, by the rules of wix-pos-spi.md §3 (Get Configuration Status)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from posbridge.store.models import Account, Configuration, Location

NOT_STARTED, PENDING, READY, ERROR = "NOT_STARTED", "PENDING", "READY", "ERROR"


@dataclass(frozen=True)
class Readiness:
    """A configuration's status and, unless READY, why."""

    status: str
    reason: str | None = None

    @property
    def ready(self) -> bool:
        """Orders can be taken."""
        return self.status == READY


def readiness(session: Session, account: Account | None, configuration: Configuration | None) -> Readiness:
    """Status of a configuration for an account, in a few indexed reads."""
    if account is None or account.status != "ACTIVE":
        return Readiness(NOT_STARTED, "No POS account is connected to this site")
    if not account.authorized:
        return Readiness(ERROR, "The POS account's authorization was revoked")
    if configuration is None or configuration.location_id is None:
        return Readiness(PENDING, "This Wix location is not paired with a POS location")
    location = session.get(Location, configuration.location_id)
    if location is None or not location.active:
        return Readiness(ERROR, "The paired POS location was deleted or deactivated")
    if location.merchant_id != account.merchant_id:
        return Readiness(ERROR, "The paired POS location belongs to another POS account")
    if not configuration.selected_menus:
        return Readiness(PENDING, "No menu is selected for online ordering")
    return Readiness(READY)
