"""Extra rows of the README claims table, one module per topic.

``tests/test_readme_claims.py`` holds the founding table; a new README section adds its
rows in a module here that defines ``CLAIMS: list[Claim]`` (``from
tests.claims_tables import Claim, claims``), so work on different sections never edits
one shared file. Every module here is picked up by :func:`extra_claims`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import NamedTuple


class Claim(NamedTuple):
    section: str
    quote: str
    tests: tuple[str, ...]


def claims(*node_ids: str) -> tuple[str, ...]:
    return node_ids


def extra_claims() -> list[Claim]:
    found: list[Claim] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        table = importlib.import_module(f"{__name__}.{module.name}")
        found.extend(table.CLAIMS)
    return found
