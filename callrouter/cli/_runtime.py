"""What every CLI command shares: options, settings, the database, output and exit codes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import typer
from rich.console import Console
from rich.table import Table

from callrouter.config import DEFAULT_CONFIG_PATH, DEFAULT_TENANT, Settings, load_settings
from callrouter.errors import (
    CallrouterError,
    ConfigError,
    DomainError,
    ExternalError,
    InvalidInput,
    NotFound,
)
from callrouter.log import configure_logging, register_secret
from callrouter.store import open_pool, resolve_dsn, resolve_spool_dir
from callrouter.store.tenants import TenantPool

__all__ = [
    "EXIT_CODES",
    "CliState",
    "console",
    "database_pool",
    "emit_json",
    "exit_code_for",
    "print_table",
    "run_async",
    "state_of",
]

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

# Stable exit codes so scripts can tell "fix your config" from "the database is down".
EXIT_CODES: dict[type[CallrouterError], int] = {
    ConfigError: 3,
    ExternalError: 4,
    NotFound: 5,
    DomainError: 6,
    CallrouterError: 1,
}


def exit_code_for(error: CallrouterError) -> int:
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


@dataclass
class CliState:
    config_path: Path | None
    debug: bool
    # --tenant: every query runs as this tenant (store/tenants.py); None: the center.
    tenant: str | None = None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
            register_secret(self._settings.ari.password.get_secret_value())
            if self._settings.http.token is not None:
                register_secret(self._settings.http.token.get_secret_value())
            configure_logging(
                "debug" if self.debug else self._settings.logging.level,
                self._settings.logging.format,
            )
        return self._settings

    @property
    def base_dir(self) -> Path:
        path = self.config_path or Path(os.environ.get("CALLROUTER_CONFIG", DEFAULT_CONFIG_PATH))
        return path.resolve().parent

    def dsn(self) -> str:
        override = os.environ.get("CALLROUTER_DSN")
        if override:
            register_secret(override)
            return override
        return resolve_dsn(self.settings.database, base_dir=self.base_dir)

    def spool_dir(self) -> Path:
        """Where ``serve`` journals rows until PostgreSQL has them (database.spool_dir)."""
        return resolve_spool_dir(self.settings.database, base_dir=self.base_dir)


def state_of(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


@asynccontextmanager
async def database_pool(state: CliState) -> AsyncIterator[asyncpg.Pool | TenantPool]:
    """The database; with ``--tenant``, one whose every connection sees and changes only
    that tenant's rows (the API's tenant tokens use the same row-level security)."""
    db = state.settings.database
    tenant = state.tenant
    if tenant is not None and tenant != DEFAULT_TENANT and tenant not in state.settings.tenants:
        raise InvalidInput(f"--tenant {tenant!r}: no such tenant in the configuration")
    async with open_pool(state.dsn(), min_size=1, max_size=db.pool_max) as pool:
        yield pool if tenant is None else TenantPool(pool, tenant)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def _jsonable(value: Any) -> Any:
    # Durations come back from PostgreSQL as Decimal: numbers in JSON, not strings.
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=_jsonable, indent=2) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(table)
