"""PostgreSQL: the pool, the migrations runner and the repositories."""

from callrouter.store._batching import DB_ERRORS, RETRYABLE
from callrouter.store._pool import (
    DbConnection,
    create_pool,
    database_errors,
    open_pool,
    resolve_dsn,
    resolve_spool_dir,
)
from callrouter.store.migrations import (
    DEFAULT_MIGRATIONS_DIR,
    MigrationChanged,
    MigrationError,
    MigrationState,
    apply_migrations,
    load_migrations,
    migration_status,
)

__all__ = [
    "DB_ERRORS",
    "DEFAULT_MIGRATIONS_DIR",
    "RETRYABLE",
    "DbConnection",
    "MigrationChanged",
    "MigrationError",
    "MigrationState",
    "apply_migrations",
    "create_pool",
    "database_errors",
    "load_migrations",
    "migration_status",
    "open_pool",
    "resolve_dsn",
    "resolve_spool_dir",
]
