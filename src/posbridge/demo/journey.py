"""The demo's journey: a restaurant goes online through posbridge, each step checked against Wix's state.

Every step acts the way the product is used (the operator through posbridge's admin API; Wix,
the site owner and customers through wixsim, whose calls reach posbridge as signed SPI calls and
webhooks) and then checks the outcome where it shows: Wix's catalogs, orders and SPI answers as
wixsim holds them, and posbridge's own records through its admin API. A step whose check fails
stops the journey; its line says what was expected and what was answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from posbridge.demo import data
from posbridge.demo.clients import Admin, CallFailed, Wix, error_codes
from posbridge.store.types import money_text

MERCHANT = "trattoria-uno"
CURRENCY = "USD"  # menu.json's; the journey's Wix sites sell in it too
# The business information that makes the account ready (Wix may send orders only then).
CONTACT = {"name": "Giulia Bianchi", "email": "giulia@trattoria-uno.example", "phone": "+1 212 555 0142"}
SYNC_TIMEOUT_SECONDS = 120.0
POLL_SECONDS = 0.2
# The site's own menu on Wix before the app arrives: the first sync archives it (the seed's warning).
WIX_OWN_MENU = {
    "name": "Chef's Menu",
    "sections": [
        {
            "name": "Favourites",
            "items": [
                {"name": "House Burger", "price": "13.00"},
                {"name": "Caesar Salad", "price": "11.00"},
                {"name": "Lemonade", "price": "4.00"},
            ],
        }
    ],
}
# Wix location name → (POS location id, POS menus sold online there; None = every menu sold there).
PAIRING: dict[str, tuple[str, list[str] | None]] = {
    "SoHo": ("loc-soho", ["menu-all-day", "menu-drinks"]),
    "Williamsburg": ("loc-williamsburg", None),
}
NEWGEN_LOCATION = "Bowery"  # the new-generation site's business location, paired like SoHo
PRICE_CHANGE = ("diavola", Decimal("18.50"))
# An 86 "for a while": in a kitchen it is a minute or an hour; the demo keeps it short (its budget is 60 s).
EIGHTY_SIX = ("Williamsburg", "arancini", "Arancini", 6)
NEAR_WILLIAMSBURG = {
    "formatted": "85 N 3rd St, Brooklyn, NY 11249, US",
    "country": "US",
    "countryCode": "US",
    "city": "Brooklyn",
    "street": "N 3rd St",
    "streetNumber": "85",
    "zipCode": "11249",
    "subdivision": "US-NY",
    "approximate": False,
    "location": {"latitude": 40.7182, "longitude": -73.9612},
}


class CheckFailed(Exception):
    """What a step expected did not happen; the message says what was answered instead."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


@dataclass
class StepResult:
    """One step's outcome: checked or not, what was answered, and what it cost."""

    title: str
    ok: bool
    lines: list[str] = field(default_factory=list)
    wix_calls: int = 0
    seconds: float = 0.0
    outcome: str = ""


@dataclass
class Location:
    """A Wix location of the demo's site (one configuration) and its catalog."""

    name: str
    configuration_id: str
    catalog_id: str


@dataclass
class NewGenSite:
    """The new-generation site: its instance, its paired business location and what the steps left on it."""

    instance_id: str
    business_location: str
    validations: str  # posbridge's Validations plugin, as Wix's checkout calls it
    plain: dict[str, Any]  # a dish with one price and no options (the Menus API's item as synced)
    orders: list[dict[str, Any]] = field(default_factory=list)  # posbridge's rows of its checkouts


@dataclass
class WixFinal:
    """One order of the journey as Wix last showed it, beside posbridge's status."""

    site: str
    order: str
    wix_id: str
    at_wix: str
    posbridge: str


def money(value: Any) -> str:
    """An amount of the demo's dollars as the journey tells it, e.g. "$12.50"."""
    return f"${money_text(Decimal(str(value)), CURRENCY)}"


def short(identifier: str) -> str:
    return identifier[:8]


