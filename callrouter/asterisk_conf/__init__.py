"""Asterisk's side of callrouter's configuration: render it, and read Asterisk's syntax.

``render`` turns callrouter's Settings into the pjsip.conf operators, ari.conf and
http.conf that must agree with it, so the two never drift; ``parse``/``parse_file``
read Asterisk config files (the shipped samples, an ari.conf being replaced).
"""

from callrouter.asterisk_conf._ari_http import AriPasswordFormat, HttpBind, http_bind
from callrouter.asterisk_conf._common import Part
from callrouter.asterisk_conf._crypt import sha512_crypt, sha512_crypt_verify
from callrouter.asterisk_conf._pjsip import (
    AOR_TEMPLATE,
    AUTH_TEMPLATE,
    ENDPOINT_TEMPLATE,
    PASSWORD_PLACEHOLDER,
    password_env_var,
)
from callrouter.asterisk_conf._render import RenderedFile, Rendering, render
from callrouter.asterisk_conf._syntax import (
    ConfFile,
    ConfSyntaxError,
    Directive,
    Item,
    Section,
    format_sections,
    parse,
    parse_file,
)

__all__ = [
    "AOR_TEMPLATE",
    "AUTH_TEMPLATE",
    "ENDPOINT_TEMPLATE",
    "PASSWORD_PLACEHOLDER",
    "AriPasswordFormat",
    "ConfFile",
    "ConfSyntaxError",
    "Directive",
    "HttpBind",
    "Item",
    "Part",
    "RenderedFile",
    "Rendering",
    "Section",
    "format_sections",
    "http_bind",
    "parse",
    "parse_file",
    "password_env_var",
    "render",
    "sha512_crypt",
    "sha512_crypt_verify",
]
