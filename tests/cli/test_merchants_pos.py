"""`posbridge merchants set-pos`: the signing secret printed once, sealed at rest, refusals in words."""

from __future__ import annotations

import json
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from posbridge.pos.importer import import_menu
from posbridge.services import pos_deliveries
from posbridge.store.db import Database
from posbridge.store.models import Merchant
from tests.pos.menu_documents import small_document
from tests.support.cli import SECRET, settings_env
from tests.support.cli import run_posbridge as posbridge


def test_set_pos_prints_the_secret_once(tmp_path: Path, sqlite_url: str, migrated: Database) -> None:
    document = small_document()
    import_menu(migrated, document)
    merchant = document["merchant"]["id"]
    env = settings_env(database_url=sqlite_url, secret_key=SECRET)

    made = posbridge(
        "merchants", "set-pos", "--merchant", merchant, "--url", "https://pos.example/h", env=env, cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("whsec_") and "shown once" in made.stderr
    Webhook(secret)
    as_json = posbridge(
        "merchants", "set-pos", "--merchant", merchant, "--url", "https://pos.example/v2", "--json",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    shown = json.loads(as_json.stdout)
    assert shown["url"] == "https://pos.example/v2" and shown["secret"].startswith("whsec_")
    assert shown["secret"] != secret
    with migrated.transaction(write=False) as session:
        row = session.query(Merchant).filter_by(pos_id=merchant).one()
        assert row.pos_secret_encrypted is not None and shown["secret"].encode() not in row.pos_secret_encrypted
    assert pos_deliveries.get_pos(migrated, merchant_id=merchant) == pos_deliveries.PosConnectionInfo(
        merchant_id=merchant, url="https://pos.example/v2"
    )


def test_set_pos_refusals(tmp_path: Path, sqlite_url: str, migrated: Database) -> None:
    env = settings_env(database_url=sqlite_url, secret_key=SECRET)
    unknown = posbridge(
        "merchants", "set-pos", "--merchant", "nobody", "--url", "https://x.example", env=env, cwd=tmp_path
    )
    assert unknown.returncode == 1
    assert unknown.stderr == "posbridge: ACCOUNT_NOT_FOUND: No POS account 'nobody'\n"
    keyless = posbridge(
        "merchants", "set-pos", "--merchant", "nobody", "--url", "https://x.example",
        env=settings_env(database_url=sqlite_url), cwd=tmp_path,
    )  # fmt: skip
    assert keyless.returncode == 2 and "POSBRIDGE_SECRET_KEY" in keyless.stderr
