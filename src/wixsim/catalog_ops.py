"""Catalog write operations on one catalog version, shared by Draft Catalogs bulk calls and live writes.

Each operation validates before it mutates and raises EntryError (nothing changed) on failure.
"""

from __future__ import annotations

from typing import Any

from wixsim.entities import EntryError, apply_item, apply_menu, apply_section
from wixsim.state import CatalogContent, Entity


def find(pool: dict[str, Entity], entity_id: Any, what: str) -> Entity:
    """The entity with this id, else a NOT_FOUND entry error."""
    if not isinstance(entity_id, str) or entity_id not in pool:
        raise EntryError("NOT_FOUND", f"{what} {entity_id} not found", f"{what}.id", entity_id or None)
    return pool[entity_id]


def _not_archived(entity: Entity, what: str) -> None:
    if entity.get("archived"):
        raise EntryError("FAILED_PRECONDITION", f"Archived {what} can't be updated", None, entity["id"])


def create_menu(content: CatalogContent, data: Entity) -> Entity:
    """A new menu."""
    menu = apply_menu(data, content)
    content.menus[menu["id"]] = menu
    return menu


def update_menu(content: CatalogContent, data: Entity) -> Entity:
    """Replace the given fields of menu data["id"]."""
    existing = find(content.menus, data.get("id"), "menu")
    _not_archived(existing, "menu")
    menu = apply_menu(data, content, existing)
    content.menus[menu["id"]] = menu
    return menu


def set_menu_archived(content: CatalogContent, menu_id: Any, archived: bool) -> Entity:
    """Archive or unarchive a menu (idempotent)."""
    menu = find(content.menus, menu_id, "menu")
    menu["archived"] = archived
    return menu


def create_section(content: CatalogContent, menu_id: Any, data: Entity) -> Entity:
    """A new section, appended to its menu's sectionIds."""
    menu = find(content.menus, menu_id, "menu")
    _not_archived(menu, "menu")
    section = apply_section(data, menu["id"], content)
    content.sections[section["id"]] = section
    menu.setdefault("sectionIds", {"values": []}).setdefault("values", []).append(section["id"])
    return section


def update_section(content: CatalogContent, menu_id: Any, data: Entity) -> Entity:
    """Replace the given fields of section data["id"] (itemIds sets order and membership)."""
    existing = find(content.sections, data.get("id"), "section")
    menu = find(content.menus, menu_id or existing.get("menuId"), "menu")
    _not_archived(existing, "section")
    section = apply_section(data, menu["id"], content, existing)
    content.sections[section["id"]] = section
    return section


def create_dish(content: CatalogContent, currency: str, menu_id: Any, section_id: Any, data: Entity) -> Entity:
    """A new DISH, appended to its section's itemIds."""
    menu = find(content.menus, menu_id, "menu")
    section = find(content.sections, section_id, "section")
    if section.get("menuId") != menu["id"]:
        raise EntryError("NOT_FOUND", f"Section {section['id']} is not in menu {menu['id']}", "sectionId")
    dish = apply_item(data, "DISH", content, currency)
    content.items[dish["id"]] = dish
    section.setdefault("itemIds", {"values": []}).setdefault("values", []).append(dish["id"])
    return dish


def create_variation(content: CatalogContent, currency: str, name: Any) -> Entity:
    """A new VARIATION, by name only."""
    variation = apply_item({"name": name}, "VARIATION", content, currency)
    content.items[variation["id"]] = variation
    return variation


def update_item(content: CatalogContent, currency: str, data: Entity) -> Entity:
    """Replace the given fields of item data["id"] (type and archived are read-only)."""
    existing = find(content.items, data.get("id"), "item")
    _not_archived(existing, "item")
    item = apply_item(data, existing["type"], content, currency, existing)
    content.items[item["id"]] = item
    return item
