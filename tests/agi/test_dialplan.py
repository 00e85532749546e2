"""dialplan/extensions_callrouter.conf, read by a small parser of ours.

It checks what Asterisk would only tell us at call time: priorities that skip or
repeat, Goto targets and labels that do not exist, AGI URLs naming scripts the server
does not serve, and contexts or variables the README promises but the file lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

import callrouter.agi.routes as routes_module
from callrouter.agi import DEFAULT_PORT, STATUS_VARIABLE, build_routes
from callrouter.agi.fakes import InMemoryCustomerDirectory, InMemoryOperatorControl
from callrouter.agi.planner import DidRoutePlanner
from callrouter.agi.routes import OPERATOR, OPERATOR_ACTIONS

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "dialplan" / "extensions_callrouter.conf"
README = ROOT / "dialplan" / "README.md"

_CONTEXT = re.compile(r"^\[([A-Za-z0-9_-]+)\]$")
_LINE = re.compile(r"^(exten|same|include)\s*=>\s*(.*)$")
_PRIORITY = re.compile(r"^(\d+|n)(?:\(([A-Za-z_][A-Za-z0-9_]*)\))?$")
_APP = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\((.*)\)$")


@dataclass(frozen=True)
class Step:
    priority: int
    label: str | None
    app: str
    args: str
    line: int


@dataclass
class Dialplan:
    contexts: dict[str, dict[str, list[Step]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def steps(self) -> list[tuple[str, str, Step]]:
        return [
            (context, exten, step)
            for context, extens in self.contexts.items()
            for exten, steps in extens.items()
            for step in steps
        ]


def strip_comment(line: str) -> str:
    return re.split(r"(?<!\\);", line, maxsplit=1)[0].strip()


def parse(text: str) -> Dialplan:
    plan = Dialplan()
    context: str | None = None
    last: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = strip_comment(raw)
        if not line:
            continue
        if match := _CONTEXT.match(line):
            context, last = match.group(1), None
            if context in plan.contexts:
                plan.problems.append(f"{number}: context {context} defined twice")
            plan.contexts[context] = {}
            continue
        match = _LINE.match(line)
        if match is None or context is None:
            plan.problems.append(f"{number}: cannot read {line!r}")
            continue
        kind, rest = match.groups()
        if kind == "include":
            continue
        if kind == "exten":
            parts = rest.split(",", 2)
            if len(parts) != 3:
                plan.problems.append(f"{number}: exten needs name,priority,app")
                continue
            last, prio, app = parts
        else:
            if last is None:
                plan.problems.append(f"{number}: 'same' with no extension before it")
                continue
            prio, _, app = rest.partition(",")
        steps = plan.contexts[context].setdefault(last, [])
        _add_step(plan, steps, prio.strip(), app.strip(), number)
    return plan


def _add_step(plan: Dialplan, steps: list[Step], prio: str, app: str, number: int) -> None:
    prio_match, app_match = _PRIORITY.match(prio), _APP.match(app)
    if prio_match is None or app_match is None:
        plan.problems.append(f"{number}: bad priority {prio!r} or application {app!r}")
        return
    expected = steps[-1].priority + 1 if steps else 1
    value, label = prio_match.groups()
    priority = expected if value == "n" else int(value)
    if priority != expected:
        plan.problems.append(f"{number}: priority {priority}, expected {expected}")
    if label and any(step.label == label for step in steps):
        plan.problems.append(f"{number}: label {label} used twice")
    steps.append(Step(priority, label, app_match.group(1), app_match.group(2), number))


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses and ${...}."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def goto_targets(step: Step) -> list[str]:
    if step.app == "Goto":
        return [step.args]
    if step.app == "GotoIf":
        _, _, branches = step.args.rpartition("]?")
        return [b for b in branches.split(":") if b]
    if step.app == "Gosub":
        return [re.sub(r"\(.*\)$", "", step.args)]
    return []


def check_target(plan: Dialplan, context: str, exten: str, step: Step, target: str) -> None:
    parts = _split_top(target)
    if len(parts) > 3:
        plan.problems.append(f"{step.line}: bad target {target!r}")
        return
    prio = parts[-1]
    exten = parts[-2] if len(parts) >= 2 else exten
    context = parts[-3] if len(parts) == 3 else context
    if context not in plan.contexts:
        plan.problems.append(f"{step.line}: no context {context}")
        return
    if "${" in exten:
        return
    steps = plan.contexts[context].get(exten)
    if steps is None:
        plan.problems.append(f"{step.line}: no extension {exten} in {context}")
    elif not any(str(s.priority) == prio or s.label == prio for s in steps):
        plan.problems.append(f"{step.line}: no priority or label {prio} in {context},{exten}")


@pytest.fixture(scope="module")
def plan() -> Dialplan:
    return parse(CONF.read_text())


def test_the_file_parses_with_coherent_priorities(plan: Dialplan) -> None:
    assert plan.problems == []
    for context, extens in plan.contexts.items():
        assert extens, f"{context} is empty"
        for exten, steps in extens.items():
            assert steps[0].priority == 1, f"{context},{exten} does not start at 1"


def test_the_parser_catches_mistakes() -> None:
    broken = parse(
        "[a]\nsame => n,NoOp()\nexten => 1,2,NoOp()\nexten => 2,1,NoOp()\n"
        " same => n(x),NoOp()\n same => n(x),NoOp()\n same => n,Goto(nowhere)\n"
    )
    for step in broken.steps():
        for target in goto_targets(step[2]):
            check_target(broken, step[0], step[1], step[2], target)
    assert len(broken.problems) == 4, broken.problems


def test_every_goto_and_gosub_lands_somewhere(plan: Dialplan) -> None:
    for context, exten, step in plan.steps():
        for target in goto_targets(step):
            check_target(plan, context, exten, step, target)
    assert plan.problems == []


def test_agi_urls_name_scripts_the_server_serves(plan: Dialplan) -> None:
    served = build_routes(
        directory=InMemoryCustomerDirectory(),
        planner=DidRoutePlanner(did_queues={}, is_open=lambda q, now: True),
        operators=InMemoryOperatorControl(endpoints=set()),
    )
    used: set[str] = set()
    for _, _, step in plan.steps():
        if step.app != "AGI":
            continue
        url = urlsplit(_split_top(step.args)[0])
        assert (url.scheme, url.hostname, url.port) == ("agi", "127.0.0.1", DEFAULT_PORT)
        script = url.path.strip("/")
        assert script in served, f"line {step.line}: no script {script!r}"
        used.add(script)
        if script == OPERATOR:
            assert parse_qs(url.query)["action"][0] in OPERATOR_ACTIONS
    assert used == set(served)


def test_stasis_calls_name_our_application(plan: Dialplan) -> None:
    stasis = [step.args.split(",")[:2] for _, _, step in plan.steps() if step.app == "Stasis"]
    assert {tuple(s) for s in stasis} == {("callrouter", "inbound"), ("callrouter", "outbound")}


def test_readme_and_file_agree_on_contexts(plan: Dialplan) -> None:
    named = set(re.findall(r"`\[(callrouter-[a-z-]+)\]`", README.read_text()))
    assert named == set(plan.contexts)
    assert {"callrouter-inbound", "callrouter-operators", "callrouter-outbound"} <= named
    assert "callrouter-trunk" in named


def test_readme_documents_every_variable(plan: Dialplan) -> None:
    readme = README.read_text()
    code = " ".join(step.args for _, _, step in plan.steps())
    in_conf = set(re.findall(r"\bCR_[A-Z_]+", code))
    set_by_routes = set(re.findall(r'"(CR_[A-Z_]+)"', Path(routes_module.__file__).read_text()))
    # CR_CUSTOMER_* are read over ARI by the ACD, not by the dialplan: check the README only.
    for variable in in_conf | set_by_routes | {STATUS_VARIABLE}:
        assert f"`{variable}`" in readme, f"{variable} is not in dialplan/README.md"
