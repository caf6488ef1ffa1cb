"""Which order channel serves a Wix generation: the one place that names both channels.

The services ask this module, never `orders/legacy.py` or `orders/ecom.py` directly, so what a
generation reports back (and how) stays behind the `OrderChannel` seam. It sits apart from
`orders/channel.py` because both channels import that module.
"""

from __future__ import annotations

from collections.abc import Mapping

from posbridge.orders.channel import Generation, OrderChannel
from posbridge.orders.ecom import EcomOrderChannel
from posbridge.orders.legacy import LegacyOrderChannel

CHANNELS: Mapping[Generation, type[OrderChannel]] = {
    Generation.LEGACY: LegacyOrderChannel,
    Generation.NEWGEN: EcomOrderChannel,
}


def channel_class(generation: Generation) -> type[OrderChannel]:
    """The order channel of a generation; its class answers `reports` without a Wix client."""
    return CHANNELS[generation]