class Journey:
    """Plays the steps in order; `run` returns every step's result (a failed step ends the journey)."""

    def __init__(
        self,
        wix: Wix,
        admin: Admin,
        console: Console,
        document: dict[str, Any],
        *,
        eighty_six_seconds: int = EIGHTY_SIX[3],
    ) -> None:
        self.wix, self.admin, self.console = wix, admin, console
        self.document = document
        self.eighty_six_seconds = eighty_six_seconds  # step 12 waits this out in real time
        self.instance_id = ""
        self.locations: dict[str, Location] = {}
        self.results: list[StepResult] = []
        self.outcome = ""  # the step's short outcome for the summary, set by each step
        self.shown: list[RenderableType] = []  # what a step shows below its lines
        self.newgen: NewGenSite | None = None  # the new-generation site, once its step made it
        self.final: list[WixFinal] = []  # every order of the journey as Wix last showed it, for the summary

    # --- running ---------------------------------------------------------------------------------

    def steps(self) -> list[tuple[str, Callable[[], list[str]]]]:
        return [
            ("A Wix site installs the app", self.install),
            ("The POS menu is imported", self.import_menu),
            ("An API key is issued", self.issue_key),
            ("The POS account is connected", self.connect),
            ("Both locations are paired", self.pair),
            ("Wix asks for a catalog sync", self.first_sync),
            ("The live catalog on Wix", self.show_catalog),
            ("Pickup, with options, extras and a tip", self.pickup),
            ("Delivery", self.delivery),
            ("Dine-in", self.dine_in),
            ("An item that ran out", self.ran_out),
            ("The kitchen 86es a dish for a while; it comes back by itself", self.eighty_sixed),
            ("Create Order resent after a timeout", self.resent),
            ("A price changes in the POS", self.price_change),
            ("A stale price is caught", self.stale_price),
            ("The new price reaches Wix by itself", self.price_reaches_wix),
            ("The kitchen works the orders; one is cancelled in Wix", self.kitchen),
            ("A new-generation site: Menus API sync, an eCommerce checkout", self.new_generation),
            ("The kitchen works the eCom orders; Wix cancels one, refunds one", self.newgen_kitchen),
            ("A merchant's price edit in Wix is put back by the sync", self.merchant_edit),
        ]

    def run(self) -> list[StepResult]:
        steps = self.steps()
        for number, (title, action) in enumerate(steps, start=1):
            result = self._play(number, title, action)
            self.results.append(result)
            if not result.ok:
                for later in steps[number:]:
                    self.results.append(StepResult(later[0], False, ["not played: an earlier step failed"]))
                break
        return self.results

    def _play(self, number: int, title: str, action: Callable[[], list[str]]) -> StepResult:
        calls_before = self.wix.calls_so_far()
        started = time.monotonic()
        self.outcome, self.shown = "", []
        try:
            lines, ok = action(), True
        except (CheckFailed, CallFailed) as exc:
            lines, ok = [f"[bold red]{exc}[/]"], False
            self.outcome = "did not check out"
        calls = self.wix.calls_so_far() - calls_before
        result = StepResult(title, ok, lines, calls, time.monotonic() - started, self.outcome)
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        cost = f"{result.seconds:.1f} s, {result.wix_calls} Wix call{'s' if result.wix_calls != 1 else ''}"
        self.console.print(f"{mark} [bold]{number:>2}. {title}[/]  [dim]({cost})[/]")
        for line in lines:
            self.console.print(f"      {line}")
        for renderable in self.shown:
            self.console.print(Padding(renderable, (0, 0, 0, 6), expand=False))
        return result

    # --- the steps -------------------------------------------------------------------------------

    def install(self) -> list[str]:
        site = self.wix.create_site(
            {
                "name": "Trattoria Uno",
                "currency": CURRENCY,
                "configurations": [{"name": name, "catalog": {"menus": [WIX_OWN_MENU]}} for name in PAIRING],
                "sendInstallWebhook": True,
            }
        )
        self.instance_id = site["instanceId"]
        hook = site.get("installWebhook") or {}
        check(hook.get("status") == 200, f"AppInstalled webhook: posbridge answered {hook.get('status')} {hook}")
        for conf in site["configurations"]:
            name = conf["location"]["name"]
            self.locations[name] = Location(name, conf["id"], conf["catalogId"])
        known = {row["id"]: row for row in self.admin.instances()}
        check(self.instance_id in known, f"posbridge does not list instance {self.instance_id}")
        status = known[self.instance_id]["status"]
        check(status == "ACTIVE", f"posbridge holds instance {self.instance_id} as {status}")
        lines = [
            f"AppInstalled webhook → posbridge [bold]{hook['status']}[/]; "
            f"instance {short(self.instance_id)}… is {status} in posbridge"
        ]
        for location in self.locations.values():
            live = self.live(location)
            own = [m["name"] for m in live["menus"] if not m.get("archived")]
            check(own == [WIX_OWN_MENU["name"]], f"{location.name}: Wix shows menus {own}")
            lines.append(
                f"Wix location {location.name}: configuration {short(location.configuration_id)}…, "
                f"catalog {short(location.catalog_id)}…, Wix's own menu '{own[0]}' "
                f"({sum(1 for i in live['items'] if i.get('type') == 'DISH')} dishes)"
            )
        self.outcome = f"webhook {hook['status']}, instance {status}"
        return lines

    def import_menu(self) -> list[str]:
        report = self.admin.import_menu(self.document)
        kinds = report["kinds"]
        created = {kind: counts["created"] for kind, counts in kinds.items()}
        dishes = len(self.document["items"])
        check(created.get("items") == dishes, f"import created {created.get('items')} dishes, not {dishes}")
        check(report["syncsRequested"] == 0, f"{report['syncsRequested']} syncs requested before any pairing")
        tracked = sum(len([q for q in i.get("stock", {}).values() if q is not None]) for i in self.document["items"])
        self.outcome = f"200, {created['items']} dishes"
        return [
            f"POST /api/v1/imports → 200: merchant {report['merchantId']}, {created['locations']} locations, "
            f"{created['menus']} menus, {created['sections']} sections, {created['items']} dishes, "
            f"{created['optionGroups']} option groups",
            f"{created['locationPrices']} location prices, {tracked} tracked stock levels, "
            f"{report['changed']} rows written in one transaction",
        ]

    def issue_key(self) -> list[str]:
        self.api_key = self.admin.issue_api_key(MERCHANT)
        check(len(self.api_key) >= 32, "the API key is too short to be a secret")
        self.outcome = "200, key shown once"
        return [
            f"POST /api/v1/merchants/{MERCHANT}/api-key → 200: {self.api_key[:10]}… "
            "(shown once; posbridge keeps only its hash)"
        ]

    def connect(self) -> list[str]:
        account = self.admin.link_account(self.instance_id, MERCHANT, self.api_key, CONTACT)
        check(
            account["status"] == "ACTIVE" and account["authorized"] and not account["missingInformation"],
            f"account is {account['status']}, authorized={account['authorized']}, "
            f"missing={account['missingInformation']}",
        )
        answer = self.wix.spi("account-ids", self.instance_id)
        ids = (answer.get("body") or {}).get("accountIds")
        check(answer["status"] == 200 and ids == [MERCHANT], f"List Account IDs → {answer['status']} {answer['body']}")
        self.outcome = f"account {account['status']}, Wix lists it"
        return [
            f"the merchant enters the key: account {MERCHANT} is {account['status']} "
            f"(credentials stored encrypted: {account['hasCredentials']}; "
            f"contact for order problems: {CONTACT['name']})",
            f"Wix's List Account IDs → [bold]{answer['status']}[/] {ids}",
        ]

    def pair(self) -> list[str]:
        lines = []
        for location in self.locations.values():
            pos_location, menus = PAIRING[location.name]
            view = self.admin.pair(self.instance_id, location.configuration_id, pos_location, menus)
            answer = self.spi_for(location, "get-configuration-status")
            status = (answer.get("body") or {}).get("status")
            check(
                answer["status"] == 200 and status == "READY",
                f"{location.name}: Get Configuration Status → {answer['status']} {answer['body']}",
            )
            lines.append(
                f"{location.name} ↔ {view['locationName']} ({', '.join(self.menu_names(view['menuIds']))}): "
                f"Wix's Get Configuration Status → [bold]{answer['status']} {status}[/]"
            )
        self.outcome = "READY ×2"
        return lines

    def first_sync(self) -> list[str]:
        for location in self.locations.values():
            answer = self.spi_for(location, "sync-catalog")
            check(answer["status"] == 200, f"{location.name}: Sync Catalog → {answer['status']} {answer['body']}")
        took = self.wait_for_syncs("WIX")
        lines = [f"Sync Catalog → [bold]200[/] for both; Get Catalog Sync Status → [bold]SYNCED[/] ({took})"]
        for location in self.locations.values():
            live = self.live(location)
            _pos_location, menus = PAIRING[location.name]
            expected_menus = self.menu_names(menus or self.menus_sold_at(PAIRING[location.name][0]))
            shown = [m["name"] for m in live["menus"] if not m.get("archived")]
            archived = [m["name"] for m in live["menus"] if m.get("archived")]
            check(shown == expected_menus, f"{location.name}: Wix shows menus {shown}, expected {expected_menus}")
            check(archived == [WIX_OWN_MENU["name"]], f"{location.name}: archived menus on Wix: {archived}")
            dishes = self.menu_dishes(live)
            expected = self.dishes_in(menus or self.menus_sold_at(PAIRING[location.name][0]))
            check(len(dishes) == expected, f"{location.name}: {len(dishes)} dishes live on Wix, expected {expected}")
            sections = sum(
                len((m.get("sectionIds") or {}).get("values", [])) for m in live["menus"] if m["name"] in shown
            )
            syncs = self.admin.syncs(self.instance_id, location.configuration_id)
            newest = next(sync for sync in syncs if sync["trigger"] == "WIX")
            warned = (newest.get("summary") or {}).get("archivedMenus")
            check(warned == archived, f"{location.name}: posbridge's sync reports archiving {warned}")
            lines.append(
                f"{location.name}: {len(shown)} menus, {sections} sections, {len(dishes)} dishes live; "
                f"Wix's own '{archived[0]}' archived (posbridge's sync {newest['id']} reports it: archivedMenus)"
            )
        self.outcome = "SYNCED ×2, Wix menu archived"
        return lines

    def show_catalog(self) -> list[str]:
        soho, williamsburg = self.locations["SoHo"], self.locations["Williamsburg"]
        live = self.live(soho)
        self.shown.append(catalog_tree(live, f"Wix catalog of {soho.name}"))
        margherita = data.item(self.document, "margherita")
        at_soho = self.live_price(soho, margherita["name"])
        at_williamsburg = self.live_price(williamsburg, margherita["name"])
        expected = (Decimal(margherita["price"]), Decimal(margherita["locationPrices"]["loc-williamsburg"]))
        check(
            (at_soho, at_williamsburg) == expected,
            f"Margherita on Wix: {at_soho} / {at_williamsburg}, POS says {expected}",
        )
        self.outcome = "location prices hold"
        return [
            f"location prices hold on Wix: Margherita {money(at_soho)} at SoHo, "
            f"{money(at_williamsburg)} at Williamsburg (as in the POS)"
        ]

    def pickup(self) -> list[str]:
        lines = [
            self.line("SoHo", "Margherita", options={"Size": ["16 inch"], "Extra toppings": ["Burrata", "'Nduja"]}),
            self.line("SoHo", "Cappuccino", quantity=2, options={"Milk": ["Oat milk"]}),
        ]
        return self.place("SoHo", lines, fulfillmentType="PICKUP", tip="3.00")

    def delivery(self) -> list[str]:
        lines = [
            self.line("Williamsburg", "Spaghetti Carbonara", quantity=2, options={"Pasta": ["Gluten-free pasta"]}),
            self.line("Williamsburg", "Burrata"),
        ]
        return self.place(
            "Williamsburg", lines, fulfillmentType="DELIVERY", address=NEAR_WILLIAMSBURG, fee="4.99", tip="6.00"
        )

    def dine_in(self) -> list[str]:
        lines = [
            self.line("SoHo", "Bistecca Tagliata", options={"Side": ["Charred broccolini"], "Doneness": ["Rare"]}),
            self.line("SoHo", "Tiramisu", quantity=2),
        ]
        return self.place("SoHo", lines, fulfillmentType="DINE_IN", dineIn={"label": "table", "value": "12"})

    def ran_out(self) -> list[str]:
        before = len(self.admin.orders(self.instance_id))
        at_wix_before = len(self.wix.orders(self.instance_id))
        result = self.checkout("SoHo", [self.line("SoHo", "Tiramisu")], fulfillmentType="PICKUP")
        validate = result.get("validate") or {}
        codes = error_codes(validate.get("body"))
        check(
            result["outcome"] == "VALIDATION_FAILED" and "AVAILABILITY_CHANGED" in codes,
            f"the sold-out Tiramisu: {result['outcome']}, Validate Order → {validate.get('status')} {codes}",
        )
        check(len(self.admin.orders(self.instance_id)) == before, "posbridge recorded an order anyway")
        check(len(self.wix.orders(self.instance_id)) == at_wix_before, "Wix recorded the refused order")
        self.outcome = f"{validate['status']} AVAILABILITY_CHANGED"
        return [
            f"the dine-in table took the last 2 Tiramisu at SoHo; the next customer's Validate Order → "
            f"[bold]{validate['status']} {codes[0]}[/]: {first_message(validate.get('body'))}",
            "Wix never records the order; posbridge's order count is unchanged",
        ]

    def eighty_sixed(self) -> list[str]:
        where, item, name, _ = EIGHTY_SIX
        seconds = self.eighty_six_seconds
        location = self.locations[where]
        started = time.monotonic()
        done = self.admin.eighty_six(self.instance_id, MERCHANT, PAIRING[where][0], item, f"{seconds}s")
        check(done["eightySixed"] and not done["inStock"], f"the 86 was not taken: {done}")
        self.wait_until(lambda: not self.in_stock(location, name), f"{name} still shows in stock on Wix", seconds=5)
        gone = time.monotonic() - started
        result = self.checkout(where, [self.line(where, name)], fulfillmentType="PICKUP")
        check(result["outcome"] != "CREATED", f"an order for the 86ed {name} was taken: {result['outcome']}")
        validate = result.get("validate") or {}
        refused = f"Validate Order → {validate['status']} {error_codes(validate.get('body'))[0]}" if validate else ""
        self.wait_until(lambda: self.in_stock(location, name), f"{name} never came back on Wix", seconds=seconds + 10)
        back = time.monotonic() - started
        self.outcome = f"out in {gone:.1f} s, back after {back:.0f} s"
        return [
            f"{name} 86ed at {where} for {seconds} s: out of stock on Wix [bold]{gone:.1f} s[/] later (one item write)",
            f"a customer's order for it is refused ({result['outcome']}{', ' + refused if refused else ''})",
            f"it came back by itself on Wix after [bold]{back:.0f} s[/], no one touching it",
        ]

    def in_stock(self, location: Location, name: str) -> bool:
        dish = next((d for d in self.live_dishes(self.live(location)) if d["name"] == name), None)
        check(dish is not None, f"{name} is not live at {location.name}")
        return bool(dish is not None and dish.get("inStock", True))

    def resent(self) -> list[str]:
        # Wix waits 1 ms for Create Order (far less than posbridge needs) and does not resend by itself;
        # its resend follows below through the control API: the same request with the same request id.
        basket = {"fulfillmentType": "PICKUP", "createTimeoutSeconds": 0.001, "maxResends": 0}
        result = self.checkout("SoHo", [self.line("SoHo", "Arancini", quantity=3)], **basket)
        first = result["create"]["attempts"][0]
        # httpx's timeout bounds each wait on the socket, so an answer already there when Wix reads
        # (a busy machine) still comes back: then the resend follows an answer Wix received, as after a
        # lost one. Either way it must not make a second order.
        check(
            result["outcome"] in ("CREATE_FAILED", "CREATED"),
            f"the first Create Order → {result['outcome']} {first.get('status')} {error_codes(first.get('body'))}",
        )
        timed_out = result["outcome"] == "CREATE_FAILED"
        order_id = result["orderId"]
        arrived = self.wait_for_order(order_id, seconds=5.0)
        location = self.locations["SoHo"]
        again = self.wix.spi(
            "create-order",
            self.instance_id,
            accountId=MERCHANT,
            configurationId=location.configuration_id,
            request=first["request"],
            requestId=first["metadata"]["requestId"],
            identity=first["metadata"]["identity"],
        )
        body = again.get("body") or {}
        check(
            again["status"] == 200 and bool(body.get("posOrderId")),
            f"the resend → {again['status']} {again.get('error') or ''} {again['body']} "
            f"(first attempt: {first.get('error')} after {first.get('elapsedMs')} ms; reached posbridge: {arrived})",
        )
        if not timed_out:
            check(
                body["posOrderId"] == result["posOrderId"],
                f"the resend answered posOrderId {body['posOrderId']}, the first {result['posOrderId']}",
            )
        rows = [o for o in self.admin.orders(self.instance_id) if o["wixOrderId"] == order_id]
        check(len(rows) == 1, f"posbridge holds {len(rows)} orders for Wix order {order_id}")
        check(
            rows[0]["posOrderId"] == body["posOrderId"],
            f"the resend answered posOrderId {body['posOrderId']}, posbridge holds {rows[0]['posOrderId']}",
        )
        if timed_out:
            how = "posbridge had already created it" if arrived else "it had not reached posbridge"
            first_line = f"Create Order → {first.get('error')} after 1 ms at Wix ({how})"
        else:
            first_line = (
                f"Create Order → {first['status']} posOrderId {result['posOrderId']}, in the socket before Wix's "
                "1 ms timer ran out; Wix resends anyway, as after a lost answer"
            )
        self.outcome = "200, same posOrderId, 1 order"
        return [
            first_line,
            f"Wix resends it (same request id) → [bold]200[/] posOrderId {body['posOrderId']}: "
            f"the same order, posbridge holds exactly 1 for Wix order {short(order_id)}…",
        ]

    def price_change(self) -> list[str]:
        item_id, price = PRICE_CHANGE
        self.before_change = {name: self.live(location) for name, location in self.locations.items()}
        self.old_price = Decimal(data.item(self.document, item_id)["price"])
        self.document = data.with_price(self.document, item_id, price)
        self.changed_at = time.monotonic()
        report = self.admin.import_menu(self.document)
        updated = report["kinds"]["items"]["updated"]
        check(updated == 1, f"the import updated {updated} dishes, expected 1")
        check(report["syncsRequested"] == 2, f"the import requested {report['syncsRequested']} syncs, expected 2")
        name = data.item(self.document, item_id)["name"]
        self.outcome = f"1 dish updated, {report['syncsRequested']} syncs requested"
        return [
            f"the POS sells {name} at {money(price)} (was {money(self.old_price)}): "
            f"POST /api/v1/imports → 200, {updated} dish updated, "
            f"{report['syncsRequested']} syncs requested (debounced, nobody presses Sync)"
        ]

    def stale_price(self) -> list[str]:
        item_id, _price = PRICE_CHANGE
        name = data.item(self.document, item_id)["name"]
        result = self.checkout("SoHo", [self.line("SoHo", name)], fulfillmentType="PICKUP")
        validate = result.get("validate") or {}
        codes = error_codes(validate.get("body"))
        check(
            result["outcome"] == "VALIDATION_FAILED" and "PRICE_CHANGED" in codes,
            f"{name} at Wix's old price: {result['outcome']}, Validate Order → {validate.get('status')} {codes}",
        )
        self.outcome = f"{validate['status']} PRICE_CHANGED"
        return [
            f"a customer still sees {name} at {money(self.old_price)} on Wix; Validate Order → "
            f"[bold]{validate['status']} PRICE_CHANGED[/]: {first_message(validate.get('body'))}",
        ]

    def price_reaches_wix(self) -> list[str]:
        item_id, price = PRICE_CHANGE
        name = data.item(self.document, item_id)["name"]
        self.wait_for_syncs("POS_CHANGE")
        after_edit = time.monotonic() - self.changed_at
        lines = []
        for location_name, location in self.locations.items():
            changes = item_changes(self.before_change[location_name], self.live(location))
            check(
                changes == [(name, self.old_price, price)],
                f"{location_name}: expected only {name} {self.old_price} → {price} on Wix, found {changes}",
            )
            lines.append(f"{location_name}: 1 item changed on Wix: {name} {money(self.old_price)} → {money(price)}")
        syncs = self.admin.syncs(self.instance_id, self.locations["SoHo"].configuration_id)
        newest = next(sync for sync in syncs if sync["trigger"] == "POS_CHANGE")
        counts = (newest.get("summary") or {}).get("counts") or {}
        diff = ", ".join(f"{kind} {op} {n}" for kind, ops in counts.items() for op, n in ops.items()) or "none"
        lines.insert(
            0, f"POS_CHANGE syncs SYNCED {after_edit:.1f} s after the edit, debounced (posbridge's diff: {diff})"
        )
        self.outcome = "1 item changed on Wix"
        return lines

    def kitchen(self) -> list[str]:
        orders = sorted(self.admin.orders(self.instance_id), key=lambda o: o["createdAt"])
        check(len(orders) >= 2, f"posbridge holds {len(orders)} orders to work")
        canceled, worked = orders[1], [o for n, o in enumerate(orders) if n != 1]
        # The owner cancels one in Wix's dashboard: Wix's webhook reaches posbridge, which cancels its order.
        self.wix.cancel_in_dashboard(canceled["wixOrderId"], "Customer called: cannot make it")
        self.wait_until(
            lambda: self.admin.order(self.instance_id, canceled["posOrderId"])["status"] == "CANCELED",
            f"Wix's cancel of {canceled['wixOrderId']} never reached posbridge",
        )
        for order in worked:  # the kitchen accepts and fulfils the others through posbridge
            self.admin.act(self.instance_id, order["posOrderId"], "accept", "Ready in 15 minutes")
            self.admin.act(self.instance_id, order["posOrderId"], "ready")
            self.admin.act(self.instance_id, order["posOrderId"], "fulfill")
        for order in worked:
            self.wait_for_wix_status(str(order["wixOrderId"]), "FULFILLED")
        lines = []
        for order in orders:
            at_wix = self.wix.order(order["wixOrderId"])
            steps = " → ".join(step["status"] for step in at_wix["statusHistory"])
            mine = self.admin.order(self.instance_id, order["posOrderId"])
            check(mine["status"] == at_wix["order"]["status"], f"{order['posOrderId']}: posbridge {mine['status']}")
            who = mine["history"][-1]["actor"].lower()
            self.final.append(
                WixFinal("legacy", order["fulfillmentType"].lower(), order["wixOrderId"], steps, mine["status"])
            )
            lines.append(
                f"{order['fulfillmentType'].lower():8} Wix {short(order['wixOrderId'])}…: [bold]{steps}[/] "
                f"(posbridge {mine['status']}, last by {who})"
            )
        self.outcome = f"{len(worked)} FULFILLED, 1 CANCELED at Wix"
        return lines

    def new_generation(self) -> list[str]:
        """The same merchant on a new-generation site: paired and synced through the admin API, checked on Wix."""
        site = self.wix.create_site(
            {
                "generation": "new",
                "name": "Trattoria Uno Bowery",
                "currency": CURRENCY,
                "locations": [NEWGEN_LOCATION],
                "webhookUrl": self.admin.base_url.removesuffix("/api/v1") + "/wix/webhooks",
            }
        )
        instance_id = site["instanceId"]
        self.admin.link_account(instance_id, MERCHANT, self.api_key, CONTACT)
        answer = self.admin.business_locations(instance_id)
        check(answer["generation"] == "NEWGEN", f"posbridge reads the site as {answer['generation']}")
        found = [loc for loc in answer["locations"] if loc["name"] == NEWGEN_LOCATION]
        check(len(found) == 1, f"Wix's business locations as posbridge reads them: {answer['locations']}")
        business_location = found[0]["id"]
        pos_location, menus = PAIRING["SoHo"]
        view = self.admin.pair_business_location(instance_id, business_location, pos_location, menus)
        check(view["status"] == "READY", f"{NEWGEN_LOCATION}: pairing is {view['status']}")
        requested = self.admin.request_sync(instance_id, business_location)
        started = time.monotonic()
        self.wait_until(
            lambda: self.admin.sync(instance_id, business_location, requested["id"])["status"] in ("SYNCED", "FAILED"),
            f"{NEWGEN_LOCATION}: the Menus API sync did not end",
            seconds=SYNC_TIMEOUT_SECONDS,
        )
        sync = self.admin.sync(instance_id, business_location, requested["id"])
        check(sync["status"] == "SYNCED", f"{NEWGEN_LOCATION}: sync {sync['status']} ({sync.get('failureReason')})")
        took = time.monotonic() - started
        # POS data the Menus API has no field for is reported, not silently dropped (the demo's menu taxes dishes).
        not_written = (sync.get("summary") or {}).get("notWritten") or {}
        taxed = not_written.get("DISH.taxRate")
        check(bool(taxed), f"{NEWGEN_LOCATION}: the sync's summary reports notWritten {not_written}, no tax rate")
        state = next(loc for loc in self.wix.site_menus(instance_id)["locations"] if loc["id"] == business_location)
        shown = [m for m in state["menus"] if m.get("visible") is not False]
        expected = self.menu_names(menus or self.menus_sold_at(pos_location))
        check(sorted(m["name"] for m in shown) == sorted(expected), f"Wix's Menus API shows {shown}")
        dishes = {i["name"] for m in shown for s in m.get("sections") or [] for i in s.get("items") or []}
        want = self.dishes_in(menus or self.menus_sold_at(pos_location))
        check(len(dishes) == want, f"{len(dishes)} dishes in Wix's Menus API, expected {want}")
        tree = Tree(f"[bold]Menus API · {NEWGEN_LOCATION}[/]")
        for menu in shown:
            branch = tree.add(f"[bold]{menu['name']}[/] · {len(menu.get('sections') or [])} sections")
            sections = menu.get("sections") or []
            for section in sections[:3]:
                branch.add(f"{section['name']} ({len(section.get('items') or [])})")
            if len(sections) > 3:
                branch.add(f"… {len(sections) - 3} more")
        self.shown = [tree]
        plain = next(
            item
            for m in shown
            for sec in m.get("sections") or []
            for item in sec.get("items") or []
            if not item.get("priceVariants") and not item.get("modifierGroups")
        )
        # A dish with sizes (the sync wrote them as the item's price variants): its largest size.
        entities = self.wix.site_menus(instance_id)["entities"]
        required = {g["id"] for g in entities.get("modifierGroups") or [] if (g.get("rule") or {}).get("required")}
        on_menu = {item["id"] for m in shown for sec in m.get("sections") or [] for item in sec.get("items") or []}
        sized = next(
            (
                item
                for item in entities["items"]
                if item["id"] in on_menu
                and len((item.get("priceVariants") or {}).get("variants") or []) > 1
                and not any(g.get("id") in required for g in item.get("modifierGroups") or [])
            ),
            None,
        )
        check(sized is not None, f"no dish with sizes (price variants) on {NEWGEN_LOCATION}'s menus")
        assert sized is not None
        variant = sized["priceVariants"]["variants"][-1]
        variant_names = {v["id"]: v["name"] for v in entities["variants"]}
        size = variant_names[variant["variantId"]]
        validations = self.admin.base_url.removesuffix("/api/v1") + "/wix/validations"
        self.newgen = site_ = NewGenSite(instance_id, business_location, validations, plain)
        ordered = [
            {"itemId": plain["id"], "quantity": 1},
            {"itemId": sized["id"], "quantity": 1, "variantId": variant["variantId"]},
        ]
        bought, asked, placed = self.ecom_place(site_, ordered)
        check(
            placed["locationId"] == pos_location,
            f"posbridge placed Wix's order at {placed['configurationId']} / {placed['locationId']}",
        )
        detail = self.admin.order(instance_id, placed["posOrderId"])
        sized_line = next((line for line in detail["lines"] if line["name"] == sized["name"]), None)
        check(
            sized_line is not None and [o["name"] for o in sized_line["options"]] == [size],
            f"the kitchen's line for {sized['name']}: {sized_line}",
        )
        assert sized_line is not None
        check(
            Decimal(sized_line["unitPrice"]) == Decimal(variant["priceInfo"]["price"]),
            f"{sized['name']} ({size}) costs {sized_line['unitPrice']} in the kitchen, "
            f"{variant['priceInfo']['price']} at Wix",
        )
        self.outcome = f"READY, SYNCED, {len(dishes)} dishes, checkout → {short(placed['posOrderId'])}…"
        return [
            f"site {short(instance_id)}…: posbridge reads it as {answer['generation']} "
            f"({len(answer['locations'])} business location)",
            f"PUT …/business-locations/{short(business_location)}… ↔ {view['locationName']}: [bold]{view['status']}[/]",
            f"POST …/syncs → sync {requested['id']} [bold]SYNCED[/] in {took:.1f} s: "
            f"{len(shown)} menus, {len(dishes)} dishes in Wix's Menus API (GET /_sim/sites/…/menus)",
            f"what Wix cannot hold is reported, not dropped: the sync's summary notWritten [bold]tax rate[/] ({taxed})",
            f"eCommerce checkout of {plain['name']} and {sized['name']} ({size}): posbridge's Validations "
            f"plugin → [bold]200[/], no violations "
            f"({asked.get('elapsedMs')} ms); Wix's order {short(bought['orderId'])}… [bold]APPROVED[/]",
            f"order_approved webhook → posbridge order {placed['posOrderId']} at {placed['locationId']} "
            f"({placed['status']}, {money(placed['total'])}); the kitchen cooks {sized['name']} · {size} "
            f"at {money(sized_line['unitPrice'])} (the price variant mapped back to the size)",
        ]

    def newgen_kitchen(self) -> list[str]:
        """Issue 14 §9 on the new generation: the kitchen fulfils the checkout's order through posbridge, and
        two more are withdrawn from Wix's side (a cancel with the owner's message, a full refund)."""
        site = self.newgen
        check(site is not None and len(site.orders) == 1, "the new-generation checkout did not leave its order")
        assert site is not None
        worked = site.orders[0]
        one = [{"itemId": site.plain["id"], "quantity": 1}]
        _b, _a, canceled = self.ecom_place(site, one)
        _b, _a, refunded = self.ecom_place(site, one)
        message = "Kitchen closed early tonight, sorry!"
        self.wix.ecom_cancel(canceled["wixOrderId"], message)
        self.wix.ecom_refund(refunded["wixOrderId"], "Customer asked for their money back")
        action = self.admin.act(site.instance_id, worked["posOrderId"], "accept", "Ready in 15 minutes")
        check(action["status"] == "ACCEPTED", f"the kitchen's accept → {action['status']}")
        self.admin.act(site.instance_id, worked["posOrderId"], "ready")
        self.admin.act(site.instance_id, worked["posOrderId"], "fulfill")

        def mine(order: dict[str, Any]) -> dict[str, Any]:
            return self.admin.order(site.instance_id, order["posOrderId"])

        for order in (canceled, refunded):
            self.wait_until(
                lambda order=order: mine(order)["status"] == "CANCELED",  # type: ignore[misc]
                f"Wix's cancel or refund of {order['wixOrderId']} never reached the kitchen",
            )

        def fulfilled(order_id: str) -> bool:
            # Wix's fulfillmentStatus is FULFILLED once a fulfillment covers every line (from the accept on):
            # the kitchen's last step shows as that fulfillment's own status.
            at_wix = self.wix.order(order_id)
            return any(f.get("status") == "Fulfilled" for f in at_wix["fulfillments"])

        self.wait_until(
            lambda: fulfilled(worked["wixOrderId"]), f"Wix's eCom order {worked['wixOrderId']} never became FULFILLED"
        )
        at_wix = self.wix.order(worked["wixOrderId"])
        (fulfillment,) = at_wix["fulfillments"]
        check(
            fulfillment.get("status") == "Fulfilled"
            and fulfillment.get("completed") is True
            and at_wix["order"].get("fulfillmentStatus") == "FULFILLED",
            f"the eCom order's fulfillment at Wix: {fulfillment.get('status')}, "
            f"completed={fulfillment.get('completed')}, fulfillmentStatus {at_wix['order'].get('fulfillmentStatus')}",
        )
        done = mine(worked)
        check(done["status"] == "FULFILLED", f"posbridge holds {worked['posOrderId']} as {done['status']}")
        # The owner's message reaches the kitchen as the cancel's reason; the refund's cancel says why.
        reason = mine(canceled)["history"][-1]
        check(
            message in (reason["reason"] or "") and reason["actor"] == "WIX",
            f"the kitchen's cancel: by {reason['actor']}, reason {reason['reason']!r}",
        )
        refund_reason = mine(refunded)["history"][-1]
        check(
            refund_reason["actor"] == "WIX" and "refunded in full" in (refund_reason["reason"] or ""),
            f"the refund's cancel: by {refund_reason['actor']}, reason {refund_reason['reason']!r}",
        )
        ecom_canceled = self.wix.order(canceled["wixOrderId"])["order"]
        check(ecom_canceled["status"] == "CANCELED", f"Wix holds the cancelled order as {ecom_canceled['status']}")
        ecom_refunded = self.wix.order(refunded["wixOrderId"])["order"]
        check(
            ecom_refunded["paymentStatus"] == "FULLY_REFUNDED",
            f"Wix holds the refunded order's payment as {ecom_refunded['paymentStatus']}",
        )
        for order in (worked, canceled, refunded):
            ecom = self.wix.order(order["wixOrderId"])["order"]
            words = f"{ecom['status']} · {ecom.get('fulfillmentStatus')} · {ecom.get('paymentStatus')}"
            self.final.append(WixFinal("new", "eCom", order["wixOrderId"], words, mine(order)["status"]))
        self.outcome = "1 FULFILLED, 1 CANCELED, 1 FULLY_REFUNDED at Wix"
        return [
            f"eCom {short(worked['wixOrderId'])}…: accept, ready, fulfil in posbridge → Wix's fulfillment "
            f"[bold]{fulfillment['status']}[/] (completed), fulfillmentStatus [bold]FULFILLED[/] (posbridge FULFILLED)",
            f"eCom {short(canceled['wixOrderId'])}…: cancelled in Wix's dashboard → posbridge [bold]CANCELED[/] "
            f"by wix, the kitchen reads {reason['reason']!r}",
            f"eCom {short(refunded['wixOrderId'])}…: refunded in full in Wix (FULLY_REFUNDED) → posbridge "
            f"[bold]CANCELED[/] by wix ({refund_reason['reason']})",
        ]

    def merchant_edit(self) -> list[str]:
        """The owner edits a synced dish's price in Wix: posbridge records the edit and its debounced sync
        puts the POS's price back (the POS owns prices)."""
        site = self.newgen
        assert site is not None
        item_id = site.plain["id"]

        def item() -> dict[str, Any]:
            items = self.wix.site_menus(site.instance_id)["entities"]["items"]
            found: dict[str, Any] = next(i for i in items if i["id"] == item_id)
            return found

        pos_price = Decimal(item()["priceInfo"]["price"])
        edited = pos_price + Decimal("5")
        started = time.monotonic()
        self.wix.merchant_edit(site.instance_id, "items", item_id, priceInfo={"price": str(edited)})

        def the_edit() -> dict[str, Any] | None:
            edits = self.admin.wix_edits(site.instance_id, site.business_location)
            return next((e for e in edits if e["wixId"] == item_id), None)

        self.wait_until(lambda: the_edit() is not None, f"posbridge did not record the edit of {item_id}")
        edit = the_edit()
        assert edit is not None
        prices = [c for c in edit["changes"] if c["field"] == "price"]
        check(
            len(prices) == 1 and Decimal(str(prices[0]["after"])) == edited,
            f"posbridge's record of the edit: {edit['changes']}",
        )
        check(
            edit["nextSync"] == "OVERWRITE" and edit["syncRequested"],
            f"the edit's next sync: {edit['nextSync']}, sync requested: {edit['syncRequested']}",
        )
        self.wait_until(
            lambda: Decimal(item()["priceInfo"]["price"]) == pos_price,
            f"{site.plain['name']} still costs {edited} on Wix: the sync did not put the POS's price back",
            seconds=SYNC_TIMEOUT_SECONDS,
        )
        back = time.monotonic() - started
        syncs = self.admin.syncs(site.instance_id, site.business_location)
        by_edit = [s for s in syncs if s["trigger"] == "WIX_EDIT"]
        check(
            len(by_edit) == 1 and by_edit[0]["status"] == "SYNCED",
            f"the syncs the edit requested: {[(s['id'], s['status']) for s in by_edit]}",
        )
        self.outcome = f"edit recorded, {money(pos_price)} back in {back:.1f} s"
        return [
            f"the owner sets {site.plain['name']} to {money(edited)} in Wix's dashboard: posbridge records "
            f"[bold]{edit['words']}[/] by {edit['by']} (next sync: {edit['nextSync']})",
            f"its debounced sync (WIX_EDIT, sync {by_edit[0]['id']}) SYNCED: {money(pos_price)} is back on Wix "
            f"[bold]{back:.1f} s[/] after the edit (the POS owns prices)",
        ]

    def ecom_place(
        self, site: NewGenSite, lines: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """A customer's eCommerce checkout that posbridge's Validations plugin passes, Wix approves and
        posbridge places (order_approved webhook): Wix's answer, the plugin's call, posbridge's order."""
        bought = self.wix.ecom_checkout(
            {
                "instanceId": site.instance_id,
                "locationId": site.business_location,
                "lines": lines,
                "validationsBaseUri": site.validations,
                "buyer": {
                    "email": "ada@example.com",
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "phone": "+1 555 0100",
                },
            }
        )
        asked = bought.get("validations") or {}
        check(
            asked.get("status") == 200 and not asked.get("failedOpen") and asked.get("error") is None,
            f"posbridge's Validations plugin: {asked.get('status')} {asked.get('error')} {asked.get('body')}",
        )
        violations = (asked.get("body") or {}).get("violations")
        check(violations == [], f"posbridge's Validations plugin found {violations}")
        check(
            bought.get("outcome") == "APPROVED" and bool(bought.get("orderId")),
            f"Wix's checkout: {bought.get('outcome')}",
        )
        wix_order_id = bought["orderId"]
        self.wait_until(
            lambda: any(o["wixOrderId"] == wix_order_id for o in self.admin.orders(site.instance_id)),
            f"Wix's order {wix_order_id} did not reach posbridge's orders (order_approved webhook)",
        )
        (placed,) = [o for o in self.admin.orders(site.instance_id) if o["wixOrderId"] == wix_order_id]
        check(
            placed["configurationId"] == site.business_location,
            f"posbridge placed Wix's order at {placed['configurationId']} / {placed['locationId']}",
        )
        site.orders.append(placed)
        return bought, asked, placed

    def wait_for_wix_status(self, wix_order_id: str, status: str) -> None:
        self.wait_until(
            lambda: self.wix.order(wix_order_id)["order"]["status"] == status,
            f"Wix's order {wix_order_id} never became {status}",
        )

    def wait_until(self, condition: Callable[[], bool], message: str, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            check(time.monotonic() < deadline, message)
            time.sleep(POLL_SECONDS)

    # --- helpers ---------------------------------------------------------------------------------

    def spi_for(self, location: Location, method: str) -> dict[str, Any]:
        return self.wix.spi(method, self.instance_id, accountId=MERCHANT, configurationId=location.configuration_id)

    def live(self, location: Location) -> dict[str, Any]:
        live: dict[str, Any] = self.wix.catalog(location.catalog_id)["live"]
        return live

    @staticmethod
    def live_dishes(live: dict[str, Any]) -> list[dict[str, Any]]:
        return [i for i in live["items"] if i.get("type") == "DISH" and not i.get("archived")]

    @staticmethod
    def menu_dishes(live: dict[str, Any]) -> set[str]:
        """Ids of the dishes that menus not archived show (an archived menu's dishes stay in the catalog)."""
        sections = {s["id"]: s for s in live["sections"]}
        return {
            item_id
            for menu in live["menus"]
            if not menu.get("archived")
            for section_id in (menu.get("sectionIds") or {}).get("values", [])
            for item_id in (sections[section_id].get("itemIds") or {}).get("values", [])
        }

    def live_price(self, location: Location, name: str) -> Decimal:
        dish = next((d for d in self.live_dishes(self.live(location)) if d["name"] == name), None)
        check(dish is not None, f"{name} is not live at {location.name}")
        assert dish is not None
        return Decimal(dish["price"]["value"])

    def menu_names(self, menu_ids: list[str]) -> list[str]:
        names = {m["id"]: m["name"] for m in self.document["menus"]}
        return [names[m] for m in menu_ids]

    def menus_sold_at(self, location_id: str) -> list[str]:
        return [m["id"] for m in self.document["menus"] if location_id in m["locations"]]

    def dishes_in(self, menu_ids: list[str]) -> int:
        return len(
            {
                item_id
                for menu in self.document["menus"]
                if menu["id"] in menu_ids
                for section in menu["sections"]
                for item_id in section["items"]
            }
        )

    def line(
        self, location_name: str, dish: str, *, quantity: int = 1, options: dict[str, list[str]] | None = None
    ) -> dict[str, Any]:
        """A basket line for a live dish (by name), with choices picked by option and choice name."""
        live = self.live(self.locations[location_name])
        found = next((d for d in self.live_dishes(live) if d["name"] == dish), None)
        check(found is not None, f"{dish} is not on Wix at {location_name}")
        assert found is not None
        picked = [{"name": name, "choices": choices} for name, choices in (options or {}).items()]
        return {"itemId": found["id"], "quantity": quantity, "options": picked, "name": dish}

    def checkout(self, location_name: str, lines: list[dict[str, Any]], **basket: Any) -> dict[str, Any]:
        location = self.locations[location_name]
        return self.wix.checkout(
            {
                "instanceId": self.instance_id,
                "configurationId": location.configuration_id,
                "lines": [{k: v for k, v in line.items() if k != "name"} for line in lines],
                **basket,
            }
        )

    def place(self, location_name: str, lines: list[dict[str, Any]], **basket: Any) -> list[str]:
        """A checkout that must be created, and show the same order at Wix and in posbridge."""
        result = self.checkout(location_name, lines, **basket)
        validate, create = result.get("validate") or {}, result.get("create") or {}
        check(
            result["outcome"] == "CREATED",
            f"{result['outcome']}: Validate Order → {validate.get('status')} {error_codes(validate.get('body'))}, "
            f"Create Order → {create.get('status')} {error_codes(create.get('body'))}",
        )
        order = result["order"]
        at_wix = self.wix.order(result["orderId"])
        check(at_wix.get("posOrderId") == result["posOrderId"], f"Wix holds posOrderId {at_wix.get('posOrderId')}")
        rows = [o for o in self.admin.orders(self.instance_id) if o["wixOrderId"] == result["orderId"]]
        check(len(rows) == 1, f"posbridge holds {len(rows)} orders for Wix order {result['orderId']}")
        row, totals = rows[0], order["totals"]
        check(
            Decimal(str(row["total"])) == Decimal(totals["total"]),
            f"posbridge's total {row['total']} differs from Wix's {totals['total']}",
        )
        check(row["fulfillmentType"] == basket["fulfillmentType"], f"posbridge holds a {row['fulfillmentType']} order")
        basket_text = " + ".join(describe_line(line) for line in lines)
        parts = [f"subtotal {money(totals['subtotal'])}", f"tax {money(totals['tax'])}"]
        if Decimal(totals.get("delivery") or 0):
            parts.append(f"delivery {money(totals['delivery'])}")
        if Decimal(totals.get("tip") or 0):
            parts.append(f"tip {money(totals['tip'])}")
        self.outcome = f"CREATED {result['posOrderId'][:11]}…"
        return [
            basket_text,
            f"Validate Order → [bold]{validate['status']}[/] · Create Order → [bold]{create['status']}[/] "
            f"posOrderId {result['posOrderId']} at {result.get('posLocationId')}",
            f"total {money(totals['total'])} ({', '.join(parts)}); posbridge holds it: "
            f"{row['status']}, {row['fulfillmentType']}, {money(row['total'])}",
        ]

    def wait_for_order(self, order_id: str, *, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(o["wixOrderId"] == order_id for o in self.admin.orders(self.instance_id)):
                return True
            time.sleep(POLL_SECONDS)
        return False

    def wait_for_syncs(self, trigger: str) -> str:
        """Poll Get Catalog Sync Status as Wix does, with posbridge's own progress line, until each ends."""
        started = time.monotonic()
        done: dict[str, str] = {}
        with self.progress() as bar:
            tasks = {name: bar.add_task(f"{name}: requested", total=None) for name in self.locations}
            while len(done) < len(self.locations):
                check(
                    time.monotonic() - started < SYNC_TIMEOUT_SECONDS,
                    f"syncs still running after {SYNC_TIMEOUT_SECONDS:.0f} s",
                )
                for name, location in self.locations.items():
                    if name in done:
                        continue
                    # The newest sync of this trigger (the demo's posbridge runs no periodic reconcile).
                    syncs = self.admin.syncs(self.instance_id, location.configuration_id)
                    newest = next((sync for sync in syncs if sync["trigger"] == trigger), syncs[0])
                    answer = self.spi_for(location, "get-catalog-sync-status")
                    status = (answer.get("body") or {}).get("status")
                    ours = newest["trigger"] == trigger and newest["status"] in ("SYNCED", "FAILED")
                    if ours and status in ("SYNCED", "FAILED"):
                        check(
                            status == "SYNCED",
                            f"{name}: Get Catalog Sync Status → {answer['body']} ({newest.get('failureReason')})",
                        )
                        done[name] = f"{name} {time.monotonic() - started:.1f} s"
                        bar.update(tasks[name], description=f"{name}: SYNCED", total=1, completed=1)
                    else:
                        bar.update(
                            tasks[name], description=f"{name}: {status} · {self.sync_activity(location, newest)}"
                        )
                time.sleep(POLL_SECONDS)
        return ", ".join(done.values())

    def sync_activity(self, location: Location, sync: dict[str, Any]) -> str:
        """posbridge's latest log line of a sync, for the progress display."""
        if sync["status"] == "PENDING":
            return "waiting for its turn" if sync.get("notBefore") is None else "debouncing POS edits"
        log = self.admin.sync(self.instance_id, location.configuration_id, sync["id"]).get("log") or []
        if not log:
            return sync["status"].lower()
        last = log[-1]
        detail = ", ".join(f"{k}={v}" for k, v in (last.get("data") or {}).items() if not isinstance(v, dict | list))
        return f"{last['event']} {detail}".strip()

    @contextmanager
    def progress(self) -> Iterator[Progress]:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=self.console, transient=True
        ) as bar:
            yield bar


def first_message(body: Any) -> str:
    """The first error's message of an error body (Wix's shapes)."""
    if isinstance(body, dict):
        details = ((body.get("details") or {}).get("applicationError") or {}).get("data") or {}
        errors = details.get("errors") if isinstance(details, dict) else None
        if errors:
            return str(errors[0].get("message", ""))
        return str(body.get("message", ""))
    return str(body)


def describe_line(line: dict[str, Any]) -> str:
    picked = [c for option in line.get("options", []) for c in option["choices"]]
    extra = f" ({', '.join(picked)})" if picked else ""
    quantity = f"{line['quantity']}× " if line.get("quantity", 1) > 1 else ""
    return f"{quantity}{line['name']}{extra}"


def item_changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Decimal | None, Decimal | None]]:
    """Live items whose price, name or presence differ between two reads of a catalog."""

    def prices(live: dict[str, Any]) -> dict[str, tuple[str, Decimal | None]]:
        return {
            i["id"]: (i["name"], Decimal(i["price"]["value"]) if i.get("price") else None)
            for i in live["items"]
            if not i.get("archived")
        }

    old, new = prices(before), prices(after)
    out = []
    for item_id in sorted(old.keys() | new.keys()):
        if old.get(item_id) != new.get(item_id):
            name = (new.get(item_id) or old[item_id])[0]
            out.append((name, old.get(item_id, (name, None))[1], new.get(item_id, (name, None))[1]))
    return out


