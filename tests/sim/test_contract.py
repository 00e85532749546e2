"""Every ARI path the simulator serves and every event field it sends is in the spec.

Reads the Swagger files from ``../shared/ari-spec/`` (beside the project); where that
folder is absent, as in a user's clone, the test skips and says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.sim._support import Ari, Events

SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "ari-spec"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_DIR.is_dir():
        pytest.skip(f"ARI spec not found at {SPEC_DIR} (it lives in ../shared beside the project)")
    apis: set[tuple[str, str]] = set()
    models: dict[str, dict[str, Any]] = {}
    for path in SPEC_DIR.glob("*.json"):
        doc = json.loads(path.read_text())
        for api in doc.get("apis", []):
            for op in api.get("operations", []):
                apis.add((op["httpMethod"], api["path"]))
        models.update(doc.get("models", {}))
    return {"apis": apis, "models": models}


def _properties(models: dict[str, Any], name: str) -> dict[str, Any]:
    """A model's properties including those of the models it extends (Event, Message)."""
    properties = dict(models[name].get("properties", {}))
    for parent, model in models.items():
        if name in model.get("subTypes", []):
            properties.update(_properties(models, parent))
    return properties


def test_every_served_ari_path_is_in_the_spec(spec: dict[str, Any], tmp_path: Path) -> None:
    app = SimulatedAsterisk(recordings_dir=tmp_path).build_app()
    served = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/ari/") and route.method != "HEAD":
            served.add((route.method, path.removeprefix("/ari")))
    assert served, "no ARI routes found"
    assert served <= spec["apis"], sorted(served - spec["apis"])


def _check(models: dict[str, Any], name: str, value: dict[str, Any], where: str) -> None:
    properties = _properties(models, name)
    extra = set(value) - set(properties)
    assert not extra, f"{where}: {name} has fields not in the spec: {sorted(extra)}"
    for key, item in value.items():
        kind = properties[key].get("type", "")
        if isinstance(item, dict) and kind in models:
            _check(models, kind, item, f"{where}.{key}")


async def test_every_event_field_is_in_the_spec(
    spec: dict[str, Any], ari: Ari, events: Events, sim_control: SimControl
) -> None:
    await _busy_day(ari, events, sim_control)
    sent = await sim_control.events()
    types = {event["type"] for event in sent}
    assert {"StasisStart", "Dial", "RecordingFinished", "PlaybackFinished"} <= types
    for event in sent:
        assert event["type"] in spec["models"], event["type"]
        _check(spec["models"], event["type"], event, event["type"])
    for reply in (await ari.call("GET", "/channels"), await ari.call("GET", "/bridges")):
        for item in reply.body:
            _check(spec["models"], "Channel" if "state" in item else "Bridge", item, "REST")


async def _busy_day(ari: Ari, events: Events, sim_control: SimControl) -> None:
    """A call that touches most of what the simulator can emit."""
    await sim_control.set_endpoint("Local", "101@operators", answer_after=1)
    await sim_control.set_endpoint("PJSIP", "busy", behavior="busy")
    call = await sim_control.place_call(caller_name="Alice")
    cid = call["id"]
    await events.next("StasisStart", channel__id=cid)
    await ari.call("POST", f"/channels/{cid}/answer")
    await ari.call("POST", f"/channels/{cid}/hold")
    await ari.call("DELETE", f"/channels/{cid}/hold")
    await ari.call("POST", f"/channels/{cid}/variable", {"variable": "X", "value": "1"})
    bridge = (await ari.call("POST", "/bridges", {"type": "mixing", "name": "b"})).body["id"]
    await ari.call("POST", f"/bridges/{bridge}/addChannel", {"channel": cid})
    op = await ari.call(
        "POST", "/channels", {"endpoint": "Local/101@operators", "app": "callrouter"}
    )
    await events.next("StasisStart", channel__id=op.body["id"])
    await ari.call("POST", f"/bridges/{bridge}/addChannel", {"channel": op.body["id"]})
    await ari.call("POST", "/channels", {"endpoint": "PJSIP/busy", "app": "callrouter"})
    await ari.call("POST", f"/bridges/{bridge}/record", {"name": "c", "format": "wav"})
    await ari.call("POST", f"/bridges/{bridge}/play", {"media": "sound:beep,digits:1"})
    await events.next("PlaybackFinished")
    await sim_control.send_dtmf(cid, "5")
    await events.next("ChannelDtmfReceived")
    await ari.call("POST", "/recordings/live/c/stop")
    await ari.call("POST", f"/channels/{cid}/record", {"name": "fails", "format": "wav"})
    await events.next("RecordingFailed")
    await sim_control.hangup(op.body["id"])
    await ari.call("DELETE", f"/bridges/{bridge}")
    await events.next("BridgeDestroyed")
    await sim_control.hangup(cid)
    await events.next("StasisEnd", channel__id=cid)
