"""SHA-512 crypt (``$6$``), the hash ari.conf's ``password_format = crypt`` checks with crypt(3).

Why our own: Python's ``crypt`` module is deprecated and gone in 3.13, and hashing one
password at render time does not justify a dependency. This follows Ulrich Drepper's
"Unix crypt using SHA-256 and SHA-512" specification, the one glibc and libxcrypt
implement; tests check it against the specification's vectors and ``openssl passwd -6``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

__all__ = ["sha512_crypt", "sha512_crypt_verify"]

_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DEFAULT_ROUNDS = 5000
_MIN_ROUNDS, _MAX_ROUNDS = 1000, 999_999_999
_SALT_MAX = 16
_HASH = re.compile(r"^\$6\$(?:rounds=(\d+)\$)?([^$]{0,16})\$([./0-9A-Za-z]{86})$")


def sha512_crypt(password: str, salt: str | None = None, rounds: int | None = None) -> str:
    """``$6$[rounds=N$]salt$hash`` for ``password``; a random 16-character salt by default."""
    if salt is None:
        salt = "".join(secrets.choice(_ALPHABET) for _ in range(_SALT_MAX))
    salt = salt[:_SALT_MAX]
    if "$" in salt or "\n" in salt:
        raise ValueError("a crypt salt cannot contain '$' or a newline")
    effective = DEFAULT_ROUNDS if rounds is None else min(max(rounds, _MIN_ROUNDS), _MAX_ROUNDS)
    digest = _digest(password.encode(), salt.encode(), effective)
    prefix = "$6$" if rounds is None else f"$6$rounds={effective}$"
    return f"{prefix}{salt}${_encode(digest)}"


def sha512_crypt_verify(password: str, hashed: str) -> bool:
    """Whether ``hashed`` (a ``$6$`` crypt string) is the hash of ``password``."""
    match = _HASH.match(hashed)
    if match is None:
        return False
    rounds = int(match.group(1)) if match.group(1) else None
    return hmac.compare_digest(sha512_crypt(password, match.group(2), rounds), hashed)


def _repeat(block: bytes, length: int) -> bytes:
    return (block * (length // len(block) + 1))[:length]


def _digest(password: bytes, salt: bytes, rounds: int) -> bytes:
    alternate = hashlib.sha512(password + salt + password).digest()
    context = hashlib.sha512(password + salt)
    context.update(_repeat(alternate, len(password)))
    length = len(password)
    while length:
        context.update(alternate if length & 1 else password)
        length >>= 1
    result = context.digest()

    p_bytes = _repeat(hashlib.sha512(password * len(password)).digest(), len(password))
    s_bytes = _repeat(hashlib.sha512(salt * (16 + result[0])).digest(), len(salt))

    for round_number in range(rounds):
        step = hashlib.sha512(p_bytes if round_number & 1 else result)
        if round_number % 3:
            step.update(s_bytes)
        if round_number % 7:
            step.update(p_bytes)
        step.update(result if round_number & 1 else p_bytes)
        result = step.digest()
    return result


def _encode(digest: bytes) -> str:
    # The specification's byte order: triples (i, i+21, i+42), rotated by i mod 3.
    out: list[str] = []
    for i in range(21):
        triple = (i, i + 21, i + 42)
        first, second, third = triple[i % 3 :] + triple[: i % 3]
        out.append(_b64(digest[first], digest[second], digest[third], 4))
    out.append(_b64(0, 0, digest[63], 2))
    return "".join(out)


def _b64(high: int, middle: int, low: int, count: int) -> str:
    word = (high << 16) | (middle << 8) | low
    chars = []
    for _ in range(count):
        chars.append(_ALPHABET[word & 0x3F])
        word >>= 6
    return "".join(chars)
