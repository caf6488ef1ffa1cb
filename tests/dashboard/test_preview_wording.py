"""The dashboard's sync preview speaks the target's words, as the CLI's dry run does: on a new-generation
site (no drafts) the site's own menus are hidden, not archived."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.dashboard.conftest import SESSION, Merchant, pair_location, ready
from wixsim.client import WixSimClient


def test_a_new_generation_preview_says_hidden_where_the_target_hides(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    posbridge_url: str,
    make_merchant: Callable[[], Merchant],
) -> None:
    site = wixsim.create_site(generation="new", locations=["Downtown"], dashboard_url=f"{posbridge_url}/dashboard")
    instance_id, downtown = site["instanceId"], site["locations"][0]["id"]
    # The merchant's own menu, which the sync sets aside (hides) once the location is paired.
    wixsim.merchant_create(instance_id, "menus", name="Chef's table", businessLocationId=downtown, visible=True)
    session, csrf = ready(page_client, wixsim, instance_id, make_merchant())
    headers = {SESSION: session}
    pair_location(page_client, session, csrf, downtown)
    preview = page_client.get(f"/dashboard/configurations/{downtown}/preview", headers=headers)
    assert preview.status_code == 200, preview.text
    assert ">Hidden</span> menu <strong>Chef&#39;s table</strong>" in preview.text, preview.text
    assert "1 hidden" in preview.text
    assert ">archive<" not in preview.text and "archived" not in preview.text
