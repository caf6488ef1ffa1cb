"""Checks a configuration's POS menus before anything reaches Wix, so a broken menu is never published.

Every problem carries Wix's SyncFailedCode: the account or pairing (ACCOUNT_NOT_CONNECTED,
ACCOUNT_NOT_AUTHORIZED, LOCATION_NOT_FOUND), a menu that cannot be mapped as it stands
(ACCOUNT_CONFIGURATION), or one that exceeds what the catalog target accepts (OVERLOADED_MENU,
against the target's `Limits`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from posbridge.pos.hours import DAYS, hours_windows, parse_clock
from posbridge.pos.pricing import price_at
from posbridge.store.models import Item, OptionGroup
from posbridge.store.statuses import AccountStatus
from posbridge.sync.desired import FULFILLMENT, PosScope
from posbridge.sync.target import Limits

# When several problems exist, the reported code is the most fundamental one.
_SEVERITY = (
    "ACCOUNT_NOT_CONNECTED",
    "ACCOUNT_NOT_AUTHORIZED",
    "LOCATION_NOT_FOUND",
    "ACCOUNT_CONFIGURATION",
    "OVERLOADED_MENU",
)


@dataclass(frozen=True)
class Problem:
    """One reason the menu cannot be published: code, where, and a sentence a merchant understands."""

    code: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


Add = Callable[[Problem], None]


@dataclass
class Verdict:
    """All problems found; `code`/`reason`/`params` are what Get Catalog Sync Status reports."""

    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing blocks the sync."""
        return not self.problems

    @property
    def code(self) -> str:
        """The most fundamental problem's code."""
        return min(self.problems, key=lambda p: _SEVERITY.index(p.code)).code

    @property
    def reason(self) -> str:
        """The first problem of that code, plus how many more there are."""
        first = next(p for p in self.problems if p.code == self.code)
        more = len(self.problems) - 1
        return str(first) + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")

    @property
    def params(self) -> dict[str, str]:
        """String params for Wix: the count and the first few problems."""
        out = {"problems": str(len(self.problems))}
        for n, problem in enumerate(self.problems[:5], start=1):
            out[f"problem{n}"] = str(problem)
        return out


def validate(scope: PosScope, limits: Limits, *, id_space: str | None, missing_id_space: str) -> Verdict:
    """Every problem that would make the configuration's catalog wrong or unpublishable on its target.

    `id_space` is where the target writes this location's catalog (None: not known yet, reported
    as `missing_id_space`).
    """
    verdict = Verdict()
    add = verdict.problems.append
    configuration, account, location = scope.configuration, scope.account, scope.location
    if account is None or account.status != AccountStatus.ACTIVE:
        add(Problem("ACCOUNT_NOT_CONNECTED", "", "No POS account is connected for this location"))
    elif not account.authorized:
        add(Problem("ACCOUNT_NOT_AUTHORIZED", "", "The POS account's authorization was revoked"))
    if configuration.location_id is None:
        add(Problem("ACCOUNT_CONFIGURATION", "", "This Wix location is not paired with a POS location"))
        return verdict
    if location is None or not location.active:
        add(Problem("LOCATION_NOT_FOUND", "", "The paired POS location was deleted or deactivated"))
        return verdict
    if account is not None and location.merchant_id != account.merchant_id:
        add(Problem("LOCATION_NOT_FOUND", "", "The paired POS location belongs to another POS account"))
        return verdict
    if not id_space:
        add(Problem("ACCOUNT_CONFIGURATION", "", missing_id_space))
    try:
        hours_windows(location.hours or [])
    except (KeyError, TypeError, ValueError) as exc:
        add(Problem("ACCOUNT_CONFIGURATION", f"location '{location.name}'", f"the opening hours are not valid ({exc})"))
    if not any(f in FULFILLMENT for f in location.fulfillment or ()):
        add(Problem("ACCOUNT_CONFIGURATION", location.name, "the location offers no pickup, delivery or dine-in"))
    if not scope.menus:
        why = "; ".join(f"'{m.name}': {reason}" for m, reason in scope.skipped_menus)
        add(Problem("ACCOUNT_CONFIGURATION", "", "No menu to sell online is selected" + (f" ({why})" if why else "")))
    for menu in scope.menus:
        where = f"menu '{menu.name}'"
        if not menu.name.strip():
            add(Problem("ACCOUNT_CONFIGURATION", f"menu {menu.pos_id}", "the name is empty"))
        _check_availability(menu.availability, where, limits, add)
        for section in scope.sections.get(menu.id, []):
            if not section.name.strip():
                add(Problem("ACCOUNT_CONFIGURATION", f"section {section.pos_id}", "the name is empty"))
    items = {item.id: item for section_items in _sold(scope) for item in section_items}
    if len(items) > limits.max_items:
        add(Problem("OVERLOADED_MENU", "", f"{len(items)} dishes exceed the {limits.max_items} one catalog may hold"))
    checked_groups: set[int] = set()
    for item in items.values():
        _check_item(scope, item, limits, add)
        for link in item.option_groups:
            if link.group_id not in checked_groups:
                checked_groups.add(link.group_id)
                _check_group(scope, scope.groups[link.group_id], limits, add)
    return verdict


