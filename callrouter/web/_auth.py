"""Who may see the pages: wall screens with the API's tokens, operators with their own
secret. Pure functions and small value objects; the HTTP edge is ``api._pages``.

- **Wall screen.** ``/wallboard?token=<http.viewer_token or http.token>`` sets a cookie
  and redirects to ``/wallboard``: the token leaves the address bar (and the browser's
  history). The cookie holds an HMAC of the token, not the token: it cannot call the
  API, and it stops working when the token changes. It survives restarts. A tenant's
  token (``tenants.<id>.tokens``) opens that tenant's board the same way; its cookie
  stops working the moment a reload removes the token.
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
  (the viewer token's) reads the board and nothing else. A supervisor configured with
  a ``tenant``, or signed in with a tenant's token, has a session limited to that
  tenant (``<tenant>:<supervisor>.<expiry>.<HMAC>``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from callrouter.config import SupervisorSettings

__all__ = [
    "BOARD_COOKIE",
    "CENTER",
    "OPERATOR_COOKIE",
    "SESSION_TTL",
    "SUPERVISOR_COOKIE",
    "BoardViewer",
    "PageKeys",
    "SupervisorSession",
    "TenantTokens",
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


TenantTokens = Sequence[tuple[bytes, str]]
"""(token, tenant) of every tenant's token in force: ``api.TenantAccess.tokens``, read
again for each request so that a reload adds and removes them at once."""


@dataclass(frozen=True, slots=True)
class BoardViewer:
    """Whose board a page shows: the center's (``tenant`` None) or one tenant's."""

    tenant: str | None


CENTER = BoardViewer(None)


@dataclass(frozen=True, slots=True)
class SupervisorSession:
    supervisor: str
    # None: the center's supervisor (every call); else only that tenant's calls.
    tenant: str | None


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

    def _viewers(self, tenant_tokens: TenantTokens) -> list[tuple[bytes, BoardViewer]]:
        center = [(t, CENTER) for t in (self.token, self.viewer_token) if t is not None]
        return [*center, *((t, BoardViewer(tenant)) for t, tenant in tenant_tokens)]

    def _viewer_of_token(self, sent: bytes, tenant_tokens: TenantTokens) -> BoardViewer | None:
        found = None
        for token, viewer in self._viewers(tenant_tokens):  # every one: no timing hint
            if hmac.compare_digest(sent, token):
                found = viewer
        return found

    def board_cookie(self, given: str, tenant_tokens: TenantTokens = ()) -> str | None:
        """The cookie for a wall screen that showed ``given``, or None if it is no token."""
        if self._viewer_of_token(given.encode(), tenant_tokens) is None:
            return None
        return self._board_cookie_of(given.encode())

    def board_viewer(
        self, cookie: str | None, bearer: str | None, tenant_tokens: TenantTokens = ()
    ) -> BoardViewer | None:
        """Whose board the bearer token or the wall screen's cookie opens; None: none.
        A tenant's token opens its own board even where the API is open."""
        if bearer is not None:
            viewer = self._viewer_of_token(bearer.encode(), tenant_tokens)
            if viewer is not None:
                return viewer
        if cookie:
            for token, viewer in self._viewers(tenant_tokens):
                if hmac.compare_digest(cookie, self._board_cookie_of(token)):
                    return viewer
        return CENTER if self.open else None

    def is_supervisor(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(given.encode(), self.token)

    # -- operators and supervisors ---------------------------------------------------

    def _mac(self, role: str, user_id: str, expires: int, binding: str | None) -> str:
        # An operator's message has no label (sessions signed before supervisors
        # existed stay valid); ':' never occurs in an id, so no operator id forges one.
        label = "" if role == "operator" else f"{role}:"
        message = f"{label}{user_id}.{expires}.{binding or ''}".encode()
        return _b64(hmac.new(self.signing_key, message, hashlib.sha256).digest())

    def _session_cookie(self, role: str, user_id: str, binding: str | None, now: datetime) -> str:
        expires = int((now + SESSION_TTL).timestamp())
        return f"{user_id}.{expires}.{self._mac(role, user_id, expires, binding)}"

    def _session_of(
        self, role: str, cookie: str | None, bindings_of: Callable[[str], Iterable[str | None]],
        now: datetime,
    ) -> str | None:  # fmt: skip
        """The user of a valid session ``cookie``: signed for one of the bindings (the
        secret, the token) the user has now, and not expired."""
        if not cookie or cookie.count(".") < 2:
            return None
        # Ids may hold dots; the expiry and the MAC never do.
        user_id, expires_text, mac = cookie.rsplit(".", 2)
        if not expires_text.isdigit():
            return None
        expires = int(expires_text)
        matched = False
        for binding in bindings_of(user_id):  # every one compared: no timing hint
            matched |= hmac.compare_digest(mac, self._mac(role, user_id, expires, binding))
        if not matched or expires < now.timestamp():
            return None
        return user_id

    def operator_cookie(self, operator_id: str, secret_hash: str | None, now: datetime) -> str:
        return self._session_cookie("operator", operator_id, secret_hash, now)

    def operator_of(
        self, cookie: str | None, secret_hash_of: dict[str, str | None], now: datetime
    ) -> str | None:
        """The operator whose valid session ``cookie`` is, else None (forged, expired,
        or for an operator no longer configured or whose secret changed)."""

        def bindings(operator_id: str) -> list[str | None]:
            return [secret_hash_of[operator_id]] if operator_id in secret_hash_of else []

        return self._session_of("operator", cookie, bindings, now)

    def supervisor_cookie(
        self, supervisor: str, secret_hash: str | None, now: datetime, *,
        tenant: str | None = None, tenant_token: bytes | None = None,
    ) -> str:  # fmt: skip
        """``secret_hash``: the configured supervisor's, None for one who signed in
        with ``http.token`` and is not configured. ``tenant_token``: the tenant's token
        they signed in with (the session ends with it)."""
        binding = _token_binding(tenant_token) if tenant_token is not None else secret_hash
        return self._session_cookie("supervisor", _scoped(tenant, supervisor), binding, now)

    def supervisor_of(
        self, cookie: str | None, configured: Mapping[str, SupervisorSettings], now: datetime,
        tenant_tokens: TenantTokens = (),
    ) -> SupervisorSession | None:  # fmt: skip
        """The supervisor whose valid session ``cookie`` is, and the tenant it is
        limited to; else None. A supervisor not ``configured`` signed in with
        ``http.token`` (their session ends with that token, which derives the signing
        key, or once they are configured) or with a tenant's token (it ends when that
        token is removed). A configured one's session ends when their secret or their
        tenant changes."""

        def bindings(user_id: str) -> list[str | None]:
            tenant, supervisor = _unscoped(user_id)
            config = configured.get(supervisor)
            found: list[str | None] = []
            if config is not None and config.tenant == tenant:
                found.append(config.panel_secret_hash)
            elif config is None and tenant is None:
                found.append(None)
            if tenant is not None:
                found += [_token_binding(t) for t, owner in tenant_tokens if owner == tenant]
            return found

        user_id = self._session_of("supervisor", cookie, bindings, now)
        if user_id is None:
            return None
        tenant, supervisor = _unscoped(user_id)
        return SupervisorSession(supervisor=supervisor, tenant=tenant)


def _scoped(tenant: str | None, supervisor: str) -> str:
    # Neither a tenant id nor a supervisor's id holds ':'.
    return supervisor if tenant is None else f"{tenant}:{supervisor}"


def _unscoped(user_id: str) -> tuple[str | None, str]:
    tenant, colon, supervisor = user_id.partition(":")
    return (tenant, supervisor) if colon else (None, user_id)


def _token_binding(token: bytes) -> str:
    # Inside the signed message only, never in the cookie.
    return "token:" + hashlib.sha256(token).hexdigest()
