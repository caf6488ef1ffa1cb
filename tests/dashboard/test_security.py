"""The page over plain HTTP: who gets in, what a session may touch, CSRF, framing headers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select

from posbridge.services.configurations import configuration_status
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration
from tests.dashboard.conftest import SESSION, Merchant, Site, connected, open_page, tokens
from wixsim.client import WixSimClient


def _account(db: Database, instance_id: str) -> Account | None:
    with db.transaction(write=False) as session:
        return session.scalar(select(Account).where(Account.instance_id == instance_id))


def test_valid_instance_opens_the_page_framable_by_wix_only(
    page_client: httpx.Client, wixsim: WixSimClient, make_site: Callable[..., Site]
) -> None:
    site = make_site()
    page = open_page(page_client, wixsim, site.instance_id)
    assert page.status_code == 200
    assert "POS Locations" in page.text and "API key" in page.text
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors http://localhost:*" in policy
    assert "x-frame-options" not in page.headers
    assert "set-cookie" not in page.headers


@pytest.mark.parametrize(
    ("variant", "status"), [("forged", 401), ("tampered", 401), ("expired", 401), ("visitor", 403), ("aid", 403)]
)
def test_bad_instances_are_refused_with_a_clear_page_and_no_data(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    make_merchant: Callable[[], Merchant],
    db: Database,
    variant: str,
    status: int,
) -> None:
    site, merchant = make_site(), make_merchant()
    connected(page_client, wixsim, site.instance_id, merchant)
    page = open_page(page_client, wixsim, site.instance_id, variant)
    assert page.status_code == status
    assert "Open this page from your site's Wix dashboard" in page.text
    assert merchant.pos_id not in page.text and "Downtown" not in page.text and "csrf" not in page.text


def test_missing_instance_and_missing_or_forged_session_are_refused(page_client: httpx.Client) -> None:
    assert page_client.get("/dashboard").status_code == 401
    assert page_client.get("/dashboard/panel").status_code == 401
    assert page_client.get("/dashboard/panel", headers={SESSION: "eyJpIjoiYSJ9.forged"}).status_code == 401


def test_connect_needs_information_then_ready_as_get_configuration_status_says(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    make_merchant: Callable[[], Merchant],
    db: Database,
) -> None:
    site, merchant = make_site(), make_merchant()
    session, csrf = connected(page_client, wixsim, site.instance_id, merchant)
    panel = page_client.get("/dashboard/panel", headers={SESSION: session})
    assert "Needs information" in panel.text
    conf = site.configurations[0]["id"]
    paired = page_client.post(
        f"/dashboard/configurations/{conf}/pair",
        data={"csrf": csrf, "locationId": "loc-1", "configurationId": conf},
        headers={SESSION: session},
    )
    assert paired.status_code == 200, paired.text
    status = configuration_status(db, site.instance_id, merchant.pos_id, conf)
    assert status.status == "PENDING" and "business information" in (status.reason or "")
    assert status.reason in paired.text.replace("&#39;", "'")
    saved = page_client.post(
        "/dashboard/account/business",
        data={
            "csrf": csrf,
            "contactName": "Ana Rossi",
            "contactEmail": "ana@example.com",
            "contactPhone": "+1 212 555 0100",
        },
        headers={SESSION: session},
    )
    assert saved.status_code == 200 and "Ready" in saved.text
    assert configuration_status(db, site.instance_id, merchant.pos_id, conf).status == "READY"


def test_a_second_account_is_refused_with_the_reason(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    make_merchant: Callable[[], Merchant],
    db: Database,
) -> None:
    site, first, second = make_site(), make_merchant(), make_merchant()
    connected(page_client, wixsim, site.instance_id, first)
    session, csrf = tokens(open_page(page_client, wixsim, site.instance_id))
    answer = page_client.post(
        "/dashboard/account/connect", data={"csrf": csrf, "apiKey": second.api_key}, headers={SESSION: session}
    )
    assert answer.status_code == 409 and "disconnect it first" in answer.text
    account = _account(db, site.instance_id)
    assert account is not None and account.account_id == first.pos_id


def test_a_wrong_api_key_is_refused_and_links_nothing(
    page_client: httpx.Client, wixsim: WixSimClient, make_site: Callable[..., Site], db: Database
) -> None:
    site = make_site()
    session, csrf = tokens(open_page(page_client, wixsim, site.instance_id))
    answer = page_client.post(
        "/dashboard/account/connect", data={"csrf": csrf, "apiKey": "pbk_not-a-key"}, headers={SESSION: session}
    )
    assert answer.status_code == 403 and "not valid" in answer.text
    assert _account(db, site.instance_id) is None


@pytest.mark.parametrize("csrf", [None, "stale"])
def test_state_changes_without_this_sessions_csrf_token_are_refused(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    make_merchant: Callable[[], Merchant],
    db: Database,
    csrf: str | None,
) -> None:
    site, merchant = make_site(), make_merchant()
    old_session, old_csrf = tokens(open_page(page_client, wixsim, site.instance_id))
    session, _csrf = tokens(open_page(page_client, wixsim, site.instance_id))
    data = {"apiKey": merchant.api_key}
    if csrf == "stale":
        data["csrf"] = old_csrf  # a token of an earlier session of the same owner
    answer = page_client.post("/dashboard/account/connect", data=data, headers={SESSION: session})
    assert answer.status_code == 403 and "out of date" in answer.text
    assert _account(db, site.instance_id) is None
    assert old_session != session


def test_another_sites_ids_in_urls_and_forms_are_refused(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    make_merchant: Callable[[], Merchant],
    db: Database,
) -> None:
    mine, theirs = make_site(), make_site()
    me, them = make_merchant(), make_merchant()
    their_session, their_csrf = connected(page_client, wixsim, theirs.instance_id, them)
    their_conf = theirs.configurations[0]["id"]
    page_client.post(
        f"/dashboard/configurations/{their_conf}/pair",
        data={"csrf": their_csrf, "locationId": "loc-1"},
        headers={SESSION: their_session},
    )
    session, csrf = connected(page_client, wixsim, mine.instance_id, me)
    headers = {SESSION: session}
    # Their Wix location in my URLs: Wix does not know it on my site, nothing is paired or unpaired.
    pair = page_client.post(
        f"/dashboard/configurations/{their_conf}/pair", data={"csrf": csrf, "locationId": "loc-1"}, headers=headers
    )
    assert pair.status_code == 404
    unpair = page_client.post(f"/dashboard/configurations/{their_conf}/unpair", data={"csrf": csrf}, headers=headers)
    assert unpair.status_code == 404
    assert (
        page_client.post(
            f"/dashboard/configurations/{their_conf}/sync", data={"csrf": csrf}, headers=headers
        ).status_code
        == 404
    )
    assert page_client.get(f"/dashboard/configurations/{their_conf}/history", headers=headers).status_code == 404
    assert page_client.get(f"/dashboard/configurations/{their_conf}/preview", headers=headers).status_code == 404
    # Their session token cannot be reused with my CSRF token (nor mine with theirs).
    crossed = page_client.post(
        f"/dashboard/configurations/{their_conf}/unpair", data={"csrf": csrf}, headers={SESSION: their_session}
    )
    assert crossed.status_code == 403
    with db.transaction(write=False) as s:
        theirs_row = s.scalar(select(Configuration).where(Configuration.wix_id == their_conf))
        assert (
            theirs_row is not None
            and theirs_row.instance_id == theirs.instance_id
            and theirs_row.location_id is not None
        )
        assert s.scalar(select(Configuration).where(Configuration.instance_id == mine.instance_id)) is None
    # Their POS merchant's location id in my form: a merchant-scoped id, so it names my own location.
    my_conf = mine.configurations[0]["id"]
    other = page_client.post(
        f"/dashboard/configurations/{my_conf}/pair", data={"csrf": csrf, "locationId": "loc-9"}, headers=headers
    )
    assert other.status_code == 404
