"""structlog set up once, in ``main``: JSON lines off a terminal, readable on one.

Three guards keep secrets out of logs whatever a caller passes:

- values under keys that name a secret (``password``, ``token``, ``dsn``, ...) are masked;
- credentials are masked where they stand as credentials in any string: a URL's
  userinfo password (``postgresql://user:***@host``), ``api_key=`` / ``password=`` /
  ``token=`` / ``secret=`` pairs, and ``Bearer`` / ``Basic`` credentials;
- every secret registered with :func:`register_secret` (the ARI password, the HTTP
  token, DSN passwords) is scrubbed from any string, except a secret that is also a
  public name registered with :func:`register_public` (an ARI password equal to the
  application name): scrubbing that everywhere would turn every line that names the
  application into ``***``, so such a secret is masked in credential positions only.
  ``callrouter check-config`` warns about that configuration.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import structlog

__all__ = ["configure_logging", "mask_credentials", "redact", "register_public", "register_secret"]

_SECRET_KEY = re.compile(r"pass(word)?|secret|token|api_key|authorization|dsn", re.IGNORECASE)
_MASK = "***"
# Each pattern's first group is what stays; the credential after it is masked.
_CREDENTIALS = (
    # scheme://user:PASSWORD@host
    re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+(?=@)"),
    # api_key=..., password: "...", "token": "..." (query strings, kv pairs, JSON)
    re.compile(
        r"""(\b(?:api_key|apikey|password|passwd|pwd|token|secret)["']?\s*[:=]\s*["']?)"""
        r"""[^\s"'&,;}]+""",
        re.IGNORECASE,
    ),
    # Authorization: Bearer ... / Basic ...
    re.compile(r"(\b(?:Bearer|Basic|Digest)\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
)
# Every credential pattern above needs one of these: a string without any (a call id,
# a queue name: nearly every value of every line) skips the three substitutions.
_MAYBE_CREDENTIAL = re.compile(
    r"://|api_?key|passw|pwd|token|secret|bearer|basic|digest", re.IGNORECASE
)
_MIN_SECRET_CHARS = 3

_secrets: set[str] = set()
_public: set[str] = set()


def register_secret(value: str | None) -> None:
    """Scrub this exact value from every log line from now on."""
    if value and len(value) >= _MIN_SECRET_CHARS:
        _secrets.add(value)


def register_public(*names: str | None) -> None:
    """Names that must stay readable (the ARI application, its user): see the module."""
    _public.update(name for name in names if name)


def mask_credentials(text: str) -> str:
    """``text`` with every credential in a credential position replaced by ``***``."""
    if _MAYBE_CREDENTIAL.search(text) is None:
        return text
    for pattern in _CREDENTIALS:
        text = pattern.sub(rf"\1{_MASK}", text)
    return text


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        value = mask_credentials(value)
        for secret in _secrets:
            if secret in value and secret not in _public:
                value = value.replace(secret, _MASK)
        return value
    if isinstance(value, dict):
        return {k: _MASK if _is_secret_key(str(k)) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


@functools.lru_cache(maxsize=4096)
def _is_secret_key(key: str) -> bool:
    # Lines use a few hundred distinct keys: one regex search per key, not per line.
    return _SECRET_KEY.search(key) is not None


def redact(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secret-named keys, credentials and registered secrets."""
    for key, value in list(event_dict.items()):
        if value is None:
            continue
        if _is_secret_key(key):
            event_dict[key] = _MASK  # a numeric PIN too
        elif not isinstance(value, int | float):  # nothing else to mask in a number
            event_dict[key] = _scrub(value)
    return event_dict


def configure_logging(
    level: str = "info",
    fmt: Literal["auto", "json", "console"] = "auto",
    *,
    stream: Any = None,
) -> None:
    out = stream or sys.stderr
    use_console = fmt == "console" or (fmt == "auto" and out.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if use_console
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
