"""Asterisk's side of callrouter's configuration: render it, check it, read its syntax.

``render`` turns callrouter's Settings into the pjsip.conf operators, ari.conf and
http.conf that must agree with it, so the two never drift; ``conf_placeholders`` and
``yaml_placeholders`` find the sample values a sysadmin has not replaced yet;
``parse``/``parse_file`` read Asterisk config files (the shipped samples, an ari.conf
being replaced).
"""

from callrouter.asterisk_conf._ari_http import AriPasswordFormat, HttpBind, http_bind
from callrouter.asterisk_conf._check import Placeholder, conf_placeholders, yaml_placeholders
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
    "Placeholder",
    "RenderedFile",
    "Rendering",
    "Section",
    "conf_placeholders",
    "format_sections",
    "http_bind",
    "parse",
    "parse_file",
    "password_env_var",
    "render",
    "sha512_crypt",
    "sha512_crypt_verify",
    "yaml_placeholders",
]
