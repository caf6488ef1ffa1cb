"""Verify the signed envelope of an SPI call and open it (wix-pos-spi.md §1).

Two styles are accepted; both must carry a verifiable RS256 signature by the app's key:

- **JWT body** (what Wix sends today): the raw body, whatever its Content-Type, is one compact
  JWT. Checked: signature, `iss == "wix.com"`, `aud == <app id>`, `exp` present and not past,
  `iat` (when present) not in the future, both with `settings.jwt_leeway_seconds` leeway. Its
  payload's `data` must be an object `{"request": {…}, "metadata": {…}}`.
- **Digest header** (the older payment-SPI style): a JSON body plus `Digest: JWT=<jwt>` whose
  payload is `{"data": {"SHA256": "<hex sha256 of the raw body bytes>"}}`. Checked: signature,
  `exp` present and not past, `iat` not in the future, `iss`/`aud` when present, and the hash over
  the exact raw bytes. **Decision:** the body then is the same object the JWT style carries in
  `data`, i.e. `{"request": {…}, "metadata": {…}}` (the digest token carries no metadata, so the
  tenant can only come from the body).

Any failure of the signature or its claims is `Unauthorized` (401) with one generic body that
says nothing about which check failed. A verified envelope whose content is malformed (`data`
not an object, body not JSON, `request`/`metadata` missing or not objects) is a 400: Wix signed
it, so it is a bad request, not a forgery. Bodies over `settings.max_body_bytes` are refused
(413) before more than the limit is read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from posbridge.errors import ErrorDetail, InvalidArgument, WixError

if TYPE_CHECKING:
    from jwt.types import Options  # typing only: a recent PyJWT TypedDict, and pyproject allows pyjwt>=2.8

ISSUER = "wix.com"
ALGORITHMS = ["RS256"]


class Unauthorized(WixError):
    """The call carries no valid signature; the body never says which check failed."""

    def __init__(self) -> None:
        super().__init__(ErrorDetail("OTHER", "Unauthorized"), http_status=401)


class BodyTooLarge(WixError):
    """The body exceeds the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(ErrorDetail("OTHER", f"Request body exceeds {limit} bytes"), http_status=413)


@dataclass(frozen=True)
class Envelope:
    """A verified call: the method's request object and Wix's metadata, both still raw JSON."""

    request: dict[str, Any]
    metadata: dict[str, Any]
    style: str  # "jwt" | "digest"


async def read_limited(chunks: AsyncIterator[bytes], limit: int, declared_length: str | None) -> bytes:
    """Read the body, refusing (413) a declared or actual size over `limit` without reading past it."""
    if declared_length is not None:
        try:
            if int(declared_length) > limit:
                raise BodyTooLarge(limit)
        except ValueError:
            pass  # a bogus Content-Length is the server's business; the streamed count still holds
    body = bytearray()
    async for chunk in chunks:
        body.extend(chunk)
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return bytes(body)


def open_envelope(
    raw: bytes, headers: Mapping[str, str], *, public_key: RSAPublicKey, app_id: str, leeway: int
) -> Envelope:
    """Verify the call's signature and claims and return its request and metadata."""
    digest_token = _digest_jwt(headers.get("digest"))
    if digest_token is not None:
        return _open_digest_style(raw, digest_token, public_key=public_key, app_id=app_id, leeway=leeway)
    return _open_jwt_style(raw, public_key=public_key, app_id=app_id, leeway=leeway)


def _open_jwt_style(raw: bytes, *, public_key: RSAPublicKey, app_id: str, leeway: int) -> Envelope:
    claims = _decode(
        token_of(raw),
        public_key=public_key,
        leeway=leeway,
        audience=app_id,
        issuer=ISSUER,
        require=["exp", "iss", "aud"],
    )
    data = claims.get("data")
    if not isinstance(data, dict):
        raise InvalidArgument("The envelope's 'data' must be an object")
    return _split(data, "jwt")


def _open_digest_style(raw: bytes, token: str, *, public_key: RSAPublicKey, app_id: str, leeway: int) -> Envelope:
    claims = decode_optional_claims(token, public_key=public_key, app_id=app_id, leeway=leeway)
    data = claims.get("data")
    expected = data.get("SHA256") if isinstance(data, dict) else None
    if not isinstance(expected, str):
        raise Unauthorized()
    actual = hashlib.sha256(raw).hexdigest()
    if not hmac.compare_digest(actual, expected.strip().lower()):
        raise Unauthorized()
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise InvalidArgument("The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidArgument("The body must be a JSON object")
    return _split(body, "digest")


def decode_optional_claims(token: str, *, public_key: RSAPublicKey, app_id: str, leeway: int) -> dict[str, Any]:
    """Verify a token that must carry `exp` and may carry `iss`/`aud` (refused when they name another issuer or app)."""
    claims = _decode(token, public_key=public_key, leeway=leeway, audience=None, issuer=None, require=["exp"])
    if "iss" in claims and claims["iss"] != ISSUER:
        raise Unauthorized()
    if "aud" in claims and not _audience_matches(claims["aud"], app_id):
        raise Unauthorized()
    return claims


def token_of(raw: bytes) -> str:
    """The compact JWT a body carries (ASCII, perhaps JSON-quoted); Unauthorized when it cannot be one."""
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise Unauthorized() from None
    if len(token) >= 2 and token[0] == token[-1] == '"':
        token = token[1:-1]  # some senders JSON-quote the token
    return token


def _decode(
    token: str,
    *,
    public_key: RSAPublicKey,
    leeway: int,
    audience: str | None,
    issuer: str | None,
    require: list[str],
) -> dict[str, Any]:
    options: Options = {"require": require, "verify_aud": audience is not None}
    try:
        claims = jwt.decode(
            token, public_key, algorithms=ALGORITHMS, audience=audience, issuer=issuer, leeway=leeway, options=options
        )
    except jwt.PyJWTError:
        raise Unauthorized() from None
    except (ValueError, TypeError, OverflowError):
        # A signed token with absurd claim values (a huge exp, say) is still not a valid one.
        raise Unauthorized() from None
    if not isinstance(claims, dict):
        raise Unauthorized()
    return claims


def _audience_matches(aud: Any, app_id: str) -> bool:
    return aud == app_id or (isinstance(aud, list) and app_id in aud)


def _digest_jwt(header: str | None) -> str | None:
    """The token of a `Digest: JWT=<token>` header (other digests in the list are ignored)."""
    if not header:
        return None
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if sep and name.strip().upper() == "JWT":
            return value.strip()
    return None


def _split(data: dict[str, Any], style: str) -> Envelope:
    request = data.get("request", {})
    metadata = data.get("metadata")
    if not isinstance(request, dict):
        raise InvalidArgument("The envelope's 'request' must be an object")
    if not isinstance(metadata, dict):
        raise InvalidArgument("The envelope's 'metadata' must be an object")
    return Envelope(request=request, metadata=metadata, style=style)
