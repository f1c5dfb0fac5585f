"""Bech32 addresses (BIP-173, the original checksum), as Cairn shows them: `cairn1...` over 20 bytes."""

from __future__ import annotations

import hashlib

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _to_5bit(data: bytes) -> list[int]:
    acc, bits, out = 0, 0, []
    for b in data:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def encode(data: bytes, hrp: str = "cairn") -> str:
    values = _to_5bit(data)
    polymod = _polymod(_hrp_expand(hrp) + values + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in values + checksum)


def address_of_public_key(public_key_hex: str) -> str:
    """The account address of an Ed25519 public key: the first 20 bytes of its SHA-256."""
    return encode(hashlib.sha256(bytes.fromhex(public_key_hex)).digest()[:20])


def address_of_seed(label: str) -> str:
    """A fresh address nobody holds a key for (recipient of a test client's transfers)."""
    return encode(hashlib.sha256(("cairn/netns/" + label).encode()).digest()[:20])
