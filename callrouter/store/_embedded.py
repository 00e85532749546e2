"""The zero-setup PostgreSQL: the ``pgserver`` wheel's PostgreSQL 16 in a local folder.

Used when no DSN is configured. pgserver shares one server between processes that
open the same folder and stops it when the last one exits, so ``db migrate`` and
``serve`` run one after the other against the same data.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import structlog

from callrouter.errors import DatabaseError

__all__ = ["start_embedded_postgres", "stop_embedded_postgres"]

log = structlog.get_logger(__name__)


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or join) the embedded server in ``data_dir``; return its DSN."""
    try:
        with warnings.catch_warnings():
            # platformdirs (imported by pgserver) warns when XDG_RUNTIME_DIR is unset, as
            # it is on servers and in CI: harmless here.
            warnings.simplefilter("ignore")
            import pgserver  # type: ignore[attr-defined,unused-ignore]
    except ImportError as exc:  # pragma: no cover - pgserver is a dependency
        raise DatabaseError("no database.dsn is set and pgserver is not installed") from exc
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        get_server = pgserver.get_server  # type: ignore[attr-defined,unused-ignore]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = get_server(data_dir, cleanup_mode="stop")
    except Exception as exc:
        raise DatabaseError(f"could not start embedded PostgreSQL in {data_dir}: {exc}") from exc
    uri: str = server.get_uri()
    log.info("embedded_postgres_started", data_dir=str(data_dir))
    # The server object must outlive this call: pgserver stops it when collected.
    _keep_alive[data_dir] = server
    return uri


def stop_embedded_postgres(data_dir: Path) -> None:
    server = _keep_alive.pop(data_dir.resolve(), None)
    if server is not None:
        server.cleanup()


_keep_alive: dict[Path, Any] = {}
