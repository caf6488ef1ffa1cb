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
