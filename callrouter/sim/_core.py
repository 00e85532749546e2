"""The composition of one simulator, reachable from every aiohttp handler."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from callrouter.sim._base import JsonObj, SimClock
from callrouter.sim._calls import CallFlows
from callrouter.sim._events import EventHub
from callrouter.sim._media import Media
from callrouter.sim._switch import Switch

REQUEST_LOG_LIMIT = 10000


@dataclass
class Fault:
    """Make the next ``count`` matching ARI requests wait and/or fail."""

    count: int
    status: int | None
    delay: float
    path_prefix: str
    method: str | None
    body: JsonObj | None

    def matches(self, method: str, path: str) -> bool:
        if self.count <= 0 or not path.startswith(self.path_prefix):
            return False
        return self.method is None or self.method.upper() == method.upper()

    def to_json(self) -> JsonObj:
        return {
            "count": self.count,
            "status": self.status,
            "delay": self.delay,
            "path_prefix": self.path_prefix,
            "method": self.method,
            "body": self.body,
        }


@dataclass
class SimCore:
    clock: SimClock
    hub: EventHub
    switch: Switch
    calls: CallFlows
    media: Media
    username: str
    password: str
    default_app: str
    request_log: deque[JsonObj] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_LIMIT))
    faults: list[Fault] = field(default_factory=list)

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def credentials_ok(self, username: str, password: str) -> bool:
        return username == self.username and password == self.password


CORE = web.AppKey("callrouter_sim_core", SimCore)


def core_of(request: web.Request) -> SimCore:
    return request.app[CORE]
