"""The services reach what differs by Wix generation, and the POS, only through their seams (issue 9).

Read from the source, like tests/test_architecture.py: an order channel's module is named only by
`orders/channels.py`, and the services that judge carts and move orders read the POS through
`PosBackend`, never the built-in store's tables.
"""

from __future__ import annotations

from tests.test_architecture import _imports, _modules

# The generation-specific order channels: services choose one through `orders.channels`.
CHANNEL_MODULES = ("posbridge.orders.legacy", "posbridge.orders.ecom")


def test_no_service_names_a_generations_order_channel() -> None:
    found = [
        f"{module} imports {imported}"
        for module, path in _modules("posbridge")
        if module.startswith("posbridge.services")
        for imported in _imports(module, path)
        if imported in CHANNEL_MODULES or imported.startswith(tuple(f"{name}." for name in CHANNEL_MODULES))
    ]
    assert found == []