def catalog_tree(live: dict[str, Any], title: str, *, dishes_per_section: int = 2) -> Tree:
    """The live catalog as a short tree: menus, sections with counts, a few dishes with prices and options."""
    sections = {s["id"]: s for s in live["sections"]}
    items = {i["id"]: i for i in live["items"]}
    tree = Tree(f"[bold]{title}[/]")
    for menu in live["menus"]:
        section_ids = (menu.get("sectionIds") or {}).get("values", [])
        if menu.get("archived"):
            tree.add(f"[dim]{menu['name']} (archived: Wix's own menu)[/]")
            continue
        dish_count = sum(len((sections[s].get("itemIds") or {}).get("values", [])) for s in section_ids)
        branch = tree.add(f"[bold]{menu['name']}[/] · {len(section_ids)} sections · {dish_count} dishes")
        for section_id in section_ids:
            section = sections[section_id]
            item_ids = (section.get("itemIds") or {}).get("values", [])
            node = branch.add(f"{section['name']} ({len(item_ids)})")
            for item_id in item_ids[:dishes_per_section]:
                node.add(describe_dish(items[item_id]))
            if len(item_ids) > dishes_per_section:
                node.add(f"[dim]… {len(item_ids) - dishes_per_section} more[/]")
    return tree


def describe_dish(dish: dict[str, Any]) -> str:
    """A dish in one short line: name, price, stock and its options' names."""
    text = f"{dish['name']} {money(dish['price']['value'])}"
    if not dish.get("inStock", True):
        text += " [red](out of stock)[/]"
    options = [option["name"] for option in (dish.get("dishOptions") or {}).get("values", [])]
    if options:
        text += f" [dim]· {', '.join(options)}[/]"
    return text


