"""Chat ids kept only to deliver a message later, stored encrypted.

A private chat's id is the user's Telegram id: stored in clear beside the pseudonymous
`user_key`, it would let anyone who can read the database reverse every pseudonym without
the key file. `ChatSeal` encrypts a chat id with AES-256-GCM under a key derived (HKDF-SHA256)
from the database's secret in `<db>.key`; each sealed value has its own random nonce, so
equal ids do not even look equal. The table name is authenticated with it: a value copied
into another table does not open.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"
_INFO = b"faq-bot: chat ids kept for delivery, v1"


class SealError(Exception):
    """A sealed chat id does not open with this key (another key file, or altered)."""


class ChatSeal:
    def __init__(self, secret: bytes):
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, chat_id: int, table: str) -> str:
        nonce = os.urandom(12)
        box = self._aead.encrypt(nonce, str(int(chat_id)).encode(), table.encode())
        return PREFIX + base64.b64encode(nonce + box).decode("ascii")

    def open(self, sealed: str, table: str) -> int:
        if not isinstance(sealed, str) or not sealed.startswith(PREFIX):
            raise SealError(f"not a sealed chat id in {table}")
        try:
            raw = base64.b64decode(sealed[len(PREFIX) :])
            return int(self._aead.decrypt(raw[:12], raw[12:], table.encode()))
        except (InvalidTag, ValueError) as exc:
            raise SealError(f"a chat id in {table} does not open with this key file") from exc

    def seal_sql(self, chat_id: int | None, table: str) -> str | None:
        """For SQL (`seal_chat_id(chat_id, 'notify')`), used by the migration."""
        return None if chat_id is None else self.seal(chat_id, table)
