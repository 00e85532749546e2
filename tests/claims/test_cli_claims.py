"""README, Command line: operator state changes made while the service is down apply
at its start, and ``dnc list --contains`` filters by digits. Real processes, real
PostgreSQL."""

from __future__ import annotations

import importlib.metadata
import json
import platform
from pathlib import Path

import pytest
import yaml

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs
from tests.cli.test_cli import REPO, callrouter
from tests.cli.test_cli_calls import seed

OPERATORS = {"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": False}}


def _config(tmp_path: Path, **sections: object) -> list[str]:
    path = tmp_path / "callrouter.yml"
    path.write_text(yaml.safe_dump(sections))
    return ["--config", str(path)]


async def test_a_login_made_while_the_service_is_down_applies_at_its_start(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str, tmp_path: Path
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    config = _config(tmp_path, queues={"support": {}}, operators=OPERATORS)
    env = {"CALLROUTER_DSN": db_dsn}
    login = callrouter(*config, "operators", "login", "anna", env=env)
    assert login.returncode == 0, login.stderr
    assert "queued" in login.stdout
    # The service's own config still says anna is logged out: only the request can
    # log her in, so a caller answered by her proves it was applied at start.
    settings = make_settings(sim, queues={"support": {"join_empty": True}}, operators=OPERATORS)
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None
        await sim_control.place_call(caller_number="+4930321")
        await eventually(lambda: bridged_pairs(sim_control), what="anna taking the call")
        assert service.parts.router.engine.snapshot().operator("anna").state.value == "on_call"


def test_dnc_list_contains_filters_by_digits(db_dsn: str, tmp_path: Path) -> None:
    config = _config(tmp_path, dialer={"default_region": "DE"})
    env = {"CALLROUTER_DSN": db_dsn}
    added = callrouter(*config, "dnc", "add", "030 1234567", "040 7654321", env=env)
    assert added.returncode == 0, added.stderr
    listed = callrouter(*config, "dnc", "list", "--contains", "4930", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [e["phone"] for e in json.loads(listed.stdout)["entries"]] == ["+49301234567"]


LIST_COMMANDS = [
    ("calls", "list"),
    ("recordings", "list"),
    ("operators", "list"),
    ("campaigns", "list"),
    ("dnc", "list"),
    ("customers", "list"),
]


@pytest.mark.parametrize("command", LIST_COMMANDS, ids=" ".join)
def test_list_commands_take_json(command: tuple[str, str], db_dsn: str) -> None:
    # The sample config: operators and a campaign exist, so the lists are not all empty.
    result = callrouter(
        "--config", str(REPO / "callrouter.yml"), *command, "--json",
        env={"CALLROUTER_DSN": db_dsn},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)


@pytest.mark.parametrize("how", ["id", "prefix", "channel"])
async def test_calls_show_takes_an_id_a_prefix_or_a_channel_id(how: str, db_dsn: str) -> None:
    call_id = str(await seed(db_dsn))  # its Asterisk channel is 1795.1
    reference = {"id": call_id, "prefix": call_id[:8], "channel": "1795.1"}[how]
    shown = callrouter("calls", "show", reference, "--json", env={"CALLROUTER_DSN": db_dsn})
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["call"]["id"] == call_id


def test_version_names_callrouter_and_python() -> None:
    result = callrouter("version", "--json")
    assert result.returncode == 0, result.stderr
    # The subprocess runs on this interpreter, so it must report this Python.
    assert json.loads(result.stdout)["python"] == platform.python_version()
    assert json.loads(result.stdout)["callrouter"] == importlib.metadata.version("callrouter")
