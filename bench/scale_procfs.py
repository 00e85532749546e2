"""Readings of /proc for the scale benches (no psutil): VmRSS, CPU time of a process,
of PostgreSQL's postmaster and backends and of the whole machine, and how long an event
loop was runnable but waited for a CPU (the machine is shared: that is how to tell a slow
process from a starved one).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_EVERY_S = 0.25
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # after "pid (comm) "


def cpu_seconds(pid: int, *, with_reaped_children: bool = False) -> float:
    """utime + stime of ``pid`` (all threads); optionally its reaped children's too."""
    fields = _stat_fields(pid)
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / _CLOCK_TICKS


def postgres_cpu_seconds(postmaster: int) -> float:
    """The postmaster, the backends it has reaped, and its live children."""
    total = cpu_seconds(postmaster, with_reaped_children=True)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat_fields(int(entry.name))
            if int(fields[1]) == postmaster:  # ppid
                total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return total


def rss_kb(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def runqueue_wait_seconds(pid: int) -> float:
    """How long the process's main thread (its event loop) was runnable but waited for
    a CPU: the second field of /proc/<pid>/schedstat, in ns."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def box_busy_seconds() -> float:
    """CPU time of the whole machine, all users, all cores (/proc/stat, not idle/iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / _CLOCK_TICKS


@dataclass(frozen=True)
class ProcSample:
    t: float  # time.perf_counter(), the same clock in every process on Linux
    service_rss_kb: int
    seconds: dict[str, float]  # cumulative: CPU of each process, run-queue waits, box


@dataclass
class ProcSampler:
    sim_pid: int
    postmaster_pid: int
    samples: list[ProcSample] = field(default_factory=list)

    def take(self) -> ProcSample:
        service = os.getpid()
        sample = ProcSample(
            t=time.perf_counter(),
            service_rss_kb=rss_kb(),
            seconds={
                "service": cpu_seconds(service),
                "sim": cpu_seconds(self.sim_pid),
                "postgres": postgres_cpu_seconds(self.postmaster_pid),
                "box": box_busy_seconds(),
                "service_waiting": runqueue_wait_seconds(service),
                "sim_waiting": runqueue_wait_seconds(self.sim_pid),
            },
        )
        self.samples.append(sample)
        return sample

    async def run(self) -> None:
        while True:
            with contextlib.suppress(OSError):
                self.take()
            await asyncio.sleep(SAMPLE_EVERY_S)

    def between(self, start: float, end: float) -> list[ProcSample]:
        return [s for s in self.samples if start <= s.t <= end]

    def cpu_share(self, start: float, end: float) -> dict[str, float]:
        """Each counter's seconds per wall second over [start, end], and ``wall_s``."""
        inside = self.between(start, end)
        if len(inside) < 2:
            return {}
        first, last = inside[0], inside[-1]
        wall = last.t - first.t
        rates = {key: (last.seconds[key] - value) / wall for key, value in first.seconds.items()}
        return {"wall_s": wall, **rates}
