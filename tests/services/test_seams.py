"""The services reach what differs by Wix generation, and the POS, only through their seams (issue 9).

Read from the source, like tests/test_architecture.py: an order channel's module is named only by
`orders/channels.py`, and the services that judge carts, move orders and place eCommerce orders
read the POS through `PosBackend`, never the built-in store's tables.
"""

from __future__ import annotations

import ast

import pytest

from posbridge.store import models
from tests.support.source import syntax
from tests.test_architecture import SRC, _imports, _modules

# The generation-specific order channels: services choose one through `orders.channels`.
CHANNEL_MODULES = ("posbridge.orders.legacy", "posbridge.orders.ecom")
# The built-in POS store's tables (`pos_*`): a `PosBackend` reads and writes them, a service does not.
POS_MODELS = frozenset(
    name
    for name, value in vars(models).items()
    if isinstance(value, type)
    and issubclass(value, models.Base)
    and getattr(value, "__tablename__", "").startswith("pos_")
)
# Modules that read the store's POS rows for their callers (stock levels as rows).
POS_ROW_MODULES = ("posbridge.pos.stock",)
# Services that reach the POS only through `PosBackend` (issue 9's review: they read POS rows before).
THROUGH_THE_BACKEND = (
    "services/validations.py",
    "services/order_flow.py",
    "services/ecom_orders.py",
    "services/ordering.py",
    "services/order_checks.py",
)


def test_no_service_names_a_generations_order_channel() -> None:
    found = [
        f"{module} imports {imported}"
        for module, path in _modules("posbridge")
        if module.startswith("posbridge.services")
        for imported in (found.name for found in _imports(module, path))
        if imported in CHANNEL_MODULES or imported.startswith(tuple(f"{name}." for name in CHANNEL_MODULES))
    ]
    assert found == []


def test_the_built_in_store_has_pos_tables_to_guard() -> None:
    assert {"Item", "Location", "Merchant", "Stock", "Variation"} <= POS_MODELS


@pytest.mark.parametrize("source", THROUGH_THE_BACKEND)
def test_a_service_reads_the_pos_through_its_backend(source: str) -> None:
    path = SRC / "posbridge" / source
    module = "posbridge." + source.removesuffix(".py").replace("/", ".")
    tree = syntax(path)
    rows = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "posbridge.store.models"
        for alias in node.names
        if alias.name in POS_MODELS or alias.name == "*"
    ]
    assert rows == []
    assert [found.name for found in _imports(module, path) if found.name in POS_ROW_MODULES] == []
