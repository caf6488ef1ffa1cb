"""The kitchen view on the merchant's page: open orders per location, new ones marked, one-click actions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select

from posbridge.services import attention
from posbridge.services.order_views import kitchen_orders
from posbridge.store.db import Database
from posbridge.store.models import Configuration, Item, OrderLine, OrderLineOption, OrderRow, OutboundJob
from tests.dashboard.conftest import SESSION, Paired, Site, open_page, tokens
from tests.orders.kitchen_world import wait_until
from tests.support.statements import statements
from wixsim.client import WixSimClient


def _orders(db: Database, site: Site, conf: str, promised: datetime) -> list[str]:
    """Two orders at the paired location: one as soon as possible, one scheduled; their POS ids, oldest first."""
    ids = []
    with db.transaction() as s:
        configuration = s.scalar(select(Configuration).where(Configuration.wix_id == conf))
        assert configuration is not None and configuration.location_id is not None
        item = s.scalar(select(Item).limit(1).where(Item.name.is_not(None)))
        assert item is not None
        for n, scheduled in enumerate((None, promised)):
            order = OrderRow(
                pos_order_id=f"pos-{uuid.uuid4().hex[:12]}",
                instance_id=site.instance_id,
                configuration_wix_id=conf,
                configuration_id=configuration.id,
                wix_order_id=f"wix-kitchen-{n}-{uuid.uuid4().hex[:6]}",
                location_id=configuration.location_id,
                currency="USD",
                subtotal=Decimal("12.50"),
                total=Decimal("13.61"),
                fulfillment_type="PICKUP",
                asap=scheduled is None,
                promised_time=scheduled,
                customer={"firstName": "Ada", "lastName": "Lovelace"},
                wix_order={},
                created_at=datetime.now(UTC) + timedelta(seconds=n),
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
            ids.append(order.pos_order_id)
    return ids


def test_the_kitchen_sees_open_orders_newest_first_and_moves_them_along(
    page_client: httpx.Client, wixsim: WixSimClient, make_site: Callable[..., Site], paired: Paired, db: Database
) -> None:
    site, session, csrf, conf = paired.site, paired.session, paired.csrf, paired.conf
    promised = datetime(2026, 12, 24, 19, 30, tzinfo=UTC)
    asap, scheduled = _orders(db, site, conf, promised)
    headers = {SESSION: session}
    card = page_client.get("/dashboard/kitchen", headers=headers)
    assert card.status_code == 200
    text = card.text
    assert "2 new" in text and text.count('class="ticket ticket-new is-new"') == 2
    assert text.index(scheduled) < text.index(asap)  # newest first
    assert "for 24 Dec 2026, 19:30 UTC" in text and "as soon as possible" in text

    accepted = page_client.post(f"/dashboard/kitchen/orders/{asap}/accept", data={"csrf": csrf}, headers=headers)
    assert accepted.status_code == 200 and "1 new" in accepted.text
    refused = page_client.post(f"/dashboard/kitchen/orders/{scheduled}/ready", data={"csrf": csrf}, headers=headers)
    assert refused.status_code == 409 and "accept it before" in refused.text
    canceled = page_client.post(
        f"/dashboard/kitchen/orders/{scheduled}/cancel", data={"csrf": csrf, "reason": "oven broke"}, headers=headers
    )
    assert canceled.status_code == 200 and scheduled not in canceled.text  # closed orders leave the list
    with db.transaction(write=False) as s:
        rows = {
            o.pos_order_id: o for o in s.scalars(select(OrderRow).where(OrderRow.pos_order_id.in_([asap, scheduled])))
        }
        assert (rows[asap].status, rows[scheduled].status) == ("ACCEPTED", "CANCELED")
        assert rows[scheduled].history[-1].actor == "KITCHEN" and rows[scheduled].history[-1].note == "oven broke"
        jobs = s.scalars(select(OutboundJob).where(OutboundJob.order_id.in_([o.id for o in rows.values()])))
        assert sorted(j.payload["status"] for j in jobs) == ["ACCEPTED", "CANCELED"]  # Wix is told from the queue

    # No CSRF token, no action; another site's page cannot touch these orders.
    no_csrf = page_client.post(f"/dashboard/kitchen/orders/{asap}/fulfill", data={}, headers=headers)
    assert no_csrf.status_code == 403
    other_session, other_csrf = tokens(open_page(page_client, wixsim, make_site().instance_id))
    stranger = page_client.post(
        f"/dashboard/kitchen/orders/{asap}/fulfill", data={"csrf": other_csrf}, headers={SESSION: other_session}
    )
    assert stranger.status_code == 404
    assert asap not in page_client.get("/dashboard/kitchen", headers={SESSION: other_session}).text
    with db.transaction(write=False) as s:
        assert s.scalar(select(OrderRow.status).where(OrderRow.pos_order_id == asap)) == "ACCEPTED"


def test_orders_needing_attention_come_first_with_retry_and_resolve(
    page_client: httpx.Client, wixsim: WixSimClient, paired: Paired, db: Database
) -> None:
    site, session, csrf, conf = paired.site, paired.session, paired.csrf, paired.conf
    failed_push, fulfilled = _orders(db, site, conf, datetime(2026, 12, 24, 19, 30, tzinfo=UTC))
    with db.transaction() as s:
        rows = {
            o.pos_order_id: o
            for o in s.scalars(select(OrderRow).where(OrderRow.pos_order_id.in_([failed_push, fulfilled])))
        }
        pushed = rows[failed_push]
        s.add(
            OutboundJob(
                kind="ORDER_STATUS",
                instance_id=site.instance_id,
                order_id=pushed.id,
                ordering_key=f"order-{pushed.id}",
                payload={"status": "ACCEPTED"},
                status="FAILED",
                attempts=8,
            )
        )
        attention.flag(s, pushed, kind=attention.STATUS_PUSH_FAILED, reason="Wix did not answer", actions=["retry"])
        attention.flag(
            s,
            rows[fulfilled],
            kind=attention.CANCELED_AFTER_FULFILLED,
            reason="Refund the customer",
            actions=["refund"],
        )
    headers = {SESSION: session}
    page = open_page(page_client, wixsim, site.instance_id).text
    assert page.index("Orders that need your attention") < page.index("Your POS account")  # at the top
    card = page_client.get("/dashboard/kitchen", headers=headers).text
    assert "Wix did not answer" in card and "Refund the customer" in card and "Send again" in card
    retried = page_client.post(f"/dashboard/kitchen/orders/{failed_push}/retry", data={"csrf": csrf}, headers=headers)
    assert retried.status_code == 200 and "Wix did not answer" not in retried.text

    # The worker sends it again from a fresh start, and Wix, which never had this order, refuses it at
    # once: wait for that outcome, so the card below shows it whichever of worker and click came first.
    def resent() -> tuple[str, int] | None:
        with db.transaction(write=False) as s:
            job = s.scalar(select(OutboundJob).where(OutboundJob.order_id == pushed.id))
            return None if job is None or job.status == "PENDING" else (job.status, job.attempts)

    wait_until(lambda: resent() is not None)
    assert resent() == ("FAILED", 1)
    resolved = page_client.post(f"/dashboard/kitchen/orders/{fulfilled}/resolve", data={"csrf": csrf}, headers=headers)
    assert resolved.status_code == 200 and "Refund the customer" not in resolved.text
    assert f'data-attention="{fulfilled}"' not in resolved.text and "Wix did not answer" not in resolved.text
    assert resolved.text.count("data-attention=") == 1  # only the resent push, refused afresh
    assert f'data-attention="{failed_push}"' in resolved.text and "after 1 attempt" in resolved.text


def test_the_kitchen_card_reads_a_fixed_number_of_queries_and_shows_each_lines_options(
    paired: Paired, db: Database
) -> None:
    """The card is on the page and polled: its queries do not grow with its tickets (no query per order or line)."""
    site, conf = paired.site, paired.conf
    _orders(db, site, conf, datetime(2026, 12, 24, 19, 30, tzinfo=UTC))
    with db.transaction() as s:
        line = s.scalar(
            select(OrderLine)
            .join(OrderRow)
            .where(OrderRow.instance_id == site.instance_id)
            .order_by(OrderLine.id)
            .limit(1)
        )
        assert line is not None
        line.options = [
            OrderLineOption(
                group_name="Size", group_type="VARIATION", wix_item_id="c1", name="Large", price=Decimal("0")
            ),
            OrderLineOption(
                group_name="Extras", group_type="MODIFIER", wix_item_id="c2", name="Cheese", price=Decimal("1")
            ),
        ]
        dish = f"2 × {line.name} (Large, Cheese)"

    def count(read: Callable[[], object]) -> int:
        with statements(db) as sent:
            read()
        return len(sent)

    few = count(lambda: kitchen_orders(db, site.instance_id))
    for _ in range(4):
        _orders(db, site, conf, datetime(2026, 12, 24, 19, 30, tzinfo=UTC))
    (place,) = kitchen_orders(db, site.instance_id)
    assert len(place.tickets) == 10 and [dish] in [t.items for t in place.tickets]
    assert count(lambda: kitchen_orders(db, site.instance_id)) == few
