"""/openapi.json: generated from the route table, complete, and valid OpenAPI 3.1."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from pydantic import BaseModel

from callrouter.api import ROUTES, Route, build_openapi
from callrouter.api._table import Inputs


async def _document(anon: aiohttp.ClientSession) -> dict[str, Any]:
    async with anon.get("/openapi.json") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        document: dict[str, Any] = await response.json()
    return document


async def test_lists_every_route_with_its_method(anon: aiohttp.ClientSession) -> None:
    document = await _document(anon)
    assert document["openapi"] == "3.1.0"
    listed = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    expected = {
        ("GET", "/openapi.json"),
        ("GET", "/api/v1/health"),
        ("GET", "/api/v1/operators"),
        ("POST", "/api/v1/operators/{operator_id}/login"),
        ("POST", "/api/v1/operators/{operator_id}/logout"),
        ("POST", "/api/v1/operators/{operator_id}/pause"),
        ("POST", "/api/v1/operators/{operator_id}/unpause"),
        ("POST", "/api/v1/calls"),
        ("GET", "/api/v1/calls"),
        ("GET", "/api/v1/calls/{call_id}"),
        ("GET", "/api/v1/calls/{call_id}/recording"),
        ("POST", "/api/v1/calls/{call_id}/recording/pause"),
        ("POST", "/api/v1/calls/{call_id}/recording/resume"),
        ("POST", "/api/v1/calls/{call_id}/transfer"),
        ("POST", "/api/v1/campaigns/{campaign}/next-lead"),
        ("POST", "/api/v1/callbacks"),
        ("POST", "/api/v1/calls/{call_id}/recording/start"),
        ("GET", "/api/v1/queues"),
        ("GET", "/api/v1/callbacks"),
        ("POST", "/api/v1/attempts/{attempt_id}/disposition"),
        ("GET", "/api/v1/reports/queues"),
        ("GET", "/api/v1/reports/operators"),
        ("GET", "/api/v1/reports/campaigns"),
        ("GET", "/api/v1/customers"),
        ("GET", "/api/v1/customers/{phone}"),
        ("POST", "/api/v1/customers"),
        ("GET", "/api/v1/dnc"),
        ("POST", "/api/v1/dnc"),
        ("POST", "/api/v1/dnc/remove"),
        ("GET", "/metrics"),
        ("POST", "/api/v1/plan"),
        ("POST", "/api/v1/plan/chart"),
        ("POST", "/api/v1/calls/{call_id}/transfer/blind"),
        ("POST", "/api/v1/calls/{call_id}/consult"),
        ("POST", "/api/v1/calls/{call_id}/consult/complete"),
        ("POST", "/api/v1/calls/{call_id}/consult/conference"),
        ("POST", "/api/v1/calls/{call_id}/consult/cancel"),
        ("POST", "/api/v1/calls/{call_id}/monitor"),
        ("POST", "/api/v1/calls/{call_id}/monitor/{monitor_id}/mode"),
        ("POST", "/api/v1/calls/{call_id}/monitor/{monitor_id}/stop"),
    }
    assert listed == expected == {(r.method, r.path) for r in ROUTES}


async def test_operations_are_described(anon: aiohttp.ClientSession) -> None:
    document = await _document(anon)
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    for op in operations:
        assert op["summary"]
        assert "500" in op["responses"]
    click = document["paths"]["/api/v1/calls"]["post"]
    assert click["requestBody"]["required"] is True
    assert click["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ClickToCallIn"
    }
    assert set(click["responses"]) >= {"202", "400", "401", "403", "409", "422", "502"}
    schema = document["components"]["schemas"]["ClickToCallIn"]
    # number is required unless lead_id names a preview lead (checked by the model).
    assert set(schema["required"]) == {"operator_id"}
    assert "lead_id" in schema["properties"]["number"]["description"]
    pause = document["paths"]["/api/v1/operators/{operator_id}/pause"]["post"]
    assert pause["requestBody"]["required"] is False
    calls = document["paths"]["/api/v1/calls"]["get"]
    assert {p["name"] for p in calls["parameters"]} == {"limit", "queue", "outcome"}
    assert all(p["in"] == "query" for p in calls["parameters"])
    assert document["paths"]["/api/v1/health"]["get"]["security"] == []
    assert calls["security"] == [{"bearerAuth": []}]


async def test_every_ref_resolves(anon: aiohttp.ClientSession) -> None:
    document = await _document(anon)
    text = repr(document)
    for name in set(re.findall(r"#/components/schemas/([A-Za-z0-9_.-]+)", text)):
        assert name in document["components"]["schemas"], name


async def test_validates_as_openapi_3_1(anon: aiohttp.ClientSession) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(await _document(anon))


async def _nothing(inp: Inputs) -> BaseModel:
    raise AssertionError("never called")


class _NoFields(BaseModel):
    pass


def test_path_placeholder_without_model_field_is_refused() -> None:
    route = Route("GET", "/x/{thing_id}", "x", _nothing, tag="t", path_params=_NoFields)
    with pytest.raises(ValueError, match="thing_id"):
        build_openapi([route], title="t", version="0")
