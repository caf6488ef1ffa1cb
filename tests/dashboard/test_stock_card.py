"""Stock and 86 on the merchant's page: a search over a paired location's dishes, one click to 86 (for a while)
or bring a dish back, what is 86ed and until when; CSRF and the site's own locations only."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import select

from posbridge.store.db import Database
from posbridge.store.models import ChoiceStock, Item, Stock, Variation
from posbridge.store.models import Merchant as MerchantRow
from tests.dashboard.conftest import SESSION, Merchant, Paired, Site, open_page, tokens
from wixsim.client import WixSimClient


def _row(db: Database, merchant: Merchant, item: str) -> Stock | None:
    with db.transaction(write=False) as s:
        found = s.scalar(
            select(Stock)
            .join(Item, Item.id == Stock.item_id)
            .join(MerchantRow, MerchantRow.id == Item.merchant_id)
            .where(MerchantRow.pos_id == merchant.pos_id, Item.pos_id == item)
        )
        return found


def test_search_86_for_a_while_and_bring_back(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    paired: Paired,
    db: Database,
) -> None:
    merchant, session, csrf = paired.merchant, paired.session, paired.csrf
    headers = {SESSION: session}
    card = page_client.get("/dashboard/stock", params={"q": "tira"}, headers=headers)
    assert card.status_code == 200
    assert "Tiramisu" in card.text and "Margherita" not in card.text and "5 left" in card.text

    done = page_client.post(
        "/dashboard/stock/loc-1/item-3/86", data={"csrf": csrf, "for": "1h", "q": "tira"}, headers=headers
    )
    assert done.status_code == 200, done.text
    assert "Tiramisu is 86ed until" in done.text and "Back in stock" in done.text and "86ed until" in done.text
    row = _row(db, merchant, "item-3")
    assert row is not None and row.out_of_stock and row.out_until is not None

    back = page_client.post("/dashboard/stock/loc-1/item-3/restore", data={"csrf": csrf}, headers=headers)
    assert back.status_code == 200 and "Tiramisu is back." in back.text
    row = _row(db, merchant, "item-3")
    assert row is not None and not row.out_of_stock

    # No CSRF token, no change; another site's page cannot reach this location.
    assert page_client.post("/dashboard/stock/loc-1/item-3/86", data={}, headers=headers).status_code == 403
    other_session, other_csrf = tokens(open_page(page_client, wixsim, make_site().instance_id))
    stranger = page_client.post(
        "/dashboard/stock/loc-1/item-3/86", data={"csrf": other_csrf}, headers={SESSION: other_session}
    )
    assert stranger.status_code == 404
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


def test_a_choice_is_86ed_and_brought_back_like_a_dish(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    paired: Paired,
    db: Database,
) -> None:
    """The card 86es choices (a size, an extra) as the CLI and the admin API can: one click, for a while."""
    merchant, session, csrf = paired.merchant, paired.session, paired.csrf
    headers = {SESSION: session}
    card = page_client.get("/dashboard/stock", params={"q": "bacon"}, headers=headers)
    assert card.status_code == 200
    assert 'data-choice="var-bacon"' in card.text and "Olives" not in card.text and "Tiramisu" not in card.text
    assert 'name="kind" value="choice"' in card.text

    done = page_client.post(
        "/dashboard/stock/loc-1/var-bacon/86",
        data={"csrf": csrf, "kind": "choice", "for": "4h", "q": "bacon"},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    assert "Bacon is 86ed until" in done.text and "Back in stock" in done.text
    row = _choice_row(db, merchant, "var-bacon")
    assert row is not None and row.out_of_stock and row.out_until is not None
    assert _row(db, merchant, "var-bacon") is None  # no dish of that id was touched

    back = page_client.post(
        "/dashboard/stock/loc-1/var-bacon/restore", data={"csrf": csrf, "kind": "choice"}, headers=headers
    )
    assert back.status_code == 200 and "Bacon is back." in back.text
    row = _choice_row(db, merchant, "var-bacon")
    assert row is not None and not row.out_of_stock

    # A choice's id taken as a dish is not found; another site's page cannot reach this location's choices.
    as_dish = page_client.post("/dashboard/stock/loc-1/var-bacon/86", data={"csrf": csrf}, headers=headers)
    assert as_dish.status_code == 404
    other_session, other_csrf = tokens(open_page(page_client, wixsim, make_site().instance_id))
    stranger = page_client.post(
        "/dashboard/stock/loc-1/var-bacon/86",
        data={"csrf": other_csrf, "kind": "choice"},
        headers={SESSION: other_session},
    )
    assert stranger.status_code == 404
    row = _choice_row(db, merchant, "var-bacon")
    assert row is not None and not row.out_of_stock