def _sold(scope: PosScope) -> list[list[Item]]:
    return [scope.active_items(s.id) for menu in scope.menus for s in scope.sections.get(menu.id, [])]


def _check_availability(availability: list[Any] | None, where: str, limits: Limits, add: Add) -> None:
    if not availability:
        return
    count = 0
    for n, window in enumerate(availability, start=1):
        here = f"{where}, availability window {n}"
        days = window.get("days") if isinstance(window, dict) else None
        if not days or any(str(d).upper()[:3] not in DAYS for d in days):
            add(Problem("ACCOUNT_CONFIGURATION", here, "days must be SUN..SAT"))
            continue
        try:
            start = parse_clock(str(window.get("from", "")))
            end = parse_clock(str(window.get("to", "")), allow_24=True)
        except ValueError as exc:
            add(Problem("ACCOUNT_CONFIGURATION", here, str(exc)))
            continue
        if start == end:
            add(Problem("ACCOUNT_CONFIGURATION", here, "starts and ends at the same time"))
        count += len(days)
    if count > limits.max_periods:
        add(Problem("OVERLOADED_MENU", where, f"{count} availability periods exceed Wix's {limits.max_periods}"))


def _scale_ok(value: Decimal, limits: Limits) -> bool:
    exponent = value.normalize().as_tuple().exponent
    return not isinstance(exponent, int) or -exponent <= limits.max_scale


def _check_item(scope: PosScope, item: Item, limits: Limits, add: Add) -> None:
    assert scope.location is not None
    where = f"item '{item.name or item.pos_id}'"
    if not item.name.strip():
        add(Problem("ACCOUNT_CONFIGURATION", f"item {item.pos_id}", "the name is empty"))
    price = price_at(item, scope.location.id)
    if price < 0:
        add(Problem("ACCOUNT_CONFIGURATION", where, f"the price {price} is negative"))
    elif not _scale_ok(price, limits):
        add(Problem("ACCOUNT_CONFIGURATION", where, f"the price {price} has more than {limits.max_scale} decimals"))
    if item.tax_rate is not None and not (0 <= item.tax_rate <= 100 and _scale_ok(item.tax_rate, limits)):
        scale = limits.max_scale
        add(
            Problem(
                "ACCOUNT_CONFIGURATION", where, f"the tax rate {item.tax_rate}% is not a percent with ≤{scale} decimals"
            )
        )


def _check_group(scope: PosScope, group: OptionGroup, limits: Limits, add: Add) -> None:
    where = f"option group '{group.name or group.pos_id}'"
    choices = group.choices
    defaults = [c for c in choices if c.is_default]
    if not group.name.strip():
        add(Problem("ACCOUNT_CONFIGURATION", f"option group {group.pos_id}", "the name is empty"))
    if group.type not in ("SELECTION", "EXTRAS", "DESELECTION"):
        add(Problem("ACCOUNT_CONFIGURATION", where, f"unknown type {group.type!r}"))
        return
    if len(choices) > limits.max_choices:
        add(Problem("OVERLOADED_MENU", where, f"{len(choices)} choices exceed {limits.max_choices}"))
    if not choices:
        required = group.type == "SELECTION" or group.min_choices > 0
        add(Problem("ACCOUNT_CONFIGURATION", where, "a required group has no choices" if required else "no choices"))
        return
    for choice in choices:
        variation = scope.variations.get(choice.variation_id)
        if variation is None or not variation.name.strip():
            add(Problem("ACCOUNT_CONFIGURATION", where, "a choice has no name"))
        if choice.price < 0 or not _scale_ok(choice.price, limits):
            add(Problem("ACCOUNT_CONFIGURATION", where, f"the choice price {choice.price} is not valid money"))
    if group.type == "SELECTION" and len(defaults) > 1:
        add(Problem("ACCOUNT_CONFIGURATION", where, "a selection can have at most one default"))
    if group.type == "EXTRAS":
        low, high = group.min_choices, group.max_choices
        if low < 0 or high < 1 or low > high or high > len(choices):
            add(
                Problem(
                    "ACCOUNT_CONFIGURATION",
                    where,
                    f"min {low} / max {high} must satisfy 0 ≤ min ≤ max ≤ {len(choices)} choices and max ≥ 1",
                )
            )
        elif len(defaults) > high:
            add(Problem("ACCOUNT_CONFIGURATION", where, f"{len(defaults)} defaults exceed the maximum of {high}"))
