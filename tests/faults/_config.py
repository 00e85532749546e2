"""The ``callrouter.yml`` every node runs with, and the phones its operators answer.

One queue behind one DID, open by a calendar a reload can close; every operator logged
in; every CRM event sent to the test's receiver; each node its own spool.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from callrouter.sim import SimControl
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME

HTTP_TOKEN = "faults-token"
CRM_SECRET = "faults-crm-secret"
QUEUE = "support"
DID = "100"
WRAPUP_S = 1.0
OPERATOR_COUNT = 12


@dataclass(frozen=True)
class Operator:
    id: str
    endpoint: str
    answer_after: float
    talk_s: float


def make_operators(rng: random.Random, count: int = OPERATOR_COUNT) -> list[Operator]:
    """Local endpoints (as in the sample dialplan) that answer after a moment and talk a
    little; each a bit different, as people are."""
    return [
        Operator(
            id=f"op{n:02d}",
            endpoint=f"Local/{200 + n}@operators",
            answer_after=round(rng.uniform(0.1, 0.4), 3),
            talk_s=round(rng.uniform(0.8, 2.0), 3),
        )
        for n in range(1, count + 1)
    ]


class Ports(NamedTuple):
    http: int
    agi: int


def config_for(
    *,
    node: str,
    ari_url: str,
    dsn: str,
    spool_dir: Path,
    ports: Ports,
    operators: Sequence[Operator],
    crm_url: str,
    claim_operators: bool = False,
) -> dict[str, Any]:
    """A whole ``callrouter.yml``: one queue behind DID 100, open by the ``office``
    calendar, every operator logged in, every CRM event sent to the test's receiver."""
    return {
        # A short reconnect cap: a dropped WebSocket comes back within a second.
        "ari": {
            "url": ari_url,
            "username": SIM_USERNAME,
            "password": SIM_PASSWORD,
            "reconnect_max_s": 1.0,
        },
        # Each node its own spool: a replay must never cross nodes or test databases.
        "database": {"dsn": dsn, "pool_max": 5, "spool_dir": str(spool_dir)},
        "agi": {"host": "127.0.0.1", "port": ports.agi},
        "http": {"host": "127.0.0.1", "port": ports.http, "token": HTTP_TOKEN},
        "logging": {"level": "info", "format": "json"},
        "cluster": {"node": node, "claim_operators": claim_operators},
        "calendars": {"office": {"timezone": "UTC", "holidays": []}},
        "queues": {
            QUEUE: {
                "join_empty": True,
                "ring_timeout_s": 4,
                "wrapup_s": WRAPUP_S,
                "hours": "office",
                # No recording: the only POSTs under /ari/bridges are then the connect
                # itself, which the "connecting" moment holds back.
                "recording": "never",
            }
        },
        "routes": {DID: QUEUE},
        "operators": {
            op.id: {"endpoint": op.endpoint, "queues": {QUEUE: 0}, "logged_in": True}
            for op in operators
        },
        "crm": {
            "webhooks": {kind: f"{crm_url}/{kind}" for kind in ("offered", "answered", "ended")},
            "secret": CRM_SECRET,
            "timeout_s": 2,
            "max_attempts": 10,
        },
    }


def write_config(path: Path, config: Mapping[str, Any]) -> None:
    path.write_text(yaml.safe_dump(dict(config), sort_keys=False))


def closed_today(config: Mapping[str, Any]) -> dict[str, Any]:
    """The same config with the office closed for a holiday around today (three days,
    so a run across midnight UTC is still closed)."""
    today = datetime.now(UTC).date()
    holidays: list[date] = [today + timedelta(days=d) for d in (-1, 0, 1)]
    changed = json.loads(json.dumps(config))
    changed["calendars"]["office"]["holidays"] = [d.isoformat() for d in holidays]
    return dict(changed)


async def script_phones(control: SimControl, operators: Sequence[Operator]) -> None:
    for op in operators:
        tech, _, resource = op.endpoint.partition("/")
        await control.set_endpoint(
            tech, resource, behavior="answer", answer_after=op.answer_after, hangup_after=op.talk_s
        )
