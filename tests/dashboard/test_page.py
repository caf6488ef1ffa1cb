"""The page's flows over HTTP: deep links, disconnect with confirmation, orders with problems first."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import event, select

from posbridge.config import Settings
from posbridge.dashboard import routes
from posbridge.services.disconnection import retry_due
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration, Item, Location, OrderLine, OrderRow
from posbridge.wix.client import WixClient
from tests.dashboard.conftest import (
    SESSION,
    Merchant,
    Paired,
    Site,
    connected,
    open_page,
    ready,
    tokens,
    wait_for_sync,
)
from wixsim.client import WixSimClient


def test_integration_settings_deep_link_opens_that_row(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    make_merchant: Callable[[], Merchant],
) -> None:
    site, merchant = make_site(), make_merchant()
    ready(page_client, wixsim, site.instance_id, merchant)
    wanted = site.configurations[2]["id"]
    url = wixsim.dashboard_url(site.instance_id).split("/dashboard", 1)[1]
    page = page_client.get(f"/dashboard{url}&configurationId={wanted}")
    assert page.status_code == 200
    assert f'id="conf-{wanted}" open' in page.text
    assert page.text.count('" open>') == 1  # only that row is open, and it comes first
    assert page.text.index('class="row"') == page.text.index(f'class="row" id="conf-{wanted}"')


def test_business_info_is_checked_whole_and_a_refusal_changes_nothing(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    make_merchant: Callable[[], Merchant],
    db: Database,
) -> None:
    site, merchant = make_site(), make_merchant()
    session, csrf = connected(page_client, wixsim, site.instance_id, merchant)
    bad = {"csrf": csrf, "contactName": "", "contactEmail": "not-an-email", "contactPhone": "call me"}
    answer = page_client.post("/dashboard/account/business", data=bad, headers={SESSION: session})
    assert answer.status_code == 400
    for words in ("Contact name", "Email", "Phone"):
        assert words in answer.text
    with db.transaction(write=False) as s:
        account = s.scalar(select(Account).where(Account.instance_id == site.instance_id))
        assert account is not None and account.contact_email is None
    assert "Needs information" in answer.text


def test_disconnect_needs_confirmation_then_unpairs_and_tells_wix(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    paired: Paired,
    db: Database,
) -> None:
    site, session, csrf, conf = paired.site, paired.session, paired.csrf, paired.conf
    unconfirmed = page_client.post("/dashboard/account/disconnect", data={"csrf": csrf}, headers={SESSION: session})
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.text
    with db.transaction(write=False) as s:
        account = s.scalar(select(Account).where(Account.instance_id == site.instance_id))
        assert account is not None and account.status == "ACTIVE"
    done = page_client.post(
        "/dashboard/account/disconnect", data={"csrf": csrf, "confirm": "yes"}, headers={SESSION: session}
    )
    assert done.status_code == 200 and "disconnected" in done.text and "Not connected" in done.text
    with db.transaction(write=False) as s:
        account = s.scalar(select(Account).where(Account.instance_id == site.instance_id))
        row = s.scalar(select(Configuration).where(Configuration.wix_id == conf))
        assert account is not None and account.status == "DISCONNECTED"
        assert row is not None and row.location_id is None
    assert wixsim.request_log("disconnectAccount", site.instance_id)["requests"]


def test_orders_show_problems_first_with_the_reason(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    paired: Paired,
    db: Database,
) -> None:
    site, session, _csrf, conf = paired.site, paired.session, paired.csrf, paired.conf
    empty = page_client.get("/dashboard/panel", headers={SESSION: session})
    assert "No orders yet" in empty.text
    with db.transaction() as s:
        configuration = s.scalar(select(Configuration).where(Configuration.wix_id == conf))
        assert configuration is not None and configuration.location_id is not None
        location = s.get(Location, configuration.location_id)
        item = s.scalar(select(Item).where(Item.merchant_id == location.merchant_id).limit(1)) if location else None
        assert item is not None
        for n, problem in enumerate((None, "The kitchen printer is offline", None)):
            order = OrderRow(
                pos_order_id=f"pos-{uuid.uuid4().hex[:12]}",
                instance_id=site.instance_id,
                configuration_wix_id=conf,
                configuration_id=configuration.id,
                wix_order_id=f"wix-order-{n}",
                location_id=configuration.location_id,
                status="NEW",
                currency="USD",
                subtotal=Decimal("12.50"),
                total=Decimal("13.61"),
                fulfillment_type="PICKUP",
                wix_order={},
                needs_attention=problem,
            )
            order.lines = [
                OrderLine(
                    position=0,
                    item_id=item.id,
                    wix_catalog_item_id="x",
                    name=item.name,
                    quantity=2,
                    unit_price=Decimal("6.25"),
                    line_total=Decimal("12.50"),
                )
            ]
            s.add(order)
    page = page_client.get("/dashboard/panel", headers={SESSION: session})
    text = page.text
    assert "Orders that need your attention" in text and "The kitchen printer is offline" in text
    assert text.index("wix-order-1") < text.index("wix-order-2")  # the problem first
    assert "13.61 USD" in text and f"2 × {item.name}" in text
    # Another site's page shows none of them.
    other_session, _ = tokens(open_page(page_client, wixsim, make_site().instance_id))
    assert "wix-order-1" not in page_client.get("/dashboard/panel", headers={SESSION: other_session}).text


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1234.5", "USD", "1,234.50 USD"),
        ("1200.0000", "JPY", "1,200 JPY"),
        ("1.5", "KWD", "1.500 KWD"),
        ("1.125", "KWD", "1.125 KWD"),
    ],
)
def test_the_page_writes_an_amount_in_its_currencys_decimals(amount: str, currency: str, shown: str) -> None:
    # The templates' money filter: a fixed two decimals showed yen that do not exist and rounded a dinar's fils away.
    rendered = routes._env.from_string("{{ amount | money(currency) }}").render(
        amount=Decimal(amount), currency=currency
    )
    assert rendered == shown


def test_a_failed_sync_shows_its_reason_in_words_and_its_log_in_the_history(
    page_client: httpx.Client, paired: Paired
) -> None:
    session, csrf, conf = paired.session, paired.csrf, paired.conf
    headers = {SESSION: session}
    no_menus = {"csrf": csrf, "locationId": "loc-1", "menusChosen": "yes", "configurationId": conf}
    saved = page_client.post(f"/dashboard/configurations/{conf}/pair", data=no_menus, headers=headers)
    assert "No menu is selected for online ordering" in saved.text  # the row's reason, in words
    requested = page_client.post(f"/dashboard/configurations/{conf}/sync", data={"csrf": csrf}, headers=headers)
    assert requested.status_code == 200 and "Sync requested" in requested.text
    state = wait_for_sync(page_client, session, conf)
    assert "Failed" in state.text and "hx-trigger" not in state.text.split("hx-swap-oob")[0]
    assert "menu" in state.text.lower()
    history = page_client.get(f"/dashboard/configurations/{conf}/history", headers=headers)
    assert history.status_code == 200 and "Failed" in history.text and "attempt 1" in history.text
    assert "{" not in history.text.replace("{{", "")  # no raw JSON
    preview = page_client.get(f"/dashboard/configurations/{conf}/preview", headers=headers)
    assert preview.status_code == 200 and "The sync would fail" in preview.text


def test_order_acceptance_of_a_paired_location_is_set_from_its_row(
    page_client: httpx.Client, paired: Paired, db: Database
) -> None:
    site, session, csrf, conf = paired.site, paired.session, paired.csrf, paired.conf
    headers = {SESSION: session}
    url = f"/dashboard/configurations/{conf}/acceptance"
    bad = page_client.post(url, data={"csrf": csrf, "autoAccept": "yes", "prepMinutes": "0"}, headers=headers)
    assert bad.status_code == 400 and "1..1440" in bad.text
    not_a_number = page_client.post(url, data={"csrf": csrf, "prepMinutes": "ten"}, headers=headers)
    assert not_a_number.status_code == 400
    unpaired = site.configurations[1]["id"]
    refused = page_client.post(
        f"/dashboard/configurations/{unpaired}/acceptance", data={"csrf": csrf, "autoAccept": "yes"}, headers=headers
    )
    assert refused.status_code in (404, 409)

    def location() -> Location:
        with db.transaction(write=False) as s:
            row = s.scalar(
                select(Location)
                .join(Configuration, Configuration.location_id == Location.id)
                .where(Configuration.wix_id == conf)
            )
            assert row is not None
            return row

    assert (location().auto_accept, location().prep_minutes) == (False, None)  # refusals changed nothing
    saved = page_client.post(url, data={"csrf": csrf, "autoAccept": "yes", "prepMinutes": "20"}, headers=headers)
    assert saved.status_code == 200 and "Saved how Downtown accepts online orders" in saved.text
    assert (location().auto_accept, location().prep_minutes) == (True, 20)
    assert 'value="20"' in saved.text


def test_the_page_reads_its_own_rows_while_wix_answers(
    page_client: httpx.Client, wixsim: WixSimClient, paired: Paired, db: Database
) -> None:
    """Wix's live configurations and the page's own reads overlap: a slow Wix costs the page its latency once,
    not its latency plus every query (and no transaction is open while Wix is waited for)."""
    latency = 1.0
    wixsim.inject_fault(
        "listConfigurations", "latency", latency_ms=int(latency * 1000), instance_id=paired.site.instance_id
    )
    seen: list[tuple[float, str]] = []

    def record(conn: object, cursor: object, statement: str, *rest: object) -> None:
        seen.append((time.monotonic(), statement))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        panel = page_client.get("/dashboard/panel", headers=paired.headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert panel.status_code == 200 and panel.text.count('class="row"') == 3  # Wix's rows, read live
    start = seen[0][0]
    orders = next(at for at, statement in seen if "FROM orders" in statement)
    rows = next(at for at, statement in seen if "FROM configuration_menus" in statement)
    assert orders - start < latency / 2  # the recent orders were read while Wix was still answering
    assert rows - start >= latency * 0.9  # the rows, which need Wix's answer, after it


def test_a_disconnect_wix_did_not_take_is_retried_until_wix_is_told(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    paired: Paired,
    db: Database,
    dashboard_settings: Settings,
) -> None:
    site, session, csrf = paired.site, paired.session, paired.csrf
    wixsim.inject_fault("disconnectAccount", "5xx", status=503, instance_id=site.instance_id)
    form, headers = {"csrf": csrf, "confirm": "yes"}, {SESSION: session}
    first = page_client.post("/dashboard/account/disconnect", data=form, headers=headers)
    assert first.status_code == 200 and "Wix was not told" in first.text and "503" in first.text
    assert "Wix not told yet" in first.text and "Tell Wix again" in first.text
    # The page, opened again, still says so (the state is kept, not just flashed once).
    assert "Wix not told yet" in open_page(page_client, wixsim, site.instance_id).text

    def owed() -> Account:
        with db.transaction(write=False) as s:
            account = s.scalar(select(Account).where(Account.instance_id == site.instance_id))
            assert account is not None and account.status == "DISCONNECTED"
            s.expunge(account)
            return account

    assert owed().wix_disconnect_pending and owed().wix_disconnect_attempts == 1
    again = page_client.post("/dashboard/account/disconnect", data=form, headers=headers)  # "Try again", still down
    assert again.status_code == 200 and "Wix was still not told" in again.text and "No POS account" not in again.text
    after_two = owed()
    assert after_two.wix_disconnect_pending and after_two.wix_disconnect_attempts == 2
    assert after_two.wix_disconnect_next_at is not None

    # The queue's sweep waits out the backoff, then tells Wix once it answers.
    wixsim.clear_faults()
    calls = len(wixsim.request_log("disconnectAccount", site.instance_id)["requests"])
    client = WixClient(dashboard_settings, db)
    try:
        early = after_two.wix_disconnect_next_at - timedelta(seconds=1)
        assert retry_due(db, client, early) == 0
        assert len(wixsim.request_log("disconnectAccount", site.instance_id)["requests"]) == calls
        assert retry_due(db, client, after_two.wix_disconnect_next_at) == 1
    finally:
        client.close()
    told = wixsim.request_log("disconnectAccount", site.instance_id)["requests"]
    assert told[-1]["status"] == 200 and len(told) == calls + 1
    assert not owed().wix_disconnect_pending and owed().wix_disconnect_error is None
    page = open_page(page_client, wixsim, site.instance_id)
    assert "Wix not told yet" not in page.text and "Not connected" in page.text
    # Nothing owed any more: sending it again is refused in words and Wix is not called.
    last = page_client.post("/dashboard/account/disconnect/retry", data={"csrf": csrf}, headers=headers)
    assert last.status_code == 409 and "No POS account is connected" in last.text
    assert len(wixsim.request_log("disconnectAccount", site.instance_id)["requests"]) == calls + 1


def test_tell_wix_again_from_the_page(
    page_client: httpx.Client, wixsim: WixSimClient, paired: Paired, db: Database
) -> None:
    site, headers = paired.site, paired.headers
    wixsim.inject_fault("disconnectAccount", "5xx", status=503, instance_id=site.instance_id)
    page_client.post("/dashboard/account/disconnect", data={"csrf": paired.csrf, "confirm": "yes"}, headers=headers)
    wixsim.clear_faults()
    done = page_client.post("/dashboard/account/disconnect/retry", data={"csrf": paired.csrf}, headers=headers)
    assert done.status_code == 200 and "Wix was told" in done.text and "Wix not told yet" not in done.text
    with db.transaction(write=False) as s:
        account = s.scalar(select(Account).where(Account.instance_id == site.instance_id))
        assert account is not None and not account.wix_disconnect_pending
    assert wixsim.request_log("disconnectAccount", site.instance_id)["requests"][-1]["status"] == 200
