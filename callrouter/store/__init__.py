"""PostgreSQL: the pool, the migrations runner and the repositories."""

from callrouter.store._batching import DB_ERRORS, DEFAULT_RETRY_MAX_S, RETRYABLE, BatchQueue
from callrouter.store._pool import (
    DbConnection,
    answers,
    create_pool,
    database_errors,
    open_pool,
    resolve_dsn,
    resolve_spool_dir,
)
from callrouter.store._spool import Spool, Spooled, read_marks, write_marks
from callrouter.store._spool_codec import SpoolCodec
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
    "DEFAULT_RETRY_MAX_S",
    "RETRYABLE",
    "BatchQueue",
    "DbConnection",
    "MigrationChanged",
    "MigrationError",
    "MigrationState",
    "Spool",
    "SpoolCodec",
    "Spooled",
    "answers",
    "apply_migrations",
    "create_pool",
    "database_errors",
    "load_migrations",
    "migration_status",
    "open_pool",
    "read_marks",
    "resolve_dsn",
    "resolve_spool_dir",
    "write_marks",
]
