"""SHA-512 crypt: the specification's vectors, and agreement with OpenSSL."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callrouter.asterisk_conf import sha512_crypt, sha512_crypt_verify

# From Drepper's "Unix crypt using SHA-256 and SHA-512", which glibc implements.
VECTORS = [
    (
        "Hello world!",
        "saltstring",
        None,
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbY"
        "EdFCoEOfaS35inz1",
    ),
    (
        "Hello world!",
        "saltstringsaltstring",
        10000,
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0"
        "Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
    ),
    (
        "we have a short salt string but not a short password",
        "short",
        77777,
        "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeO"
        "xFmtlcGZelFl5CxtgfiAc0",
    ),
    (
        "This is just a test",
        "toolongsaltstring",
        5000,
        "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZx"
        "Uhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0",
    ),
]


@pytest.mark.parametrize(("password", "salt", "rounds", "expected"), VECTORS)
def test_specification_vectors(password: str, salt: str, rounds: int | None, expected: str) -> None:
    assert sha512_crypt(password, salt, rounds) == expected
    assert sha512_crypt_verify(password, expected)


def test_random_salt_differs_and_verifies() -> None:
    first, second = sha512_crypt("secret"), sha512_crypt("secret")
    assert first != second
    assert len(first.split("$")[2]) == 16
    assert sha512_crypt_verify("secret", first) and sha512_crypt_verify("secret", second)
    assert not sha512_crypt_verify("Secret", first)


@pytest.mark.parametrize("hashed", ["", "secret", "$5$abc$def", "$6$salt$tooshort", "$6$a$b$c"])
def test_verify_rejects_what_is_not_a_sha512_crypt(hashed: str) -> None:
    assert not sha512_crypt_verify("secret", hashed)


def test_salt_with_dollar_is_refused() -> None:
    with pytest.raises(ValueError, match="salt"):
        sha512_crypt("secret", "a$b")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
@settings(max_examples=25, deadline=None)
@given(
    password=st.text(
        st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80
    ).filter(lambda p: not p.startswith("-")),
    salt=st.text(
        "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=16
    ),
)
def test_agrees_with_openssl(password: str, salt: str) -> None:
    expected = subprocess.run(
        ["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert sha512_crypt(password, salt) == expected
