"""Stock and 86 on the merchant's page: a search over a paired location's dishes, one click to 86 (for a while)
or bring a dish back, what is 86ed and until when; CSRF and the site's own locations only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from posbridge.store.db import Database
from posbridge.store.models import ChoiceStock, Item, Stock, Variation
from posbridge.store.models import Merchant as MerchantRow
from tests.dashboard.conftest import SESSION, Merchant, Paired, Site, open_page, tokens
from wixsim.client import WixSimClient


@dataclass
class Card:
    """The stock card of a paired site's page, and a way in for another site's page."""

    client: httpx.Client
    paired: Paired
    other_page: Callable[[], tuple[str, str]]  # another site's fresh page: its session and CSRF token

    def search(self, q: str) -> httpx.Response:
        """The card's rows whose name or id has `q`."""
        card = self.client.get("/dashboard/stock", params={"q": q}, headers=self.paired.headers)
        assert card.status_code == 200
        return card

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        """A form of the card sent from the paired site's page (`data` carries the CSRF token, or not)."""
        return self.client.post(f"/dashboard/stock/{path}", data=data, headers=self.paired.headers)

    def post_from_another_site(self, path: str, data: dict[str, str]) -> httpx.Response:
        """The same form sent from another site's page, with that page's own session and CSRF token."""
        session, csrf = self.other_page()
        return self.client.post(f"/dashboard/stock/{path}", data={**data, "csrf": csrf}, headers={SESSION: session})


@pytest.fixture()
def card(page_client: httpx.Client, wixsim: WixSimClient, make_site: Callable[..., Site], paired: Paired) -> Card:
    """The stock card of a freshly paired site (its location: loc-1)."""
    return Card(page_client, paired, lambda: tokens(open_page(page_client, wixsim, make_site().instance_id)))


def _row(db: Database, merchant: Merchant, item: str) -> Stock | None:
    with db.transaction(write=False) as s:
        found = s.scalar(
            select(Stock)
            .join(Item, Item.id == Stock.item_id)
            .join(MerchantRow, MerchantRow.id == Item.merchant_id)
            .where(MerchantRow.pos_id == merchant.pos_id, Item.pos_id == item)
        )
        return found


def test_search_86_for_a_while_and_bring_back(card: Card, db: Database) -> None:
    merchant, csrf = card.paired.merchant, card.paired.csrf
    found = card.search("tira")
    assert "Tiramisu" in found.text and "Margherita" not in found.text and "5 left" in found.text

    done = card.post("loc-1/item-3/86", {"csrf": csrf, "for": "1h", "q": "tira"})
    assert done.status_code == 200, done.text
    assert "Tiramisu is 86ed until" in done.text and "Back in stock" in done.text and "86ed until" in done.text
    row = _row(db, merchant, "item-3")
    assert row is not None and row.out_of_stock and row.out_until is not None

    back = card.post("loc-1/item-3/restore", {"csrf": csrf})
    assert back.status_code == 200 and "Tiramisu is back." in back.text
    row = _row(db, merchant, "item-3")
    assert row is not None and not row.out_of_stock

    # No CSRF token, no change; another site's page cannot reach this location.
    assert card.post("loc-1/item-3/86", {}).status_code == 403
    assert card.post_from_another_site("loc-1/item-3/86", {}).status_code == 404
    row = _row(db, merchant, "item-3")
    assert row is not None and not row.out_of_stock


def _choice_row(db: Database, merchant: Merchant, variation: str) -> ChoiceStock | None:
    with db.transaction(write=False) as s:
        return s.scalar(
            select(ChoiceStock)
            .join(Variation, Variation.id == ChoiceStock.variation_id)
            .join(MerchantRow, MerchantRow.id == Variation.merchant_id)
            .where(MerchantRow.pos_id == merchant.pos_id, Variation.pos_id == variation)
        )


def test_a_choice_is_86ed_and_brought_back_like_a_dish(card: Card, db: Database) -> None:
    """The card 86es choices (a size, an extra) as the CLI and the admin API can: one click, for a while."""
    merchant, csrf = card.paired.merchant, card.paired.csrf
    found = card.search("bacon")
    assert 'data-choice="var-bacon"' in found.text and "Olives" not in found.text and "Tiramisu" not in found.text
    assert 'name="kind" value="choice"' in found.text

    done = card.post("loc-1/var-bacon/86", {"csrf": csrf, "kind": "choice", "for": "4h", "q": "bacon"})
    assert done.status_code == 200, done.text
    assert "Bacon is 86ed until" in done.text and "Back in stock" in done.text
    row = _choice_row(db, merchant, "var-bacon")
    assert row is not None and row.out_of_stock and row.out_until is not None
    assert _row(db, merchant, "var-bacon") is None  # no dish of that id was touched

    back = card.post("loc-1/var-bacon/restore", {"csrf": csrf, "kind": "choice"})
    assert back.status_code == 200 and "Bacon is back." in back.text
    row = _choice_row(db, merchant, "var-bacon")
    assert row is not None and not row.out_of_stock

    # A choice's id taken as a dish is not found; another site's page cannot reach this location's choices.
    assert card.post("loc-1/var-bacon/86", {"csrf": csrf}).status_code == 404
    assert card.post_from_another_site("loc-1/var-bacon/86", {"kind": "choice"}).status_code == 404
    row = _choice_row(db, merchant, "var-bacon")
    assert row is not None and not row.out_of_stock
