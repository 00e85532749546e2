"""README, Design. "`acd/` and `dialer/` never await and never read a clock" (and the
legs' lifecycles are pure tables too): that purity is what lets the state machines and
the benchmarks run the cores without a loop or a clock, so it is checked on the source.
``dialer/store.py`` and the ``dialer/_db_*.py`` modules behind it are the dialer's
PostgreSQL side (README: "store.py: its PostgreSQL side") and are exempt.

And the core "decides what an operator leg's hangup cause means"."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from callrouter.acd import CallArrived, OfferFailed, QueuePolicy, offer_failure_for_cause
from tests.acd._helpers import Harness, op, rings, t

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


@pytest.mark.parametrize(
    ("cause", "paused"),
    [(17, False), (18, True), (19, True), (21, False), (34, False)],
    ids=["17-busy", "18-no-user-responding", "19-no-answer", "21-rejected", "34-other"],
)
def test_the_core_decides_what_an_operator_legs_hangup_cause_means(
    cause: int, paused: bool
) -> None:
    # README, Design: the core "decides what an operator leg's hangup cause means
    # (`acd/_causes.py`)": a ring that ran out (18, 19) is a ring timeout and auto-pauses
    # the operator; a busy, rejected or unreachable phone only rests them.
    h = Harness.build([QueuePolicy("q")], [op("a", q=0)])
    assert rings(h(CallArrived("1", "q", t(0)))) == [("1", "a")]
    h(OfferFailed("1", "a", offer_failure_for_cause(cause), t(1)))
    snapshot = h.engine.snapshot().operator("a")
    if paused:
        assert (snapshot.state.value, snapshot.pause_reason) == ("paused", "no-answer")
    else:
        assert (snapshot.state.value, snapshot.routable) == ("available", False)
