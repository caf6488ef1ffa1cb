"""POS credentials encrypted at rest, and hashed POS API keys.

Credentials are sealed with Fernet (AES-128-CBC + HMAC-SHA256, authenticated) under a key derived
from `settings.secret_key` with HKDF, so the operator configures one secret and a database dump
alone reveals nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Domain separation: a key derived for credentials is never the key of anything else.
_CREDENTIALS_INFO = b"posbridge/pos-credentials/v1"


class CredentialsError(Exception):
    """Stored credentials cannot be opened (wrong secret key, or tampered data)."""


class CredentialBox:
    """Seals and opens POS credentials with a key derived from the operator's secret key."""

    def __init__(self, secret_key: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CREDENTIALS_INFO).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def __repr__(self) -> str:
        return "CredentialBox(<secret>)"

    def seal(self, plaintext: str) -> bytes:
        """Encrypt credentials for storage."""
        return self._fernet.encrypt(plaintext.encode())

    def open(self, sealed: bytes) -> str:
        """Decrypt stored credentials; raise `CredentialsError` if they were not sealed with this key."""
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken as exc:
            raise CredentialsError("stored POS credentials cannot be decrypted with this secret key") from exc


def hash_api_key(api_key: str) -> str:
    """The stored form of a POS API key (keys are long random tokens, so one SHA-256 suffices)."""
    return "sha256$" + hashlib.sha256(api_key.encode()).hexdigest()


def api_key_matches(api_key: str, stored_hash: str) -> bool:
    """True when `api_key` is the key `stored_hash` was made from (constant-time comparison)."""
    return hmac.compare_digest(hash_api_key(api_key), stored_hash)
