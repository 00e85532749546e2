"""ari.conf and http.conf from callrouter's ``ari`` settings, so both sides agree.

Mapping::

    ari.url  http://127.0.0.1:8088       http.conf [general] bindaddr=127.0.0.1 bindport=8088
             http://host:8088/asterisk   ... prefix=asterisk (ARI is then /asterisk/ari)
             https://host:8089           ... tlsenable=yes tlsbindaddr=host:8089
    ari.username / ari.password          ari.conf [username] type=user, read_only=no
    ari.app                              nothing to configure: the Stasis application
                                         exists while callrouter is connected

Option names are those of res_ari and main/http.c in Asterisk 20 and 22. Two choices
that matter:

- The password is written as a SHA-512 crypt hash (``password_format = crypt``) unless
  asked otherwise, so ari.conf holds no reusable secret. Rendering again reuses the hash
  already in the target ari.conf while it still matches, so a re-render changes nothing.
- ari.conf gets no per-user ``permit``/``deny``: only 20.19+ and 22.9+ know them, and
  older versions refuse the whole file over an unknown option. http.conf's ``[/ari]``
  ``type=restriction`` section is safe instead: versions before those ignore it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from callrouter.asterisk_conf import _comments as text
from callrouter.asterisk_conf._common import Part, PartResult, check_name, check_value
from callrouter.asterisk_conf._crypt import sha512_crypt, sha512_crypt_verify
from callrouter.asterisk_conf._syntax import ConfFile, Item, Section
from callrouter.config import AriSettings, Settings

__all__ = [
    "WEBSOCKET_WRITE_TIMEOUT_MS",
    "AriPasswordFormat",
    "HttpBind",
    "http_bind",
    "render_ari",
    "render_http",
]

# Asterisk's default of 100 ms drops the events WebSocket whenever callrouter stalls that
# long (a GC pause, a busy host), and events sent while it is down are lost for good.
WEBSOCKET_WRITE_TIMEOUT_MS = 1000
_PLAIN_PORT = 8088
_DEFAULT_PORTS = {"http": 80, "https": 443}


class AriPasswordFormat(StrEnum):
    CRYPT = "crypt"
    PLAIN = "plain"


@dataclass(frozen=True, slots=True)
class HttpBind:
    """Where Asterisk's HTTP server must listen for callrouter to reach ARI."""

    host: str  # as written in http.conf: an address, or a name Asterisk resolves
    port: int
    tls: bool
    prefix: str  # http.conf's prefix, without slashes; "" for none
    loopback: bool

    @property
    def ari_path(self) -> str:
        return f"/{self.prefix}/ari" if self.prefix else "/ari"


