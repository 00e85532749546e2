"""The zero-setup PostgreSQL: the ``pgserver`` wheel's PostgreSQL 16 in a local folder.

Used when no DSN is configured. pgserver shares one server between processes that
open the same folder: whoever finds it running (its ``postmaster.pid`` names a live
process) uses it instead of starting another, each process adds its pid to the
folder's ``.handle_pids.json``, and the last one to leave (at interpreter exit, or
:func:`stop_embedded_postgres`) stops the server. So ``db migrate`` and ``serve`` run
one after the other, or side by side, against the same data.

What pgserver does not handle, and :func:`start_embedded_postgres` does first, under
pgserver's own inter-process lock:

- A process killed with SIGKILL never leaves: its pid stays in the handle list, so
  every later process believes another one still uses the server and none ever stops
  it (an orphaned postgres that outlives every callrouter). Pids of processes that no
  longer run are dropped, so the next process adopts the running server (same socket,
  no second server) and stops it when it stops itself.
- After a reboot (a power loss) the ``postmaster.pid`` left behind may name a pid that
  now belongs to some other process: pgserver would take that for a running server,
  and PostgreSQL would refuse to start. A pid file whose process is not a postgres of
  this folder (or a zombie) is removed; a handle list written before the boot is emptied.

The same clean-up runs again when this process leaves (before pgserver's exit hook),
so a process that shared the server with one killed since still stops it last; and
if the postmaster it joined died and another process started a new one since (a
live user keeps its handle through that), the new one is what it stops.
A server whose every user was killed keeps running until the next process that opens
the folder adopts it: nothing runs in a process after SIGKILL.
"""

from __future__ import annotations

import atexit
import json
import os
import warnings
from pathlib import Path
from typing import Any

# psutil comes with pgserver (it is what pgserver itself checks pids with); no stubs.
import psutil  # type: ignore[import-untyped]
import structlog

from callrouter.errors import DatabaseError

__all__ = ["running_postmaster", "start_embedded_postgres", "stop_embedded_postgres"]

log = structlog.get_logger(__name__)

_HANDLES = ".handle_pids.json"
_PID_FILE = "postmaster.pid"


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
    adopted = _forget_the_dead(data_dir)
    try:
        get_server = pgserver.get_server  # type: ignore[attr-defined,unused-ignore]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = get_server(data_dir, cleanup_mode="stop")
    except Exception as exc:
        raise DatabaseError(f"could not start embedded PostgreSQL in {data_dir}: {exc}") from exc
    uri: str = server.get_uri()
    # Debug: every CLI command opens the database, and a line on stderr for each one is
    # noise to a sysadmin (serve's own start-up lines say it is ready).
    log.debug(
        "embedded_postgres_adopted" if adopted else "embedded_postgres_started",
        data_dir=str(data_dir),
        pid=server.get_pid(),
    )
    if data_dir not in _keep_alive:
        # atexit runs last-registered first: this runs before pgserver's own exit hook
        # (registered by get_server).
        atexit.register(_before_leaving, data_dir)
    # The server object must outlive this call: pgserver stops it when collected.
    _keep_alive[data_dir] = server
    return uri


def stop_embedded_postgres(data_dir: Path) -> None:
    """Leave the server; it stops unless another live process still uses it."""
    data_dir = data_dir.resolve()
    if data_dir in _keep_alive:
        _before_leaving(data_dir)
        _keep_alive.pop(data_dir).cleanup()


def _before_leaving(data_dir: Path) -> None:
    """What pgserver's leaving does not know: users killed, or a server restarted, since."""
    _forget_the_dead(data_dir)
    server = _keep_alive.get(data_dir)
    if server is None:
        return
    from pgserver.utils import PostmasterInfo

    # pgserver stops the postmaster it found when this process joined; if that one
    # died and another process started a new one since, the new one is what is shared
    # now, and what the last user must stop.
    try:
        info = PostmasterInfo.read_from_pgdata(data_dir)
    except (AssertionError, ValueError, OSError):
        return
    if info is not None and info.is_running() and info.pid != server.get_pid():
        server._postmaster_info = info


def running_postmaster(data_dir: Path) -> psutil.Process | None:
    """The live postmaster of ``data_dir``, as its ``postmaster.pid`` names it."""
    try:
        pid = int((data_dir / _PID_FILE).read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        command = process.cmdline()
    except (FileNotFoundError, ValueError, psutil.NoSuchProcess):
        return None
    except psutil.AccessDenied:
        # Another user's process we cannot inspect: PostgreSQL's to judge, not ours.
        return process
    # The postmaster keeps its command line (``postgres -D <folder> ...``); a pid
    # reused by anything else after a reboot does not have this folder there.
    return process if str(data_dir.resolve()) in command else None


def _forget_the_dead(data_dir: Path) -> bool:
    """Drop stale pgserver state; True if a server is running for ``data_dir``."""
    with _pgserver_lock():
        return _forget_the_dead_locked(data_dir)


def _pgserver_lock() -> Any:
    # pgserver's inter-process lock over every start, join and leave: the handle list
    # must not change between its read and its rewrite here.
    from pgserver.postgres_server import PostgresServer

    return PostgresServer._lock


def _forget_the_dead_locked(data_dir: Path) -> bool:
    postmaster = running_postmaster(data_dir)
    pid_file = data_dir / _PID_FILE
    if postmaster is None and pid_file.exists():
        pid = pid_file.read_text().split("\n", 1)[0]
        if pid.isdigit() and psutil.pid_exists(int(pid)):
            log.warning("embedded_postgres_stale_pid_file", data_dir=str(data_dir), pid=pid)
            pid_file.unlink()
    handles = data_dir / _HANDLES
    try:
        pids = [int(p) for p in json.loads(handles.read_text())]
        before_boot = handles.stat().st_mtime < psutil.boot_time()
    except FileNotFoundError:
        return postmaster is not None
    except (ValueError, TypeError):
        pids, before_boot = [-1], True  # unreadable: rewritten as if every entry were gone
    # Written before this boot, every pid in it is another process's now, if anyone's.
    # A live process keeps its handle even with no server running: it would reconnect
    # to the one started now, which must not stop under it.
    alive = [] if before_boot else [p for p in pids if _alive(p)]
    if alive != pids:
        log.warning(
            "embedded_postgres_dead_handles",
            data_dir=str(data_dir),
            pids=sorted(set(pids) - set(alive)),
        )
        tmp = handles.with_name(handles.name + ".tmp")
        tmp.write_text(json.dumps(alive))
        os.replace(tmp, handles)
    return postmaster is not None


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


_keep_alive: dict[Path, Any] = {}
