"""Persistence: a restarted emulator keeps its app keys, sites, catalogs and orders."""

from __future__ import annotations

import pytest

from wixsim.signer import generate_key_pair
from wixsim.testing import running_wixsim, start_wixsim


@pytest.mark.parametrize("filename", ["state.json", "state.sqlite"])
def test_restart_with_state_file_keeps_keys_and_sites(tmp_path, filename):
    state = tmp_path / filename
    handle, client = start_wixsim(state_file=state)
    try:
        site = client.create_site(configurations=[{"name": "Kept", "catalog": {"menus": [{"name": "M"}]}}])
        app_id, public_key = client.app_id, client.public_key_pem
        catalog_id = site["configurations"][0]["catalogId"]
        client.wix("POST", f"/v3/draft-catalogs/{catalog_id}/create", instance_id=site["instanceId"])
    finally:
        client.close()
        handle.stop()
    handle, client = start_wixsim(state_file=state)
    try:
        assert (client.app_id, client.public_key_pem) == (app_id, public_key)
        kept = client.get_site(site["instanceId"])
        assert kept["configurations"][0]["location"] == {"name": "Kept"}
        assert client.draft_catalog(catalog_id) is not None
        assert [m["name"] for m in client.live_catalog(catalog_id)["menus"]] == ["M"]
    finally:
        client.close()
        handle.stop()


def test_given_credentials_are_used():
    with running_wixsim(app_id="my-app", app_secret="s3cret") as client:
        assert (client.app_id, client.app_secret) == ("my-app", "s3cret")
        assert client.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")


def test_given_private_key_signs_and_its_public_half_is_served(tmp_path):
    private_pem, public_pem = generate_key_pair()
    with running_wixsim(private_key_pem=private_pem, state_file=tmp_path / "s.json") as client:
        assert client.public_key_pem == public_pem
    with running_wixsim(state_file=tmp_path / "s.json") as client:
        assert client.public_key_pem == public_pem
        assert client.app["privateKeyPem"] == private_pem
