"""RS256 signing as Wix does it (SPI envelopes, webhooks) plus variants for tests (mostly broken ones)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from wixsim.clock import now

VARIANTS = (
    "valid",
    "tampered",
    "expired",
    "wrong_aud",
    "wrong_iss",
    "unsigned",
    "wrong_key",
    "no_exp",
    "future_iat",
)
"""Envelope variants: `valid` is what Wix sends. `no_exp` is a fresh token without `exp`, which Wix's SDK
(and posbridge, docs/decisions.md) accepts: it tests that a provider does not require `exp`. The others
must all be refused by a provider."""

TOKEN_LIFETIME_SECONDS = 300


def generate_key_pair() -> tuple[str, str]:
    """A fresh 2048-bit RSA key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def public_key_of(private_pem: str) -> str:
    """The public PEM matching a private PEM."""
    return (
        load_private_key(private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@lru_cache(maxsize=16)
def load_private_key(private_pem: str) -> rsa.RSAPrivateKey:
    """The key object for a PEM (cached: loading checks the key and is slow)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError(f"Wix signs RS256: an RSA key is needed, not {type(key).__name__}")
    return key


_OTHER_KEY: list[str] = []


def _other_private_key() -> str:
    if not _OTHER_KEY:
        _OTHER_KEY.append(generate_key_pair()[0])
    return _OTHER_KEY[0]


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(
    payload: dict[str, Any],
    private_pem: str,
    *,
    app_id: str | None,
    variant: str = "valid",
    with_iss: bool = True,
) -> str:
    """Sign `payload` (plus iss/aud/iat/exp claims) as a compact RS256 JWT, broken as `variant` says."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    issued = int(now())
    claims: dict[str, Any] = dict(payload)
    if with_iss:
        claims["iss"] = "wix.com"
    if app_id is not None:
        claims["aud"] = app_id
    claims["iat"] = issued
    claims["exp"] = issued + TOKEN_LIFETIME_SECONDS
    key = private_pem
    if variant == "expired":
        claims["iat"] = issued - 3600
        claims["exp"] = issued - 1800
    elif variant == "wrong_aud":
        claims["aud"] = "00000000-0000-0000-0000-000000000000"
    elif variant == "wrong_iss":
        claims["iss"] = "evil.example"
    elif variant == "no_exp":
        del claims["exp"]
    elif variant == "future_iat":
        claims["iat"] = issued + 3600
        claims["exp"] = issued + 7200
    elif variant == "wrong_key":
        key = _other_private_key()
    if variant == "unsigned":
        # PyJWT annotates `key` without None, yet alg "none" requires exactly None.
        return jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    token = jwt.encode(claims, load_private_key(key), algorithm="RS256")
    if variant == "tampered":
        token = _tamper(token)
    return token


def _tamper(token: str) -> str:
    """Change the payload after signing (the signature no longer matches)."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded["tampered"] = secrets.token_hex(4)
    return ".".join([header, b64url(json.dumps(decoded, separators=(",", ":")).encode()), signature])


def digest_jwt(body: bytes, private_pem: str, *, app_id: str, variant: str = "valid") -> str:
    """The older Digest-header style: a JWT whose payload is {"data": {"SHA256": hex sha256 of body}}."""
    digest = hashlib.sha256(body).hexdigest()
    if variant == "digest_mismatch":
        digest = hashlib.sha256(body + b" ").hexdigest()
        variant = "valid"
    return sign({"data": {"SHA256": digest}}, private_pem, app_id=app_id, variant=variant)
