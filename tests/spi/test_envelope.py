"""Envelope verification over real HTTP: every failure is refused in Wix's error shape and changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest

from posbridge.store.db import Database
from tests.spi.conftest import SPI, assert_wix_error, table_counts
from tests.support.signer import TestSigner, new_rsa_key

URL = f"{SPI}/account-ids"
OTHER_KEY = new_rsa_key()

# Each case builds (body, headers) for an instance id.
Case = Callable[[TestSigner, str], tuple[bytes | str, dict[str, str]]]


def _jwt(signer: TestSigner, instance_id: str, **overrides: Any) -> str:
    return signer.sign(signer.claims({}, signer.metadata(instance_id), **overrides))


def _tampered(signer: TestSigner, instance_id: str) -> str:
    header, payload, signature = _jwt(signer, instance_id).split(".")
    forged = signer.claims({}, signer.metadata(instance_id, instanceId="someone-else"))
    forged_payload = jwt.utils.base64url_encode(json.dumps(forged).encode()).decode()
    assert forged_payload != payload
    return f"{header}.{forged_payload}.{signature}"


def _digest(signer: TestSigner, instance_id: str, body: dict[str, Any] | None = None) -> tuple[bytes, dict[str, str]]:
    raw, header = signer.digest_style(body or {"request": {}, "metadata": signer.metadata(instance_id)})
    return raw, {"Digest": header, "Content-Type": "application/json"}


def _digest_token(signer: TestSigner, raw: bytes, **overrides: Any) -> str:
    import hashlib

    now = int(time.time())
    claims = {"data": {"SHA256": hashlib.sha256(raw).hexdigest()}, "iat": now, "exp": now + 300} | overrides
    key = claims.pop("key", None)
    return "JWT=" + signer.sign({k: v for k, v in claims.items() if v is not None}, key)


def _digest_with(signer: TestSigner, instance_id: str, **overrides: Any) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps({"request": {}, "metadata": signer.metadata(instance_id)}).encode()
    return raw, {"Digest": _digest_token(signer, raw, **overrides)}


DEEP = b"[" * 50_000 + b"]" * 50_000


def _deep_payload(signer: TestSigner, instance_id: str, where: str = "padding") -> str:
    """A signed envelope with 50,000 nested lists in its payload (PyJWT cannot build it: it would recurse)."""
    claims = signer.claims({}, signer.metadata(instance_id))
    text = json.dumps(claims).encode()
    if where == "request":
        text = text.replace(b'"request": {}', b'"request": {"deep": ' + DEEP + b"}")
    else:
        text = text[:-1] + b', "padding": ' + DEEP + b"}"
    return jwt.api_jws.encode(text, signer.key, algorithm="RS256")


UNAUTHORIZED: dict[str, Case] = {
    "unsigned JSON": lambda s, i: (json.dumps({"data": {"request": {}, "metadata": s.metadata(i)}}), {}),
    "alg none": lambda s, i: (jwt.encode(s.claims({}, s.metadata(i)), None, algorithm="none"), {}),
    "HS256 instead of RS256": lambda s, i: (
        jwt.encode(s.claims({}, s.metadata(i)), "x" * 32, algorithm="HS256"),
        {},
    ),
    "tampered payload": lambda s, i: (_tampered(s, i), {}),
    "truncated signature": lambda s, i: (_jwt(s, i)[:-10], {}),
    "other key": lambda s, i: (s.sign(s.claims({}, s.metadata(i)), OTHER_KEY), {}),
    "expired beyond leeway": lambda s, i: (_jwt(s, i, exp=int(time.time()) - 120), {}),
    "iat in the future": lambda s, i: (_jwt(s, i, iat=int(time.time()) + 600), {}),
    "exp 10**30": lambda s, i: (_jwt(s, i, exp=10**30), {}),
    "wrong iss": lambda s, i: (_jwt(s, i, iss="evil.example"), {}),
    "no iss": lambda s, i: (s.sign({k: v for k, v in s.claims({}, s.metadata(i)).items() if k != "iss"}), {}),
    "wrong aud": lambda s, i: (_jwt(s, i, aud="another-app"), {}),
    "not a JWT": lambda s, i: ("hello, posbridge", {}),
    "empty body": lambda s, i: ("", {}),
    "binary junk": lambda s, i: (bytes(range(256)), {}),
    "digest mismatch": lambda s, i: (
        json.dumps({"request": {}, "metadata": s.metadata(i), "extra": 1}).encode(),
        {"Digest": _digest(s, i)[1]["Digest"]},
    ),
    "digest by other key": lambda s, i: _digest_with(s, i, key=OTHER_KEY),
    "digest expired": lambda s, i: _digest_with(s, i, exp=int(time.time()) - 120),
    "digest exp 10**30": lambda s, i: _digest_with(s, i, exp=10**30),
    "digest without exp, iat an hour old": lambda s, i: _digest_with(s, i, exp=None, iat=int(time.time()) - 3600),
    "digest nbf ahead": lambda s, i: _digest_with(s, i, nbf=int(time.time()) + 600),
    "deep header": lambda s, i: (
        jwt.utils.base64url_encode(b"[" * 50_000 + b"]" * 50_000).decode() + "." + _jwt(s, i).split(".", 1)[1],
        {},
    ),
    "digest wrong aud": lambda s, i: _digest_with(s, i, aud="another-app"),
    "digest not a JWT": lambda s, i: (b"{}", {"Digest": "JWT=abc.def.ghi"}),
}

BAD_REQUEST: dict[str, Case] = {
    "data is a string": lambda s, i: (s.sign(s.claims({}, s.metadata(i), data=json.dumps({"x": 1}))), {}),
    "data missing": lambda s, i: (s.sign({k: v for k, v in s.claims({}, s.metadata(i)).items() if k != "data"}), {}),
    "metadata missing": lambda s, i: (s.sign(s.claims({}, s.metadata(i), data={"request": {}})), {}),
    "instanceId missing": lambda s, i: (s.sign(s.claims({}, {"requestId": "r1"})), {}),
    "instanceId a number": lambda s, i: (s.sign(s.claims({}, s.metadata(i, instanceId=42))), {}),
    "request not an object": lambda s, i: (
        s.sign(s.claims({}, s.metadata(i), data={"request": [1], "metadata": s.metadata(i)})),
        {},
    ),
    "digest body not JSON": lambda s, i: (b"{not json", {"Digest": _digest_token(s, b"{not json")}),
    "digest body a list": lambda s, i: (b"[1, 2]", {"Digest": _digest_token(s, b"[1, 2]")}),
    "digest body nested 50,000 deep": lambda s, i: (DEEP, {"Digest": _digest_token(s, DEEP)}),
    "digest body with NaN": lambda s, i: (b'{"x": NaN}', {"Digest": _digest_token(s, b'{"x": NaN}')}),
    "digest appExtensionType a number": lambda s, i: _digest(
        s, i, {"request": {}, "metadata": s.metadata(i, appExtensionType=5)}
    ),
    "payload nested 50,000 deep": lambda s, i: (_deep_payload(s, i), {}),
    "request nested 50,000 deep": lambda s, i: (
        _deep_payload(s, i, where="request"),
        {},
    ),
    "instanceId not a GUID": lambda s, i: (s.sign(s.claims({}, s.metadata(i, instanceId="\U00020305\u00db,;"))), {}),
    "instanceId a GUID with a newline": lambda s, i: (s.sign(s.claims({}, s.metadata(i, instanceId=i + "\n"))), {}),
}


@pytest.mark.parametrize("case", UNAUTHORIZED.values(), ids=UNAUTHORIZED.keys())
def test_unverifiable_calls_are_401_with_a_generic_body(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str, case: Case
) -> None:
    body, headers = case(signer, instance_id)
    before = table_counts(db)
    response = spi.post(URL, content=body, headers=headers)
    error = assert_wix_error(response, 401, "OTHER")
    assert error["message"] == "Unauthorized"
    assert error["applicationError"]["data"]["errors"] == [{"code": "OTHER", "message": "Unauthorized", "params": {}}]
    assert response.headers["X-Request-Id"]
    assert table_counts(db) == before


@pytest.mark.parametrize("case", BAD_REQUEST.values(), ids=BAD_REQUEST.keys())
def test_signed_but_malformed_envelopes_are_400(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str, case: Case
) -> None:
    body, headers = case(signer, instance_id)
    before = table_counts(db)
    assert_wix_error(spi.post(URL, content=body, headers=headers), 400, "OTHER")
    assert table_counts(db) == before


@pytest.mark.parametrize("content_type", ["text/plain", "plain/text", "application/json", None])
def test_jwt_body_is_read_whatever_the_content_type(
    spi: httpx.Client, signer: TestSigner, instance_id: str, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = spi.post(URL, content=_jwt(signer, instance_id), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"accountIds": []}
    assert response.headers["content-type"] == "application/json"


def test_time_claims_have_sixty_seconds_of_leeway(spi: httpx.Client, signer: TestSigner, instance_id: str) -> None:
    now = int(time.time())
    assert spi.post(URL, content=_jwt(signer, instance_id, exp=now - 30)).status_code == 200
    assert spi.post(URL, content=_jwt(signer, instance_id, iat=now + 30)).status_code == 200


def test_token_may_arrive_json_quoted_or_with_a_newline(
    spi: httpx.Client, signer: TestSigner, instance_id: str
) -> None:
    token = _jwt(signer, instance_id)
    assert spi.post(URL, content=json.dumps(token)).status_code == 200
    assert spi.post(URL, content=token + "\n").status_code == 200


def test_digest_style_is_accepted(spi: httpx.Client, signer: TestSigner, instance_id: str) -> None:
    raw, headers = _digest(signer, instance_id)
    response = spi.post(URL, content=raw, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"accountIds": []}


def test_digest_style_without_iss_and_aud_is_accepted(spi: httpx.Client, signer: TestSigner, instance_id: str) -> None:
    raw, headers = _digest_with(signer, instance_id)
    assert spi.post(URL, content=raw, headers=headers).status_code == 200


@pytest.mark.parametrize("changes", [{"exp": None}, {"exp": None, "iat": None}, {"iat": None}])
def test_digest_style_judges_time_claims_as_the_jwt_style(
    spi: httpx.Client, signer: TestSigner, instance_id: str, changes: dict[str, Any]
) -> None:
    raw, headers = _digest_with(signer, instance_id, **changes)
    assert spi.post(URL, content=raw, headers=headers).status_code == 200


def test_digest_style_may_omit_app_extension_type(spi: httpx.Client, signer: TestSigner, instance_id: str) -> None:
    meta = {k: v for k, v in signer.metadata(instance_id).items() if k != "appExtensionType"}
    raw, headers = _digest(signer, instance_id, {"request": {}, "metadata": meta})
    assert spi.post(URL, content=raw, headers=headers).status_code == 200


def test_oversized_body_is_413_and_changes_nothing(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    before = table_counts(db)
    padding = "x" * (1024 * 1024)
    token = signer.sign(signer.claims({"padding": padding}, signer.metadata(instance_id)))
    assert_wix_error(spi.post(URL, content=token), 413, "OTHER")
    assert table_counts(db) == before


def test_oversized_chunked_body_is_413_without_a_length(spi: httpx.Client, db: Database) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"y" * 65536  # 2.5 MiB in all, no Content-Length

    before = table_counts(db)
    assert_wix_error(spi.post(URL, content=chunks()), 413, "OTHER")
    assert table_counts(db) == before


def test_a_body_just_under_the_limit_is_verified(spi: httpx.Client, signer: TestSigner, instance_id: str) -> None:
    token = signer.sign(signer.claims({"padding": "x" * (700 * 1024)}, signer.metadata(instance_id)))
    assert len(token) < 1024 * 1024
    assert spi.post(URL, content=token).status_code == 200
