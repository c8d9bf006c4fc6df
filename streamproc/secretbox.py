"""Encrypt Halo client secrets at rest (Fernet, key from STREAMPROC_SECRET_KEY)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr


class SecretUnreadableError(ValueError):
    """A stored secret cannot be decrypted: the secret key changed since it was saved."""


class SecretBox:
    """Encrypts and decrypts client secrets; never logs or returns them in clear text."""

    def __init__(self, key: SecretStr) -> None:
        self._fernet = Fernet(key.get_secret_value())

    def encrypt(self, secret: str) -> str:
        """An opaque token to store in ``IntegrationConfig.client_secret_encrypted``."""
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> SecretStr:
        """The clear secret, wrapped so that repr/str do not show it."""
        try:
            return SecretStr(self._fernet.decrypt(token.encode()).decode())
        except InvalidToken:
            raise SecretUnreadableError(
                "the stored Halo client secret cannot be decrypted (was STREAMPROC_SECRET_KEY"
                " changed?):"
                " save the integration again with the client secret"
            ) from None
