"""A stand-in for Wix's signing key: builds SPI envelopes exactly as Wix sends them."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    """The PEM text of a key's public half."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class TestSigner:
    """Signs SPI calls (RS256) with its own key, for one app id."""

    __test__ = False  # not a test class, despite the name

    app_id: str
    key: rsa.RSAPrivateKey = field(default_factory=new_rsa_key)

    @property
    def public_pem(self) -> str:
        """The public key posbridge is configured with."""
        return public_pem(self.key)

    @property
    def public_pem_base64(self) -> str:
        """The public key as one-line base64 of the PEM."""
        return base64.b64encode(self.public_pem.encode()).decode()

    def metadata(self, instance_id: str, **overrides: Any) -> dict[str, Any]:
        """Envelope metadata as Wix sends it."""
        meta: dict[str, Any] = {
            "requestId": uuid.uuid4().hex,
            "instanceId": instance_id,
            "currency": "USD",
            "languages": ["en-US"],
            "identity": {"identityType": "APP", "appId": self.app_id},
            "appExtensionType": "RESTAURANTS_POS",
        }
        meta.update(overrides)
        return meta

    def claims(self, request: dict[str, Any], metadata: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        """The decoded payload of an SPI envelope."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "data": {"request": request, "metadata": metadata},
            "iss": "wix.com",
            "aud": self.app_id,
            "iat": now,
            "exp": now + 300,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None) -> str:
        """A compact RS256 JWT of these claims."""
        return jwt.encode(claims, key or self.key, algorithm="RS256")

    def envelope(self, request: dict[str, Any], instance_id: str, **claim_overrides: Any) -> str:
        """The body Wix POSTs: one JWT."""
        return self.sign(self.claims(request, self.metadata(instance_id), **claim_overrides))

    def digest_style(self, body: dict[str, Any], *, exp_in: int = 300) -> tuple[bytes, str]:
        """The older style: a JSON body plus `Digest: JWT=…` over its SHA-256."""
        raw = json.dumps(body).encode()
        now = int(time.time())
        token = self.sign(
            {
                "data": {"SHA256": hashlib.sha256(raw).hexdigest()},
                "iat": now,
                "exp": now + exp_in,
                "iss": "wix.com",
                "aud": self.app_id,
            }
        )
        return raw, f"JWT={token}"
