"""The statuses rows hold, one `StrEnum` each; the columns keep their values as text (String(16)).

A member is its own value (`SyncStatus.SYNCED == "SYNCED"`), so rows read back as plain strings
compare equal to members, and JSON, logs and the admin API show the same words as before.
"""

from __future__ import annotations

from enum import StrEnum


class InstanceStatus(StrEnum):
    """A Wix site install: ACTIVE until Wix says the app was removed."""

    ACTIVE = "ACTIVE"
    REMOVED = "REMOVED"


class AccountStatus(StrEnum):
    """A POS account linked to a Wix site: ACTIVE until disconnected (it may be linked again)."""

    ACTIVE = "ACTIVE"
    DISCONNECTED = "DISCONNECTED"


class SyncStatus(StrEnum):
    """A catalog sync: PENDING (requested) → IN_PROGRESS (claimed, leased) → SYNCED or FAILED."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SYNCED = "SYNCED"
    FAILED = "FAILED"


class OutboundJobStatus(StrEnum):
    """Work owed to Wix (outbound_jobs): PENDING until DONE; FAILED for good (after its attempts, or refused)
    until an operator retries it, which makes it PENDING again."""

    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"


class WixPushStatus(StrEnum):
    """How far an order's status has reached Wix: NONE (nothing owed), PENDING (a push queued),
    PUSHED (Wix took the last one) or FAILED (an outbound job failed for good)."""

    NONE = "NONE"
    PENDING = "PENDING"
    PUSHED = "PUSHED"
    FAILED = "FAILED"


class PosDeliveryStatus(StrEnum):
    """A webhook owed to a merchant's own POS (pos_deliveries): owed (PENDING), DELIVERED, FAILED for the whole
    retry window (an operator may retry), REFUSED by the POS for good, or SKIPPED (no longer owed: a cancel
    of an order the POS refused)."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    REFUSED = "REFUSED"
    SKIPPED = "SKIPPED"


# The deliveries nothing more is owed for.
POS_DELIVERY_DONE = (PosDeliveryStatus.DELIVERED, PosDeliveryStatus.SKIPPED)
