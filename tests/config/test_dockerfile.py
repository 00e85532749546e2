"""The Dockerfile's comments and command name only what callrouter really reads."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.cli.test_cli import callrouter

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text()


def _sources() -> str:
    """The code, and the sample config without its comments (a comment reads nothing)."""
    code = "".join(p.read_text() for p in (REPO / "callrouter").rglob("*.py"))
    sample = (REPO / "callrouter.yml").read_text().splitlines()
    return code + "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in sample)


def test_every_variable_named_is_read() -> None:
    named = set(re.findall(r"CALLROUTER_[A-Z_]+", DOCKERFILE))
    assert {"CALLROUTER_DSN", "CALLROUTER_CONFIG", "CALLROUTER_ARI_PASSWORD"} <= named
    sources = _sources()
    for name in named:
        assert re.search(rf"[\"'{{]{name}\b", sources), f"{name} is read nowhere"


def test_no_endpoint_that_does_not_exist() -> None:
    routes = (REPO / "callrouter" / "api" / "_routes.py").read_text()
    for path in re.findall(r"(?<![\w.])/[a-z][\w/{}.-]*", DOCKERFILE.split("EXPOSE")[0]):
        if path.startswith(("/app", "/api/v1/")) or "no " + path in DOCKERFILE:
            continue
        assert path in routes, f"{path} is not an HTTP route"


async def test_the_command_runs_with_the_image_environment(db_dsn: str, tmp_path: Path) -> None:
    [cmd] = re.findall(r"^CMD (.*)$", DOCKERFILE, re.MULTILINE)
    shell = json.loads(cmd)[-1]  # ["sh", "-c", "..."]
    first = shlex.split(shell.split("&&")[0])
    assert first[0] == "callrouter"
    config = tmp_path / "callrouter.yml"
    config.write_text("ari:\n  password: ${CALLROUTER_ARI_PASSWORD}\n")
    env = {"CALLROUTER_CONFIG": str(config), "CALLROUTER_DSN": db_dsn,
           "CALLROUTER_ARI_PASSWORD": "x" * 20}  # fmt: skip
    result = callrouter(*first[1:], env=env)
    assert result.returncode == 0, result.stderr
    status = callrouter("db", "status", "--json", env=env)
    assert status.returncode == 0, status.stderr
