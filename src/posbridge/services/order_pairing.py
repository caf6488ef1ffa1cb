"""Where an order lands: each Wix generation names its pairing its own way, and resolves it to one `Pairing`.

A legacy order names its pairing by the SPI call's keys (account and POS-connectivity
configuration, `LegacyPairingKey`); a new-generation order by the eCommerce order's business
location, which has no SPI configuration: the pairing row is found by the location's id, under the
account it was paired with (`BusinessLocationKey`). Either key resolves, in the caller's unit of
work, to the `order_checks.Pairing` the shared order checks and the order write read, after the
same rules: the account authorized, the configuration READY, ordering switched on, the location's
time zone known; any failure stops with one `WixError`. The key's `wix_id` is also what the order
is recorded and made idempotent under (`orders.configuration_wix_id`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from posbridge.errors import WixError
from posbridge.pos.backend import PosBackend
from posbridge.services.order_checks import Pairing
from posbridge.services.status import readiness
from posbridge.services.tenancy import Tenant, business_location_for, configuration_for
from posbridge.sync.targets import id_space_of


class PairingKey(ABC):
    """How an order channel names the pairing an order lands at."""

    instance_id: str

    @property
    @abstractmethod
    def wix_id(self) -> str:
        """The pairing's Wix id: the configuration (legacy) or business location (new generation) id."""
        raise NotImplementedError

    @abstractmethod
    def resolve(self, session: Session, pos: PosBackend) -> Pairing:
        """The usable pairing this key names; raises one WixError when there is none."""
        raise NotImplementedError


@dataclass(frozen=True)
class LegacyPairingKey(PairingKey):
    """The legacy channel's keys, from the SPI call: instance → account → POS-connectivity configuration."""

    instance_id: str
    account_id: str
    configuration_id: str

    @property
    def wix_id(self) -> str:
        return self.configuration_id

    def resolve(self, session: Session, pos: PosBackend) -> Pairing:
        tenant = configuration_for(session, self.instance_id, self.account_id, self.configuration_id)
        return _usable(session, pos, tenant)


@dataclass(frozen=True)
class BusinessLocationKey(PairingKey):
    """The new generation's key, from the eCommerce order: its business location (a NEWGEN pairing)."""

    instance_id: str
    business_location_id: str

    @property
    def wix_id(self) -> str:
        return self.business_location_id

    def resolve(self, session: Session, pos: PosBackend) -> Pairing:
        return _usable(session, pos, business_location_for(session, self.instance_id, self.business_location_id))


def _usable(session: Session, pos: PosBackend, tenant: Tenant) -> Pairing:
    """The tenant's pairing, when orders can land there: authorized, READY, switched on, a known time zone."""
    account, configuration = tenant.account, tenant.configuration
    if not account.authorized:
        raise WixError.of(
            "ACCOUNT_NOT_AUTHORIZED",
            f"The POS account '{account.account_id}' is no longer authorized; reconnect it in the dashboard",
            accountId=account.account_id,
        )
    # Read before readiness() looks at it: the backend keeps the row alive, so readiness() finds it
    # in the session's identity map instead of reading it again.
    location = pos.location(configuration.location_id) if configuration.location_id is not None else None
    state = readiness(session, account, configuration)
    if not state.ready:
        if configuration.location_id is not None and (location is None or not location.active):
            raise WixError.of("LOCATION_NOT_FOUND", state.reason or "The paired POS location is gone")
        raise WixError.of("ACCOUNT_CONFIGURATION", state.reason or "The integration is not ready", status=state.status)
    if not configuration.enabled:
        raise WixError.of("ACCOUNT_CONFIGURATION", "Online ordering is switched off for this location")
    assert location is not None  # READY implies a paired, active location
    merchant = pos.merchant(account.merchant_id)
    assert merchant is not None  # accounts reference their merchant by foreign key
    try:
        ZoneInfo(location.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise WixError.of(
            "ACCOUNT_CONFIGURATION", f"Location '{location.name}' has an unknown time zone '{location.timezone}'"
        ) from None
    return Pairing(
        instance_id=configuration.instance_id,
        merchant=merchant,
        location=location,
        menu_selection=configuration.id,
        catalog_id=id_space_of(configuration),  # the sync id map's space: the pairing's catalog target's
        configuration_id=configuration.id,
    )
