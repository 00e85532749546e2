"""The embedded PostgreSQL across crashes: real processes, real SIGKILL, real postgres."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest

from callrouter.store._embedded import running_postmaster

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder() -> Iterator[Path]:
    # Not under pytest's tmp_path (0700): as root, pgserver runs PostgreSQL as its own
    # system user, which must reach the folder.
    parent = Path(tempfile.mkdtemp(prefix="callrouter-embedded-"))
    parent.chmod(0o755)
    yield parent / "pgdata"
    for process in postmasters(parent / "pgdata"):  # a failed test must not leak one
        process.kill()
    shutil.rmtree(parent, ignore_errors=True)


def postmasters(folder: Path) -> list[psutil.Process]:
    """Every postmaster serving ``folder``, whatever its pid file says."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        command = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(folder) in command and "-D" in command:
            found.append(process)
    return found


def gone(process: psutil.Process) -> bool:
    # A stopped postmaster whose parent was killed may linger as a zombie until the
    # container's init reaps it: it serves nothing.
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


class Holder:
    """``tests.store.embedded_child``: a process using the folder's server."""

    def __init__(self, folder: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.store.embedded_child", str(folder)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.dsn = self.process.stdout.readline().strip()
        assert self.dsn.startswith("postgresql://"), self.dsn

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(30) == -signal.SIGKILL

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(60) == 0


def migrate(folder: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "callrouter.yml"
    config.write_text(f"database:\n  embedded_dir: {folder}\n")
    env = {k: v for k, v in os.environ.items() if k != "CALLROUTER_DSN"}
    return subprocess.run(
        [sys.executable, "-m", "callrouter", "--config", str(config), "db", "migrate"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_killed_users_server_is_adopted_then_stopped_by_the_last_user(
    folder: Path, tmp_path: Path
) -> None:
    first = Holder(folder)
    [server] = postmasters(folder)
    first.kill()
    assert postmasters(folder) == [server]  # orphaned: nothing runs after SIGKILL

    second = Holder(folder)  # adopts it: same server, no second one
    assert second.dsn == first.dsn and postmasters(folder) == [server]
    done = migrate(folder, tmp_path)  # joins and leaves; the holder still uses it
    assert done.returncode == 0, done.stderr
    assert postmasters(folder) == [server]

    third = Holder(folder)
    second.kill()
    third.stop()  # the last live user, though a killed one is still listed
    assert postmasters(folder) == []
    assert running_postmaster(folder) is None


def test_a_server_orphaned_by_a_kill_is_stopped_by_the_next_cli_command(
    folder: Path, tmp_path: Path
) -> None:
    holder = Holder(folder)
    [server] = postmasters(folder)
    holder.kill()
    done = migrate(folder, tmp_path)
    assert done.returncode == 0, done.stderr
    assert gone(server) and postmasters(folder) == []


def test_a_server_restarted_under_a_live_user_is_stopped_by_the_last_user(
    folder: Path, tmp_path: Path
) -> None:
    holder = Holder(folder)
    [first] = postmasters(folder)
    first.kill()  # PostgreSQL alone dies (the OOM killer's favourite)
    psutil.wait_procs([first], timeout=10)
    done = migrate(folder, tmp_path)  # starts a new server, leaves it to the live holder
    assert done.returncode == 0, done.stderr
    [second] = postmasters(folder)
    assert second.pid != first.pid
    holder.stop()
    assert gone(second) and postmasters(folder) == []


def test_a_pid_file_naming_another_process_after_a_reboot_is_not_a_server(
    folder: Path,
) -> None:
    holder = Holder(folder)
    pid_file = (folder / "postmaster.pid").read_text()
    holder.stop()
    assert postmasters(folder) == []
    # What a power loss leaves: the old pid file and handle list, their pids now some
    # other process's (this one's).
    lines = pid_file.split("\n")
    (folder / "postmaster.pid").write_text("\n".join([str(os.getpid()), *lines[1:]]))
    handles = folder / ".handle_pids.json"
    handles.write_text(f"[{os.getpid()}]")
    before_boot = psutil.boot_time() - 60
    os.utime(handles, (before_boot, before_boot))
    holder = Holder(folder)
    [server] = postmasters(folder)
    assert server.pid != os.getpid()
    holder.stop()
    assert postmasters(folder) == []
