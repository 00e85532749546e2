"""The client against the ARI contract, ``../shared/ari-spec/*.json`` (Asterisk 22.10.1).

Walks the client itself rather than a list kept here: the route table every REST method
is built from (``callrouter.ari._http.ROUTES``: method, path, query and body parameters
with their types, response class), every event model the parser knows, and every
resource model those reach. Each name must exist in the spec with a compatible type;
required-ness must agree, so an answer the spec allows is never rejected.
"""

from __future__ import annotations

import json
import types
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from callrouter.ari import EVENT_TYPES
from callrouter.ari._http import ROUTES, Many, Route, WholeBody

SPEC_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ari-spec"

pytestmark = pytest.mark.skipif(
    not SPEC_DIR.is_dir(),
    reason=f"ARI contract not found at {SPEC_DIR} (a user's clone has no ../shared): "
    "the contract test runs in the development tree only",
)

_SCALARS: dict[Any, set[str]] = {
    str: {"string"}, int: {"int", "long"}, bool: {"boolean"}, float: {"double", "float"},
    datetime: {"Date"}, dict: {"object"}, Any: {"object"},
}


@cache
def _spec() -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, dict[str, Any]]]:
    operations: dict[tuple[str, str], dict[str, Any]] = {}
    models: dict[str, dict[str, Any]] = {}
    for path in sorted(SPEC_DIR.glob("*.json")):
        doc = json.loads(path.read_text())
        for api in doc.get("apis", []):
            for op in api.get("operations", []):
                operations[(op["httpMethod"], api["path"])] = op
        models.update(doc.get("models", {}))
    return operations, models


def _operation(route: Route[Any]) -> dict[str, Any]:
    operations, _ = _spec()
    found = operations.get((route.method, route.path))
    assert found is not None, f"{route.method} {route.path} is not in the ARI spec"
    return found


def _strip_none(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) < len(get_args(annotation)):
            return (args[0] if len(args) == 1 else Union[tuple(args)]), True  # noqa: UP007
    return annotation, False


def _spec_types(annotation: Any) -> set[str]:
    """The Swagger type names a Python annotation may stand for."""
    annotation, _ = _strip_none(annotation)
    if get_origin(annotation) is Annotated:  # StorableStr: a str with a validator
        annotation = get_args(annotation)[0]
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    origin = get_origin(annotation)
    if origin is dict:
        return {"object"}
    if origin is list:
        return {f"List[{inner}]" for inner in _spec_types(get_args(annotation)[0])}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {annotation.__name__}
    raise AssertionError(f"no Swagger type known for {annotation!r}")


def _route_id(route: Route[Any]) -> str:
    return f"{route.method} {route.path}"


def test_the_route_table_is_not_empty() -> None:
    # Guards the walk below against an import that registers nothing.
    assert len(ROUTES) >= 50


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_route_exists_with_its_parameters_and_response(route: Route[Any]) -> None:
    op = _operation(route)
    params = {p["name"]: p for p in op.get("parameters", [])}
    assert op["responseClass"] == route.result.spec_name

    for name in route.path_params():
        assert params.get(name, {}).get("paramType") == "path", f"path parameter {name}"

    for name, kind in route.query.items():
        spec = params.get(name)
        assert spec is not None, f"query parameter {name!r} not in the spec"
        assert spec["paramType"] == "query", name
        if kind is Many:
            assert spec["dataType"] == "string" and spec.get("allowMultiple"), name
        elif get_origin(kind) is Literal:
            assert spec["dataType"] == "string", name
            allowed = spec.get("allowableValues", {}).get("values")
            assert allowed is not None, f"{name}: spec has no list of values"
            assert set(get_args(kind)) <= set(allowed), name
        else:
            assert spec["dataType"] in _SCALARS[kind], f"{name}: {spec['dataType']} vs {kind}"

    for name, kind in route.body.items():
        spec = params.get(name)
        assert spec is not None and spec["paramType"] == "body", f"body parameter {name!r}"
        assert kind in (dict, WholeBody) and spec["dataType"] in {"containers", "object"}, name

    required = {
        name for name, p in params.items()
        if p.get("required") and p["paramType"] in ("query", "body")
    }
    declared = set(route.query) | set(route.body)
    assert required <= declared, f"required parameters missing: {required - declared}"


def _models_reached() -> dict[str, type[BaseModel]]:
    """Every model reachable from the event models and the routes' results."""
    found: dict[str, type[BaseModel]] = {}
    pending: list[Any] = list(EVENT_TYPES.values())
    pending += [getattr(r.result, "model", None) for r in ROUTES]
    while pending:
        item = pending.pop()
        if get_origin(item) is not None or isinstance(item, types.UnionType):
            pending.extend(get_args(item))
            continue
        if not (isinstance(item, type) and issubclass(item, BaseModel)):
            continue
        if item.__name__ in found:
            continue
        found[item.__name__] = item
        pending.extend(f.annotation for f in item.model_fields.values())
    return found


_EVENT_BASE = ("Message", "Event")


@pytest.mark.parametrize(
    "model", [m for _, m in sorted(_models_reached().items())],
    ids=lambda m: str(getattr(m, "__name__", m)),
)
def test_model_fields_exist_with_compatible_types(model: type[BaseModel]) -> None:
    _, spec_models = _spec()
    assert model.__name__ in spec_models, f"{model.__name__} is not a model in the spec"
    properties = dict(spec_models[model.__name__]["properties"])
    if model.__name__ in EVENT_TYPES:
        for base in _EVENT_BASE:
            properties.update(spec_models[base]["properties"])
    for name, info in model.model_fields.items():
        wire = info.alias or name
        spec = properties.get(wire)
        assert spec is not None, f"{model.__name__}.{wire} is not in the spec"
        assert spec["type"] in _spec_types(info.annotation), (
            f"{model.__name__}.{wire}: spec {spec['type']} vs {info.annotation}"
        )
        # Required here only where the spec requires it: a valid answer must parse.
        if info.is_required():
            assert spec.get("required") is True, f"{model.__name__}.{wire} is optional"
    for wire, spec in properties.items():
        if spec.get("required") is True:
            assert wire in model.model_fields, f"{model.__name__} lacks required {wire}"


def test_every_event_model_is_a_spec_event() -> None:
    _, spec_models = _spec()
    sub_types = set(spec_models["Event"]["subTypes"])
    assert set(EVENT_TYPES) <= sub_types
    wanted = {
        "StasisStart", "StasisEnd", "ChannelStateChange", "ChannelHangupRequest",
        "ChannelDestroyed", "ChannelEnteredBridge", "ChannelLeftBridge",
        "ChannelDtmfReceived", "ChannelVarset", "Dial", "PlaybackStarted",
        "PlaybackFinished", "RecordingStarted", "RecordingFinished", "RecordingFailed",
        "BridgeDestroyed", "BridgeCreated", "ChannelCallerId", "ChannelConnectedLine",
        "EndpointStateChange", "DeviceStateChanged", "ApplicationReplaced",
    }
    assert wanted <= set(EVENT_TYPES)
