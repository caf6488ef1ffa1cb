"""Configuration status, by the rules of wix-pos-spi.md §3 (Get Configuration Status)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from posbridge.store.models import Account, Configuration, Location
from posbridge.store.statuses import AccountStatus


class ReadinessStatus(StrEnum):
    """A configuration's status as Wix's Get Configuration Status names it (the SPI's ConfigurationStatus
    less UNKNOWN, which posbridge never answers)."""

    NOT_STARTED = "NOT_STARTED"
    PENDING = "PENDING"
    READY = "READY"
    ERROR = "ERROR"


@dataclass(frozen=True)
class Readiness:
    """A configuration's status and, unless READY, why."""

    status: ReadinessStatus
    reason: str | None = None

    @property
    def ready(self) -> bool:
        """Orders can be taken."""
        return self.status == ReadinessStatus.READY


BUSINESS_FIELDS = (("contact_name", "contact name"), ("contact_email", "email"), ("contact_phone", "phone"))


def missing_business_info(account: Account) -> list[str]:
    """The business information an account still lacks, in words.

    Every account needs a contact for order problems before it is ready (the issue's "API key and
    business information provided"), whether the merchant connected it on the page or an operator
    linked it (CLI `link --contact-…`, admin API `contact`).
    """
    return [words for name, words in BUSINESS_FIELDS if not (getattr(account, name) or "").strip()]


def readiness(session: Session, account: Account | None, configuration: Configuration | None) -> Readiness:
    """Status of a configuration for an account, in a few indexed reads."""
    if account is None or account.status != AccountStatus.ACTIVE:
        return Readiness(ReadinessStatus.NOT_STARTED, "No POS account is connected to this site")
    if not account.authorized:
        return Readiness(ReadinessStatus.ERROR, "The POS account's authorization was revoked")
    missing = missing_business_info(account)
    if missing:
        return Readiness(
            ReadinessStatus.PENDING, "The business information is not complete: " + ", ".join(missing) + " missing"
        )
    if configuration is None or configuration.location_id is None:
        return Readiness(ReadinessStatus.PENDING, "This Wix location is not paired with a POS location")
    location = session.get(Location, configuration.location_id)
    if location is None or not location.active:
        return Readiness(ReadinessStatus.ERROR, "The paired POS location was deleted or deactivated")
    if location.merchant_id != account.merchant_id:
        return Readiness(ReadinessStatus.ERROR, "The paired POS location belongs to another POS account")
    if not configuration.selected_menus:
        return Readiness(ReadinessStatus.PENDING, "No menu is selected for online ordering")
    return Readiness(ReadinessStatus.READY)
