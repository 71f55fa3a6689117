"""AES-GCM payload encryption for every Temporal payload (inputs, results, queries, memos, failures' details): the
active key encrypts, every configured key decrypts, and a payload without the encryption marker passes through."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from client.converter import DATA_CONVERTER
from client.payload_keys import KEYS_ENV, KEYS_FILE_ENV, PayloadKeys

# The metadata of Temporal's encryption samples (Go, TypeScript, Python): the same tools read both.
ENCODING = b"binary/encrypted"
KEY_ID_HEADER = "encryption-key-id"
NONCE_BYTES = 12
TAG_BYTES = 16


class PayloadDecryptError(Exception):
    """An encrypted payload cannot be decrypted; the message names the key id and the settings to check."""


class EncryptionCodec(PayloadCodec):
    """Encrypts each payload (its whole serialized form, metadata included) as nonce || AES-GCM ciphertext."""

    def __init__(self, keys: PayloadKeys) -> None:
        super().__init__()
        self.keys = keys
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id = self.keys.active_id
        cipher = self._ciphers[key_id]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = nonce + cipher.encrypt(nonce, payload.SerializeToString(), None)
            encoded.append(Payload(metadata={"encoding": ENCODING, KEY_ID_HEADER: key_id.encode()}, data=sealed))
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(payload) if is_encrypted(payload) else payload for payload in payloads]

    def _decrypt(self, payload: Payload) -> Payload:
        key_id = payload.metadata.get(KEY_ID_HEADER, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptError(
                f"a payload is encrypted with key id {key_id[:64]!r}, which is not configured (configured: "
                f"{', '.join(self.keys.ids)}). Add that key to {KEYS_ENV} / {KEYS_FILE_ENV} after the active one: "
                "old keys stay until no open workflow holds payloads encrypted with them."
            )
        try:
            if len(payload.data) < NONCE_BYTES + TAG_BYTES:
                raise InvalidTag
            return Payload.FromString(cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], None))
        except (InvalidTag, DecodeError):
            raise PayloadDecryptError(
                f"a payload encrypted with key id {key_id!r} failed authentication: it was altered, or the key "
                f"configured under {key_id!r} is not the one it was encrypted with ({self.keys.source})."
            ) from None


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


def data_converter(keys: PayloadKeys | None) -> DataConverter:
    """The product's data converter (client.converter); with keys, every payload is encrypted, and so are failure
    messages and stack traces (they may quote a csv_uri)."""
    if keys is None:
        return DATA_CONVERTER
    return dataclasses.replace(
        DATA_CONVERTER,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
