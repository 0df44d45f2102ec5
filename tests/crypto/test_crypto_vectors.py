"""Frozen test vectors: the stored formats (field ciphertext, wrapped data keys, blind indexes, HKDF) cannot drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from diversion.crypto.aead import FieldCipher, FieldContext, decrypt_field, encrypt_field
from diversion.crypto.blind import blind_index, name_dob_index, normalise_text, normalise_urn, urn_index
from diversion.crypto.datakeys import WRAP_PURPOSE, unwrap_data_key, wrap_data_key
from diversion.crypto.keys import KeyRing, MasterKey, derive_key

VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "vectors.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("vector", VECTORS["hkdf"], ids=lambda v: f"{v['master_key_id']}-{v['purpose']}")
def test_hkdf_derive_key(vector: dict[str, Any]) -> None:
    master = MasterKey(vector["master_key_id"], bytes.fromhex(vector["master_key_hex"]))
    assert derive_key(master, vector["purpose"]).hex() == vector["expected_hex"]
    assert KeyRing([master]).derived(vector["purpose"]).hex() == vector["expected_hex"]


@pytest.mark.parametrize("vector", VECTORS["encrypt_field"], ids=lambda v: v["context"]["column"])
def test_encrypt_field(vector: dict[str, Any]) -> None:
    key = bytes.fromhex(vector["key_hex"])
    context = FieldContext(**vector["context"])
    nonce = bytes.fromhex(vector["nonce_hex"])
    plaintext = vector["plaintext"].encode("utf-8")
    blob = encrypt_field(key, vector["key_id"], plaintext, context, nonce=nonce)
    assert blob.hex() == vector["expected_hex"]
    assert FieldCipher(key, vector["key_id"]).encrypt(plaintext, context, nonce=nonce) == blob
    assert decrypt_field(bytes.fromhex(vector["expected_hex"]), lambda _kid: key, context) == plaintext


@pytest.mark.parametrize("vector", VECTORS["wrap_data_key"], ids=lambda v: v["master_key_id"])
def test_wrap_data_key(vector: dict[str, Any]) -> None:
    master = MasterKey(vector["master_key_id"], bytes.fromhex(vector["master_key_hex"]))
    wrapping_key = derive_key(master, WRAP_PURPOSE)
    data_key = bytes.fromhex(vector["data_key_hex"])
    nonce = bytes.fromhex(vector["nonce_hex"])
    wrapped = wrap_data_key(wrapping_key, data_key, vector["client_id"], master.id, nonce=nonce)
    assert wrapped.hex() == vector["expected_hex"]
    assert unwrap_data_key(wrapping_key, bytes.fromhex(vector["expected_hex"]), vector["client_id"], master.id) == (
        data_key
    )


@pytest.mark.parametrize("vector", VECTORS["blind_index"], ids=lambda v: f"{'|'.join(v['parts'])}-{v['bits']}")
def test_blind_index(vector: dict[str, Any]) -> None:
    key = bytes.fromhex(vector["key_hex"])
    assert blind_index(key, *vector["parts"], bits=vector["bits"]).hex() == vector["expected_hex"]


@pytest.mark.parametrize("vector", VECTORS["name_dob_index"], ids=lambda v: v["family_name"])
def test_name_dob_index(vector: dict[str, Any]) -> None:
    key = bytes.fromhex(vector["key_hex"])
    value = name_dob_index(key, vector["family_name"], vector["date_of_birth"], vector["bits"])
    assert value.hex() == vector["expected_hex"]


@pytest.mark.parametrize("vector", VECTORS["urn_index"], ids=lambda v: v["urn"])
def test_urn_index(vector: dict[str, Any]) -> None:
    assert urn_index(bytes.fromhex(vector["key_hex"]), vector["urn"]).hex() == vector["expected_hex"]


@pytest.mark.parametrize("vector", VECTORS["normalise_text"], ids=lambda v: v["input"] or "empty")
def test_normalise_text_frozen(vector: dict[str, str]) -> None:
    assert normalise_text(vector["input"]) == vector["expected"]


@pytest.mark.parametrize("vector", VECTORS["normalise_urn"], ids=lambda v: v["input"])
def test_normalise_urn_frozen(vector: dict[str, str]) -> None:
    assert normalise_urn(vector["input"]) == vector["expected"]


def test_vectors_cover_every_format() -> None:
    expected = {"hkdf", "encrypt_field", "wrap_data_key", "blind_index", "name_dob_index", "urn_index"}
    assert expected <= VECTORS.keys()
    assert any(v["bits"] is None for v in VECTORS["blind_index"])
    assert any(v["bits"] is not None and v["bits"] % 8 for v in VECTORS["blind_index"])
