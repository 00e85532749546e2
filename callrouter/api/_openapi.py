"""A tiny OpenAPI 3.1 generator that walks the route table.

OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what pydantic emits, so model
schemas go into ``components.schemas`` unchanged. Path and query models become
parameters, one per field. Nothing here is hand-written per endpoint: a route that is
in the table is in the document, with the statuses the table declares.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from callrouter.api._models import ErrorBody
from callrouter.api._table import Route

__all__ = ["build_openapi"]

_REF_TEMPLATE = "#/components/schemas/{model}"
_SECURITY_SCHEME = "bearerAuth"
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_STATUS_TEXT: Mapping[int, str] = {
    200: "OK",
    201: "Created",
    202: "Accepted: the work has started",
    400: "The body is not a JSON object",
    401: "No bearer token (see WWW-Authenticate)",
    403: "Wrong token",
    404: "No such thing",
    409: "Refused by the current state",
    422: "Invalid input: error.fields names each bad field",
    500: "Internal error",
    502: "Asterisk, PostgreSQL or the CRM failed",
    503: "Degraded: Asterisk or the database is unreachable",
}


def build_openapi(
    routes: Iterable[Route], *, title: str, version: str, description: str = ""
) -> dict[str, Any]:
    routes = tuple(routes)
    refs, schemas = _component_schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation = _operation(route, refs, schemas)
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "tags": [{"name": tag} for tag in dict.fromkeys(r.tag for r in routes)],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                _SECURITY_SCHEME: {"type": "http", "scheme": "bearer"},
            },
        },
    }


_Key = tuple[type[BaseModel], JsonSchemaMode]


def _component_schemas(
    routes: tuple[Route, ...],
) -> tuple[dict[_Key, dict[str, Any]], dict[str, Any]]:
    keys: dict[_Key, None] = {(ErrorBody, "serialization"): None}
    for route in routes:
        if route.body is not None:
            keys[(route.body, "validation")] = None
        if route.response is not None:
            keys[(route.response, "serialization")] = None
    refs, top = models_json_schema(list(keys), ref_template=_REF_TEMPLATE)
    return {key: refs[key] for key in keys}, dict(top.get("$defs", {}))


def _operation(
    route: Route, refs: Mapping[_Key, dict[str, Any]], schemas: dict[str, Any]
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
        "security": [{_SECURITY_SCHEME: []}] if route.auth else [],
    }
    if route.description:
        operation["description"] = route.description
    parameters = [
        *_parameters(route.path_params, "path", schemas),
        *_parameters(route.query, "query", schemas),
    ]
    _check_path_params(route, parameters)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": bool(route.body.model_json_schema().get("required")),
            "content": {"application/json": {"schema": refs[(route.body, "validation")]}},
        }
    operation["responses"] = _responses(route, refs)
    return operation


def _parameters(
    model: type[BaseModel] | None, where: str, schemas: dict[str, Any]
) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=_REF_TEMPLATE)
    schemas.update(schema.get("$defs", {}))
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema.get("properties", {}).items():
        field_schema = dict(field_schema)
        field_schema.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": field_schema,
        }
        if "description" in field_schema:
            parameter["description"] = field_schema.pop("description")
        parameters.append(parameter)
    return parameters


def _check_path_params(route: Route, parameters: list[dict[str, Any]]) -> None:
    # A template placeholder without a model field (or the reverse) would let a
    # handler run on unvalidated input; refuse to build the document at all.
    in_template = set(_PATH_PARAM.findall(route.path))
    in_model = {p["name"] for p in parameters if p["in"] == "path"}
    if in_template != in_model:
        raise ValueError(
            f"{route.method} {route.path}: path placeholders {sorted(in_template)}"
            f" but path model fields {sorted(in_model)}"
        )


def _responses(route: Route, refs: Mapping[_Key, dict[str, Any]]) -> dict[str, Any]:
    if route.response is not None:
        success = {"application/json": {"schema": refs[(route.response, "serialization")]}}
    else:
        success = {route.media_type or "application/octet-stream": {}}
    responses: dict[str, Any] = {}
    for status in (route.status, *route.also_status):
        responses[str(status)] = {"description": _STATUS_TEXT[status], "content": success}
    error_statuses = set(route.errors) | {500}
    if route.auth:
        error_statuses |= {401, 403}
    if route.path_params or route.query or route.body:
        error_statuses.add(422)
    if route.body is not None:
        error_statuses.add(400)
    error_content = {"application/json": {"schema": refs[(ErrorBody, "serialization")]}}
    for status in sorted(error_statuses):
        response: dict[str, Any] = {"description": _STATUS_TEXT[status], "content": error_content}
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        responses[str(status)] = response
    return responses
