"""Who may see the pages: wall screens with the API's tokens, operators with their own
secret. Pure functions and small value objects; the HTTP edge is ``api._pages``.

- **Wall screen.** ``/wallboard?token=<http.viewer_token or http.token>`` sets a cookie
  and redirects to ``/wallboard``: the token leaves the address bar (and the browser's
  history). The cookie holds an HMAC of the token, not the token: it cannot call the
  API, and it stops working when the token changes. It survives restarts.
- **Operator.** An operator logs into their own panel with their id and the secret
  whose hash is ``operators.<id>.panel_secret_hash`` (PBKDF2-SHA256, printed by
  ``callrouter operators panel-secret``). ``http.token`` also opens any operator's
  panel (a supervisor). With no ``http.token`` (the API is open, on loopback) an
  operator without a configured secret gets in without one, as the API lets anyone.
  The session cookie is ``<operator>.<expiry>.<HMAC>``, signed with a key derived from
  ``http.token`` (a random one when there is none) and the operator's secret hash, so
  changing the secret ends their sessions.
- **Supervisor.** A supervisor signs into the wallboard (``/wallboard/supervisor``) with
  their id and ``http.token``, or the secret whose hash is
  ``supervisors.<id>.panel_secret_hash``. Their session cookie is signed as an
  operator's is, under its own label (an operator's session is no supervisor's), and
  is the only thing that lets the wallboard start monitoring: a wall screen's cookie
  (the viewer token's) reads the board and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "BOARD_COOKIE",
    "OPERATOR_COOKIE",
    "SESSION_TTL",
    "SUPERVISOR_COOKIE",
    "PageKeys",
    "hash_secret",
    "verify_secret",
]

BOARD_COOKIE = "callrouter_board"
OPERATOR_COOKIE = "callrouter_operator"
SUPERVISOR_COOKIE = "callrouter_supervisor"
SESSION_TTL = timedelta(hours=12)
"""An operator's session lasts a long shift; then they log in again."""
HASH_ITERATIONS = 200_000
_SCHEME = "pbkdf2_sha256"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(
    secret: str, *, iterations: int = HASH_ITERATIONS, salt: bytes | None = None
) -> str:
    """The line for ``panel_secret_hash``: ``pbkdf2_sha256$<iterations>$<salt>$<hash>``."""
    if not secret:
        raise ValueError("an empty secret guards nothing")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations)
    return f"{_SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """Whether ``secret`` matches ``encoded`` (slow on purpose: run it off the loop)."""
    try:
        scheme, iterations, salt, digest = encoded.split("$")
        if scheme != _SCHEME:
            return False
        computed = hashlib.pbkdf2_hmac("sha256", secret.encode(), _unb64(salt), int(iterations))
        return hmac.compare_digest(computed, _unb64(digest))
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class PageKeys:
    """The tokens of ``http`` and the key that signs operators' sessions."""

    token: bytes | None = field(repr=False)
    viewer_token: bytes | None = field(repr=False)
    signing_key: bytes = field(repr=False, default_factory=lambda: secrets.token_bytes(32))

    @classmethod
    def from_tokens(cls, token: bytes | None, viewer_token: bytes | None) -> PageKeys:
        if token is None:
            return cls(token=None, viewer_token=viewer_token)
        key = hmac.new(token, b"callrouter operator panel sessions", hashlib.sha256).digest()
        return cls(token=token, viewer_token=viewer_token, signing_key=key)

    @property
    def open(self) -> bool:
        """No token: the API (and so the pages) is open to whoever reaches it."""
        return self.token is None

    # -- wall screens ------------------------------------------------------------------

    @staticmethod
    def _board_cookie_of(token: bytes) -> str:
        return hmac.new(token, b"callrouter wallboard", hashlib.sha256).hexdigest()

    def board_cookie(self, given: str) -> str | None:
        """The cookie for a wall screen that showed ``given``, or None if it is no token."""
        sent = given.encode()
        for token in (self.token, self.viewer_token):
            if token is not None and hmac.compare_digest(sent, token):
                return self._board_cookie_of(token)
        return None

    def board_allowed(self, cookie: str | None, bearer: str | None) -> bool:
        if self.open:
            return True
        if bearer is not None and self.board_cookie(bearer) is not None:
            return True
        if not cookie:
            return False
        return any(
            token is not None and hmac.compare_digest(cookie, self._board_cookie_of(token))
            for token in (self.token, self.viewer_token)
        )

    def is_supervisor(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(given.encode(), self.token)

    # -- operators and supervisors ---------------------------------------------------

    def _mac(self, role: str, user_id: str, expires: int, secret_hash: str | None) -> str:
        # An operator's message has no label (sessions signed before supervisors
        # existed stay valid); ':' never occurs in an id, so no operator id forges one.
        label = "" if role == "operator" else f"{role}:"
        message = f"{label}{user_id}.{expires}.{secret_hash or ''}".encode()
        return _b64(hmac.new(self.signing_key, message, hashlib.sha256).digest())

    def _session_cookie(
        self, role: str, user_id: str, secret_hash: str | None, now: datetime
    ) -> str:
        expires = int((now + SESSION_TTL).timestamp())
        return f"{user_id}.{expires}.{self._mac(role, user_id, expires, secret_hash)}"

    def _session_of(
        self, role: str, cookie: str | None, secret_hash_of: Callable[[str], str | None],
        now: datetime,
    ) -> str | None:  # fmt: skip
        if not cookie or cookie.count(".") < 2:
            return None
        # Ids may hold dots; the expiry and the MAC never do.
        user_id, expires_text, mac = cookie.rsplit(".", 2)
        if not expires_text.isdigit():
            return None
        expires = int(expires_text)
        try:
            expected = self._mac(role, user_id, expires, secret_hash_of(user_id))
        except KeyError:
            return None  # no longer configured
        if not hmac.compare_digest(mac, expected) or expires < now.timestamp():
            return None
        return user_id

    def operator_cookie(self, operator_id: str, secret_hash: str | None, now: datetime) -> str:
        return self._session_cookie("operator", operator_id, secret_hash, now)

    def operator_of(
        self, cookie: str | None, secret_hash_of: dict[str, str | None], now: datetime
    ) -> str | None:
        """The operator whose valid session ``cookie`` is, else None (forged, expired,
        or for an operator no longer configured or whose secret changed)."""
        return self._session_of("operator", cookie, secret_hash_of.__getitem__, now)

    def supervisor_cookie(self, supervisor: str, secret_hash: str | None, now: datetime) -> str:
        """``secret_hash``: the configured supervisor's, None for one who signed in
        with ``http.token`` and is not configured."""
        return self._session_cookie("supervisor", supervisor, secret_hash, now)

    def supervisor_of(
        self, cookie: str | None, secret_hash_of: dict[str, str | None], now: datetime
    ) -> str | None:
        """The supervisor whose valid session ``cookie`` is, else None. A supervisor
        not in ``secret_hash_of`` signed in with ``http.token``: their session ends
        with that token (it derives the signing key) or once a secret is configured
        for them."""
        return self._session_of("supervisor", cookie, lambda who: secret_hash_of.get(who), now)
