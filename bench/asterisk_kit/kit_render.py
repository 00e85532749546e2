"""The kit's configuration: Asterisk's files from ``conf/`` and callrouter's YAML.

Templates hold ``@NAME@`` placeholders (Asterisk's own ``${...}`` stays untouched).
Operators are the same Local channels for both distributors: ``Local/op<n>@bench-operators``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TEMPLATES = Path(__file__).resolve().parent / "conf"
OPERATOR_CONTEXT = "bench-operators"
QUEUE = "bench"
FIRST_OPERATOR = 1000
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


@dataclass(frozen=True)
class KitSettings:
    prefix: Path
    work: Path
    ari_port: int
    ari_user: str
    ari_password: str
    operators: int
    talk_s: float
    caller_max_s: int


def operator_names(count: int) -> list[str]:
    return [f"op{FIRST_OPERATOR + index}" for index in range(count)]


def operator_endpoint(name: str) -> str:
    return f"Local/{name}@{OPERATOR_CONTEXT}"


def _fill(text: str, values: dict[str, str], source: str) -> str:
    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"{source}: no value for @{key}@")
        return values[key]

    return _PLACEHOLDER.sub(value, text)


def render_asterisk(kit: KitSettings) -> Path:
    """Write every template into ``<work>/etc``; return the asterisk.conf path."""
    members = "\n".join(
        f"member => {operator_endpoint(name)},0,{name}" for name in operator_names(kit.operators)
    )
    values = {
        "PREFIX": str(kit.prefix),
        "WORK": str(kit.work),
        "ARI_PORT": str(kit.ari_port),
        "ARI_USER": kit.ari_user,
        "ARI_PASSWORD": kit.ari_password,
        "TALK_S": f"{kit.talk_s:g}",
        "CALLER_MAX_S": str(kit.caller_max_s),
        "MEMBERS": members,
    }
    etc = kit.work / "etc"
    for folder in (etc, kit.work / "lib", kit.work / "log", kit.work / "run", kit.work / "spool"):
        folder.mkdir(parents=True, exist_ok=True)
    for template in sorted(TEMPLATES.glob("*.conf")):
        (etc / template.name).write_text(_fill(template.read_text(), values, template.name))
    return etc / "asterisk.conf"


def callrouter_config(
    kit: KitSettings, *, dsn: str, agi_port: int, http_port: int, log_level: str
) -> dict[str, Any]:
    """A callrouter.yml for the same operators and queue app_queue gets."""
    return {
        "ari": {
            "url": f"http://127.0.0.1:{kit.ari_port}",
            "username": kit.ari_user,
            "password": kit.ari_password,
            "app": "callrouter",
        },
        "database": {"dsn": dsn, "spool_dir": str(kit.work / "callrouter-spool")},
        "agi": {"host": "127.0.0.1", "port": agi_port},
        "http": {"host": "127.0.0.1", "port": http_port},
        "logging": {"level": log_level, "format": "json"},
        "queues": {
            QUEUE: {
                "strategy": "longest_idle",
                "ring_timeout_s": 15,
                "wrapup_s": 0,
                "join_empty": True,
                "announce": {"position": False},
                "callback_key": None,
                # app_queue records nothing here either.
                "recording": "never",
            }
        },
        "operators": {
            name: {
                "endpoint": operator_endpoint(name),
                "queues": {QUEUE: 0},
                "logged_in": True,
            }
            for name in operator_names(kit.operators)
        },
    }


def write_callrouter_config(path: Path, config: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
