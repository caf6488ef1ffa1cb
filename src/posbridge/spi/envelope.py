"""Verify the signed envelope of an SPI call and open it (wix-pos-spi.md §1).

Envelopes are judged as Wix's own SDK judges them when it plays the provider (`@wix/sdk`
`AppStrategy.decodeJWT` + `servicePlugins.parseJWT`, read in version 1.21), with two deliberate
differences (docs/decisions.md "Envelope claims"):

- RS256 signature by the app's key; `exp` and `nbf` are checked only when present (each must then
  be a number); `iat`, when present, must be a number too. `settings.jwt_leeway_seconds` of
  leeway on every time check.
- **Difference 1:** a lifetime (`exp - iat`, and `exp - now`) above
  `settings.envelope_max_lifetime_seconds` (default one day) is refused: `exp = 10**30` is no expiry.
- **Difference 2:** without `exp`, an `iat` older than `settings.envelope_max_age_seconds` (default
  ten minutes) is refused, and so is an `iat` in the future, which would never age. A token with
  neither `exp` nor `iat` is accepted, as the SDK does; every envelope without `exp` is logged
  (`envelope.no_exp`) so the first real calls show what Wix sends.

Two styles:

- **JWT body** (what Wix sends today): the raw body, whatever its Content-Type, is one compact
  JWT. `iss == "wix.com"` and `aud` (a string, or a list holding the app id) are required. Its
  payload's `data` must be an object `{"request": {…}, "metadata": {…}}` whose
  `metadata.appExtensionType` is a string (the SDK refuses it otherwise, absent included).
- **Digest header** (the older payment-SPI style): a JSON body plus `Digest: JWT=<jwt>` whose
  payload is `{"data": {"SHA256": "<hex sha256 of the raw body bytes>"}}`. `iss`/`aud` are checked
  when present, and the hash over the exact raw bytes. **Decision:** the body then is the same
  object the JWT style carries in `data`, i.e. `{"request": {…}, "metadata": {…}}` (the digest
  token carries no metadata, so the tenant can only come from the body); an `appExtensionType`
  that is present must be a string.

Any failure of the signature or its claims is `Unauthorized` (401) with one generic body that
says nothing about which check failed. A verified envelope whose content is malformed (`data`
not an object, body not JSON or nested over `MAX_JSON_DEPTH`, `request`/`metadata` missing or not
objects) is a 400: Wix signed it, so it is a bad request, not a forgery. Bodies over
`settings.max_body_bytes` are refused (413) before more than the limit is read. No JSON is
parsed before its depth is known to be bounded (`posbridge.spi.jsonbound`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from posbridge.config import Settings
from posbridge.errors import ErrorDetail, InvalidArgument, WixError
from posbridge.logs import get_logger
from posbridge.spi.jsonbound import MAX_JSON_DEPTH, TooDeep, json_depth, loads_bounded

ISSUER = "wix.com"
ALGORITHMS = ["RS256"]
log = get_logger("envelope")


class Unauthorized(WixError):
    """The call carries no valid signature; the body never says which check failed."""

    def __init__(self) -> None:
        super().__init__(ErrorDetail("OTHER", "Unauthorized"), http_status=401)


class BodyTooLarge(WixError):
    """The body exceeds the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(ErrorDetail("OTHER", f"Request body exceeds {limit} bytes"), http_status=413)


@dataclass(frozen=True)
class ClaimRules:
    """How a token's claims are judged: whose app, how much clock skew, how long a token may live."""

    app_id: str
    leeway: int = 60
    max_lifetime: int = 86_400
    max_age: int = 600

    @classmethod
    def of(cls, settings: Settings) -> ClaimRules:
        """The rules the settings configure."""
        return cls(
            app_id=settings.wix_app_id,
            leeway=settings.jwt_leeway_seconds,
            max_lifetime=settings.envelope_max_lifetime_seconds,
            max_age=settings.envelope_max_age_seconds,
        )


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
    raw: bytes, headers: Mapping[str, str], *, public_key: RSAPublicKey, rules: ClaimRules, now: float | None = None
) -> Envelope:
    """Verify the call's signature and claims and return its request and metadata."""
    moment = time.time() if now is None else now
    digest_token = _digest_jwt(headers.get("digest"))
    if digest_token is not None:
        return _open_digest_style(raw, digest_token, public_key=public_key, rules=rules, now=moment)
    return _open_jwt_style(raw, public_key=public_key, rules=rules, now=moment)


def _no_extension_type() -> InvalidArgument:
    return InvalidArgument(
        "The envelope's 'metadata.appExtensionType' must be a string", field="metadata.appExtensionType"
    )


