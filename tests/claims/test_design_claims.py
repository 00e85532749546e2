"""README, Design: "`acd/` and `dialer/` never await and never read a clock" (and the
legs' lifecycles are pure tables too). That purity is what lets the state machines and
the benchmarks run the cores without a loop or a clock, so it is checked on the source.

``dialer/store.py`` and the ``dialer/_db_*.py`` modules behind it are the dialer's
PostgreSQL side (README: "store.py: its PostgreSQL side") and are exempt."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "callrouter"
PURE = ("acd", "legs", "dialer")
IMPURE_MODULES = frozenset({"asyncio", "asyncpg", "aiohttp", "socket", "time", "subprocess"})
CLOCK_READS = frozenset({"now", "utcnow", "today", "time", "monotonic", "perf_counter"})


def _pure_files() -> list[Path]:
    files = [p for package in PURE for p in sorted((PACKAGE / package).glob("*.py"))]
    return [p for p in files if p.name != "store.py" and not p.name.startswith("_db_")]


def _violations(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Await | ast.AsyncFunctionDef | ast.AsyncFor | ast.AsyncWith):
            found.append(f"line {node.lineno}: {type(node).__name__}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            )
            for name in names:
                if name and name.split(".")[0] in IMPURE_MODULES:
                    found.append(f"line {node.lineno}: imports {name}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CLOCK_READS
            # date.today() / datetime.now() / time.time(): a call on a name, not on a
            # value the caller passed in (``now.time()`` is a field of a given instant).
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"datetime", "date", "time", "dt"}
        ):
            found.append(
                f"line {node.lineno}: reads the clock ({node.func.value.id}.{node.func.attr})"
            )
    return found


@pytest.mark.parametrize("path", _pure_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_cores_never_await_nor_read_a_clock(path: Path) -> None:
    assert not _violations(path), f"{path.relative_to(PACKAGE.parent)}: {_violations(path)}"


def test_the_check_sees_every_core() -> None:
    names = {f"{p.parent.name}/{p.name}" for p in _pure_files()}
    assert {"acd/_engine.py", "dialer/_pacing.py", "legs/__init__.py"} <= names


def test_the_check_flags_what_it_looks_for(tmp_path: Path) -> None:
    impure = tmp_path / "impure.py"
    impure.write_text(
        "import asyncio\nasync def f():\n    await g()\nx = datetime.now()\ny = now.time()\n"
    )
    assert {v.split(": ", 1)[1] for v in _violations(impure)} == {
        "imports asyncio", "AsyncFunctionDef", "Await", "reads the clock (datetime.now)",
    }  # fmt: skip
