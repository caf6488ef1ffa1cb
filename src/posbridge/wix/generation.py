"""Wix's two generations of restaurant sites, and what posbridge does differently for each.

Legacy sites (the Wix Restaurants apps) reach a POS through the Restaurants POS service plugin:
a location is a POS-connectivity *configuration*, its menus live in a Catalogs v3 catalog, orders
arrive as Orders v3 through the SPI and their status goes back through it. New sites (the Wix
Restaurants Menus and Orders apps on Wix eCommerce) have no SPI and no configurations: a location
is a *business location*, menus live in the Menus API, orders arrive as eCommerce order webhooks
(checked through the Validations service plugin) and their status goes back as fulfillments.

Only those four things differ: how a location is paired, where the catalog is written (the sync's
catalog target), how an order arrives and how its status goes back (the order channel). The POS
backend, the desired catalog, the diff, the order checks, the kitchen flow and the jobs are shared.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import case

from posbridge.store.models import Configuration


class Generation(StrEnum):
    """Which generation of Wix Restaurants a site runs."""

    LEGACY = "LEGACY"  # Restaurants POS SPI, Catalogs v3, Restaurants Orders v3
    NEWGEN = "NEWGEN"  # Menus API, eCommerce orders, business locations


# The id space of a pairing (what keys its sync id map), in SQL for queries joining pairings to the id
# map: the Menus API's business location on new-generation sites, the Catalogs v3 catalog otherwise.
# It is the catalog targets' `id_space` (`sync.targets.id_space_of`), stated here because the POS's
# stock rules (`pos.stock.owe_stock_push`) sit below the targets; test_target_stock_and_id_space.py
# holds the two to one answer.
ID_SPACE = case((Configuration.generation == Generation.NEWGEN, Configuration.wix_id), else_=Configuration.catalog_id)