def _open_jwt_style(raw: bytes, *, public_key: RSAPublicKey, rules: ClaimRules, now: float) -> Envelope:
    claims = verify_token(token_of(raw), public_key=public_key, rules=rules, now=now, style="jwt")
    data = claims.get("data")
    if not isinstance(data, dict):
        raise InvalidArgument("The envelope's 'data' must be an object")
    envelope = _split(data, "jwt")
    if not isinstance(envelope.metadata.get("appExtensionType"), str):
        raise InvalidArgument(
            "The envelope's 'metadata.appExtensionType' must be a string", field="metadata.appExtensionType"
        )
    return envelope


def _open_digest_style(raw: bytes, token: str, *, public_key: RSAPublicKey, rules: ClaimRules, now: float) -> Envelope:
    claims = verify_token(token, public_key=public_key, rules=rules, now=now, style="digest")
    data = claims.get("data")
    expected = data.get("SHA256") if isinstance(data, dict) else None
    if not isinstance(expected, str):
        raise Unauthorized()
    actual = hashlib.sha256(raw).hexdigest()
    if not hmac.compare_digest(actual, expected.strip().lower()):
        raise Unauthorized()
    body = parse_json(raw, "The body")
    if not isinstance(body, dict):
        raise InvalidArgument("The body must be a JSON object")
    envelope = _split(body, "digest")
    if "appExtensionType" in envelope.metadata and not isinstance(envelope.metadata["appExtensionType"], str):
        raise InvalidArgument(
            "The envelope's 'metadata.appExtensionType' must be a string", field="metadata.appExtensionType"
        )
    return envelope


def parse_json(text: bytes | str, what: str) -> Any:
    """JSON that Wix signed: a 400 naming `what` when it is not JSON or nests too deep, never a RecursionError."""
    try:
        return loads_bounded(text)
    except TooDeep:
        raise InvalidArgument(f"{what} nests deeper than {MAX_JSON_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError):
        raise InvalidArgument(f"{what} is not valid JSON") from None


def verify_token(token: str, *, public_key: RSAPublicKey, rules: ClaimRules, now: float, style: str) -> dict[str, Any]:
    """The claims of an RS256 token whose signature and claims hold; Unauthorized otherwise.

    `style` is "jwt", "digest" or "webhook". The JWT-body style requires `iss == "wix.com"` and an
    `aud` naming the app (as the SDK's `parseJWT`); the others check them only when present. A
    token without `exp` is logged with its style.
    """
    strict_audience = style == "jwt"
    header = token.split(".", 1)[0]
    if json_depth(header) > MAX_JSON_DEPTH:
        raise Unauthorized()
    try:
        payload = jwt.api_jws.decode_complete(token, public_key, algorithms=ALGORITHMS)["payload"]
    except (jwt.PyJWTError, ValueError, TypeError):
        raise Unauthorized() from None
    claims = parse_json(payload, "The token's payload")
    if not isinstance(claims, dict):
        raise InvalidArgument("The token's payload must be a JSON object")
    if (strict_audience or "iss" in claims) and claims.get("iss") != ISSUER:
        raise Unauthorized()
    if (strict_audience or "aud" in claims) and not _audience_matches(claims.get("aud"), rules.app_id):
        raise Unauthorized()
    _check_times(claims, rules, now)
    if "exp" not in claims:
        log.warning("envelope.no_exp", style=style, has_iat="iat" in claims, has_nbf="nbf" in claims)
    return claims


def _check_times(claims: Mapping[str, Any], rules: ClaimRules, now: float) -> None:
    """`exp`/`nbf` when present (the SDK's rules) plus a bounded lifetime and, without `exp`, a bounded age."""
    times = {name: claims[name] for name in ("exp", "nbf", "iat") if name in claims}
    if not all(_is_time(value) for value in times.values()):
        raise Unauthorized()
    exp, nbf, iat = times.get("exp"), times.get("nbf"), times.get("iat")
    if exp is not None:
        if exp <= now - rules.leeway:
            raise Unauthorized()
        if exp - now > rules.max_lifetime + rules.leeway or (iat is not None and exp - iat > rules.max_lifetime):
            raise Unauthorized()
    if nbf is not None and nbf > now + rules.leeway:
        raise Unauthorized()
    if iat is not None and iat > now + rules.leeway:
        raise Unauthorized()  # issued in the future: without `exp` it would never age
    if exp is None and iat is not None and now - iat > rules.max_age + rules.leeway:
        raise Unauthorized()


def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def token_of(raw: bytes) -> str:
    """The compact JWT a body carries (ASCII, perhaps JSON-quoted); Unauthorized when it cannot be one."""
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise Unauthorized() from None
    if len(token) >= 2 and token[0] == token[-1] == '"':
        token = token[1:-1]  # some senders JSON-quote the token
    return token


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
