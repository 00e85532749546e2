"""The fuzz targets: one input through one parser, checked against its documented contract.

- ``ari``: :func:`callrouter.ari.parse_event` returns ``None`` (one log line) for a bad
  frame and never raises.
- ``agi``: ``parse_environment``, fed as FastAgiServer feeds it, raises
  ``AgiHeaderMalformed``.
- ``leads``: ``decode_lines`` + ``import_leads`` raise ``LeadFileError`` for the file and
  yield a ``RowProblem`` per bad row.
- ``customers``: ``read_customer_csv`` raises ``InvalidInput`` for the file and returns a
  ``RowProblem`` per bad row.
- ``config``: ``load_settings`` raises ``ConfigError``.

Each ``check_*`` returns a short label of what happened and raises :class:`Broken` when
the contract is broken: another exception escaped, or a result breaks a promise (a NUL
that would reach PostgreSQL, a stored phone that is not E.164).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from callrouter.agi._protocol import parse_environment
from callrouter.agi.errors import AgiHeaderMalformed
from callrouter.ari import Channel, UnknownEvent, parse_event
from callrouter.cli._customers import read_customer_csv
from callrouter.config import Settings, load_settings
from callrouter.dialer import LeadFileError, LeadImportOptions, decode_lines, import_leads
from callrouter.errors import ConfigError, InvalidInput
from callrouter.store.customers import E164
from tests.agi.asterisk_fake import encode_env, load_capture
from tests.fuzz.mutate import Generator, mixed, mutate_tree

__all__ = ["TARGETS", "Broken", "Target", "targets"]

REPO = Path(__file__).resolve().parents[2]
_LEAD_OPTIONS = LeadImportOptions(default_timezone="Europe/Berlin", default_region="DE")


class Broken(Exception):
    """A parser broke its contract on ``data``."""

    def __init__(self, target: str, data: bytes, problem: str) -> None:
        super().__init__(f"{target}: {problem} on input {data[:300]!r}")
        self.target = target
        self.data = data
        self.problem = problem


def _unexpected(target: str, data: bytes, exc: BaseException) -> Broken:
    return Broken(target, data, f"{type(exc).__name__}: {str(exc)[:300]}")


def _promise(ok: bool, target: str, data: bytes, what: str) -> None:
    if not ok:
        raise Broken(target, data, what)


def _storable(values: Iterable[str | None]) -> bool:
    return not any(v is not None and ("\x00" in v or re.search("[\ud800-\udfff]", v))
                   for v in values)  # fmt: skip


# -- the checks ----------------------------------------------------------------------


def check_ari(data: bytes) -> str:
    try:
        event = parse_event(data)
    except Exception as exc:
        raise _unexpected("ari", data, exc) from exc
    if event is None:
        return "rejected"
    if isinstance(event, UnknownEvent):
        return "unknown-type"
    channel = getattr(event, "channel", None)  # an extra field may hold anything
    if isinstance(channel, Channel):
        texts = (channel.caller.name, channel.caller.number, channel.name, channel.dialplan.exten)
        _promise(_storable(texts), "ari", data, "caller text not storable")
    return "event"


def check_agi(data: bytes) -> str:
    # As FastAgiServer reads it: lines up to the first empty one, undecodable bytes replaced.
    text = data.decode("utf-8", errors="replace")
    lines = [line.rstrip("\r") for line in text.split("\n")]
    block = lines[: lines.index("")] if "" in lines else lines
    try:
        request = parse_environment(block)
        _ = (request.script, request.caller_number, request.uniqueid, request.args)
    except AgiHeaderMalformed:
        return "rejected"
    except Exception as exc:
        raise _unexpected("agi", data, exc) from exc
    _promise(_storable(request.env.values()), "agi", data, "header value not storable")
    return "request"


def check_leads(data: bytes) -> str:
    try:
        result = import_leads(decode_lines(data.splitlines(keepends=True)), _LEAD_OPTIONS)
    except LeadFileError:
        return "file-rejected"
    except Exception as exc:
        raise _unexpected("leads", data, exc) from exc
    for lead in result.leads:
        _promise(bool(E164.match(lead.phone)), "leads", data, f"phone {lead.phone!r}")
        texts = (lead.key, lead.name, *lead.extra.values())
        _promise(_storable(texts), "leads", data, "lead text not storable")
    return "rows" if result.leads else ("row-problems" if result.problems else "empty")


def check_customers(data: bytes) -> str:
    try:
        rows, problems = read_customer_csv(data.splitlines(keepends=True), region="DE")
    except InvalidInput:
        return "file-rejected"
    except Exception as exc:
        raise _unexpected("customers", data, exc) from exc
    for row in rows:
        texts = (row.name, row.tier, row.account, row.notes)
        _promise(_storable(texts), "customers", data, "card text not storable")
    return "rows" if rows else ("row-problems" if problems else "empty")


def check_config(data: bytes, folder: Path) -> str:
    path = folder / "callrouter.yml"
    path.write_bytes(data)
    try:
        load_settings(path, environ={"X": "x", "ARI_SECRET": "s3cret!"}, warn=lambda _p: None)
    except ConfigError:
        return "rejected"
    except Exception as exc:
        raise _unexpected("config", data, exc) from exc
    return "valid"


# -- seeds and generators --------------------------------------------------------------


def _ari_seeds() -> list[bytes]:
    paths = sorted((REPO / "tests" / "ari" / "captures").glob("*.jsonl"))
    return [line.encode() for p in paths for line in p.read_text().splitlines() if line.strip()]


def _agi_seeds() -> list[bytes]:
    env, _ = load_capture()
    return [encode_env(env), encode_env({**env, "agi_network_script": "lookup?number=+4930"})]


LEAD_SEEDS = [
    b"key,phone,name,timezone,region,segment\na,030 1234567,Anna,,,gold\n"
    b'b,+1 212 555 0100,"Bob ""B"", Jr",America/New_York,,\nc,0170 1234567,,,DE,x\n',
    b"phone;name\n+33 1 23 45 67 89;Zo\xc3\xab\n\n+44 20 7946 0958;Eve\n",
    b"\xef\xbb\xbfphone\ttimezone\n+81 3-1234-5678\tAsia/Tokyo\n",
]
CUSTOMER_SEEDS = [
    b"phone,name,tier,priority,account,notes\n030 1234567,Anna,vip,,A-1,\n"
    b'+44 20 7946 0958,"O\'Hara, ""Bob""",silver,7,,"two\nlines"\n',
    b"phone\n+49 170 1234567\n12345\n",
]