def summary_table(results: list[StepResult]) -> Table:
    table = Table(title="The journey", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("step")
    table.add_column("outcome")
    table.add_column("Wix calls", justify="right")
    table.add_column("time", justify="right")
    for number, result in enumerate(results, start=1):
        outcome = f"[green]✓[/] {result.outcome}" if result.ok else f"[red]✗ {result.outcome}[/]"
        if not result.ok and result.lines and result.lines[0].startswith("not played"):
            outcome = "[dim]not played[/]"
        table.add_row(str(number), result.title, outcome, str(result.wix_calls), f"{result.seconds:.1f} s")
    return table


def wix_final_table(final: list[WixFinal]) -> Table:
    """Every order of the journey as Wix last showed it, beside posbridge's own status: the legacy site's
    first, then the new generation's (kept narrow enough for an 80-column terminal)."""
    table = Table(
        title="The orders at Wix, as the journey left them",
        title_justify="left",
        caption="legacy: the order's status history; new generation (eCom): status · fulfillmentStatus · paymentStatus",
        caption_justify="left",
    )
    table.add_column("order", no_wrap=True)
    table.add_column("at Wix", no_wrap=True)
    table.add_column("posbridge", no_wrap=True)
    for number, row in enumerate(final):
        last_of_site = number + 1 == len(final) or final[number + 1].site != row.site
        table.add_row(f"{row.order} {short(row.wix_id)}…", row.at_wix, row.posbridge, end_section=last_of_site)
    return table