def http_bind(url: str) -> HttpBind:
    """Read ``ari.url``; ValueError says what is wrong with it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"{url!r} names no host")
    port = parts.port or _DEFAULT_PORTS[parts.scheme]  # .port raises ValueError if bad
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r} has a query or fragment; ARI's base URL takes neither")
    if host == "localhost":
        host = "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return HttpBind(host, port, parts.scheme == "https", parts.path.strip("/"), loopback)


def render_http(settings: Settings) -> PartResult:
    result = PartResult(Part.HTTP)
    try:
        bind = http_bind(settings.ari.url)
    except ValueError as exc:
        result.problem("ari.url", str(exc))
        return result
    result.blocks.append(text.HTTP_HEADER.format(url=settings.ari.url, ari_path=bind.ari_path))
    listen = [Item("enabled", "yes", comment=text.HTTP_ENABLED), *_listen(bind, result)]
    result.blocks.append(Section("general", listen))
    if not bind.prefix:
        result.blocks.append(text.HTTP_PREFIX_EXAMPLE)
    if not bind.tls:
        result.blocks.append(text.HTTP_TLS_EXAMPLE)
    if bind.loopback:
        result.blocks.append(text.HTTP_LOOPBACK_ACL)
        result.blocks.append(Section(bind.ari_path, list(_loopback_acl())))
    else:
        result.notes.append(
            f"ARI will listen on {bind.host}:{bind.port}, reachable from other machines: "
            "firewall it to callrouter's address" + ("" if bind.tls else ", and prefer https")
        )
    return result


def _listen(bind: HttpBind, result: PartResult) -> Iterator[Item]:
    if bind.prefix:
        if bind.prefix.rsplit("/", 1)[-1] == "ari":
            result.notes.append(
                f"ari.url ends in /{bind.prefix}: it should be the server's base URL; "
                "callrouter adds /ari itself"
            )
        yield Item("prefix", bind.prefix, comment=text.HTTP_PREFIX.format(ari_path=bind.ari_path))
    address = f"[{bind.host}]" if ":" in bind.host else bind.host
    if not bind.tls:
        where = text.HTTP_BIND_LOOPBACK if bind.loopback else text.HTTP_BIND_NETWORK
        yield Item("bindaddr", bind.host, comment=where)
        yield Item("bindport", str(bind.port))
        return
    if bind.port == _PLAIN_PORT:
        result.problem("ari.url", f"https on port {_PLAIN_PORT} collides with plain HTTP; use 8089")
    yield Item("bindaddr", "127.0.0.1", comment=text.HTTP_BIND_UNDER_TLS)
    yield Item("bindport", str(_PLAIN_PORT))
    yield Item("tlsenable", "yes", comment=text.HTTP_TLS)
    yield Item("tlsbindaddr", f"{address}:{bind.port}")
    yield Item("tlscertfile", "/etc/asterisk/keys/asterisk.crt")
    yield Item("tlsprivatekey", "/etc/asterisk/keys/asterisk.key")
    result.notes.append(
        "https: put the certificate and key at the tlscertfile/tlsprivatekey paths in "
        "http.conf, or change the paths"
    )


def _loopback_acl() -> Iterator[Item]:
    yield Item("type", "restriction")
    # Asterisk applies every matching rule in order and the last one wins.
    yield Item("deny", "0.0.0.0/0")
    yield Item("deny", "::/0")
    yield Item("permit", "127.0.0.0/8")
    yield Item("permit", "::1/128")


def render_ari(
    settings: Settings,
    password_format: AriPasswordFormat = AriPasswordFormat.CRYPT,
    existing: ConfFile | None = None,
) -> PartResult:
    """ari.conf; ``existing`` is the ari.conf being replaced, whose hash may be reused."""
    result = PartResult(Part.ARI)
    ari = settings.ari
    user = ari.username
    password = ari.password.get_secret_value()
    why = check_name(user, "ari.username")
    if why is None and user.lower() == "general":
        why = "ari.username cannot be 'general': ari.conf keeps its own settings under [general]"
    if why:
        result.problem("ari.username", why)
    why = check_value(password, "ari.password")
    if why:
        result.problem("ari.password", why)
    if result.problems:
        return result
    placeholder = _is_placeholder(password)
    if placeholder:
        result.notes.append(
            f"ari.password is the placeholder {password!r}: set a secret of your own "
            "(the sample callrouter.yml reads CALLROUTER_ARI_PASSWORD)"
        )
    general = [Item("enabled", "yes")] + [
        Item(key, value, comment=text.ARI_GENERAL[key])
        for key, value in (
            ("pretty", "no"),
            ("allowed_origins", ""),
            ("websocket_write_timeout", str(WEBSOCKET_WRITE_TIMEOUT_MS)),
        )
    ]
    result.blocks += [
        text.ARI_HEADER.format(username=user, app=ari.app),
        Section("general", general),
        text.ARI_USER,
        Section(
            user,
            [
                Item("type", "user"),
                Item("read_only", "no"),
                *_password(user, password, password_format, existing, placeholder=placeholder),
            ],
        ),
        text.ARI_PER_USER_ACL,
    ]
    return result


def _is_placeholder(password: str) -> bool:
    default = AriSettings().password.get_secret_value()
    return password == default or "change-me" in password.lower()


def _password(
    user: str,
    password: str,
    password_format: AriPasswordFormat,
    existing: ConfFile | None,
    *,
    placeholder: bool,
) -> Iterator[Item]:
    if password_format is AriPasswordFormat.PLAIN:
        why = text.ARI_PASSWORD_PLACEHOLDER if placeholder else text.ARI_PASSWORD_PLAIN
        yield Item("password_format", "plain", comment=why)
        yield Item("password", password)
        return
    yield Item("password_format", "crypt", comment=text.ARI_PASSWORD_CRYPT)
    yield Item("password", _reusable_hash(user, password, existing) or sha512_crypt(password))


def _reusable_hash(user: str, password: str, existing: ConfFile | None) -> str | None:
    if existing is None:
        return None
    for section in existing.objects(user, type="user"):
        hashed = section.get("password") or ""
        if section.get("password_format") == "crypt" and sha512_crypt_verify(password, hashed):
            return hashed
    return None