def _tree_generator(seeds: list[Any], dump: Callable[[Any], bytes]) -> Generator:
    keys = sorted({k for seed in seeds for k in _keys(seed)})

    def generate(rng: random.Random) -> bytes:
        tree = mutate_tree(rng.choice(seeds), rng, keys=keys)
        try:
            return dump(tree)
        except (ValueError, TypeError, yaml.YAMLError):
            return dump(rng.choice(seeds))

    return generate


def _keys(tree: Any) -> Iterable[str]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield str(key)
            yield from _keys(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _keys(value)


def _config_trees() -> list[Any]:
    sample = yaml.safe_load((REPO / "callrouter.yml").read_text())
    return [sample, {"ari": {"password": "${ARI_SECRET}"}}, Settings().model_dump(mode="json")]


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    check: Callable[[bytes], str]
    generate: Generator


def targets(config_folder: Path) -> dict[str, Target]:
    ari = _ari_seeds()
    ari_trees = _tree_generator([json.loads(seed) for seed in ari], _json)
    config_seeds = [(REPO / "callrouter.yml").read_bytes()]
    found = [
        Target("ari", check_ari, mixed(ari, ari_trees)),
        Target("agi", check_agi, mixed(_agi_seeds())),
        Target("leads", check_leads, mixed(LEAD_SEEDS)),
        Target("customers", check_customers, mixed(CUSTOMER_SEEDS)),
        Target(
            "config",
            lambda data: check_config(data, config_folder),
            mixed(config_seeds, _tree_generator(_config_trees(), _yaml)),
        ),
    ]
    return {target.name: target for target in found}


def _json(tree: Any) -> bytes:
    return json.dumps(tree).encode()


def _yaml(tree: Any) -> bytes:
    return yaml.safe_dump(tree, allow_unicode=True).encode("utf-8", errors="surrogatepass")


TARGETS = ("ari", "agi", "leads", "customers", "config")
"""The target names, in the order the bench runs them."""

