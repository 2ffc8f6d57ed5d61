"""Checks requests against LINE's own OpenAPI file and answers failures as LINE does.

Two adjustments make LINE's file usable by openapi-core, both made in memory at load:

* `servers` are dropped, so paths match whatever host the stand-in runs on (LINE splits
  its API over api.line.me and api-data.line.me; the stand-in serves both).
* LINE's polymorphic types (`Message`, `Action`, `Template`, `FlexComponent`, ...) are a
  base schema with a `discriminator` and no `oneOf`; openapi-schema-validator only follows
  a discriminator inside `oneOf`/`anyOf`/`allOf`, so a text message would be checked only
  as a bare `Message`. Each such base becomes `oneOf` its mapping (plus an `enum` on the
  discriminating property), and the subtypes inherit from an untouched copy `<Name>__base`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import yaml
from jsonschema.exceptions import ValidationError
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import OperationNotFound, PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.validation.request.exceptions import (
    InvalidRequestBody,
    MissingRequiredRequestBody,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from bot.dev.standin import limits
from bot.dev.standin.errors import NOT_FOUND, LineError, body_errors, invalid_property

_BASE = "__base"
_COMBINERS = {"oneOf", "anyOf", "allOf"}
_HOST = "http://standin.invalid"  # any host: the spec carries no servers after loading


def load_spec(path: Path) -> dict[str, Any]:
    """Read one of LINE's OpenAPI files and apply the two adjustments above."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=loader)
    spec.pop("servers", None)
    for item in spec.get("paths", {}).values():
        item.pop("servers", None)
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("servers", None)
    make_polymorphic(spec["components"]["schemas"])
    return spec


def make_polymorphic(schemas: dict[str, Any]) -> None:
    """Turn discriminator-only base schemas into `oneOf` their mapping, in place."""
    bases = {
        name
        for name, schema in schemas.items()
        if "mapping" in schema.get("discriminator", {}) and not _COMBINERS & schema.keys()
    }
    for name in bases:
        schemas[name + _BASE] = {k: v for k, v in schemas[name].items() if k != "discriminator"}
    for schema in schemas.values():
        for part in schema.get("allOf", []):
            ref = part.get("$ref", "")
            if ref.rsplit("/", 1)[-1] in bases:
                part["$ref"] = ref + _BASE
    for name in bases:
        discriminator = schemas[name]["discriminator"]
        prop = discriminator["propertyName"]
        schemas[name] = {
            "type": "object",
            "required": [prop],
            "properties": {prop: {"type": "string", "enum": list(discriminator["mapping"])}},
            "oneOf": [{"$ref": ref} for ref in discriminator["mapping"].values()],
            "discriminator": discriminator,
        }


def schema_errors(spec: Mapping[str, Any], schema_name: str, instance: Any) -> list[str]:
    """Messages of every way `instance` breaks the named component schema of `spec`."""
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    return [
        f"{_line_path(error.absolute_path) or '<root>'}: {error.message}"
        for error in OAS30Validator(root).iter_errors(instance)
    ]


@dataclass
class _Request:
    """The request as openapi-core's `Request` protocol wants it."""

    method: str
    path: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)
    host_url: str = _HOST


class Contract:
    """LINE's Messaging API contract, loaded once: finds operations and checks requests."""

    def __init__(self, spec_path: Path) -> None:
        self.spec = load_spec(spec_path)
        self._openapi = OpenAPI.from_dict(self.spec)
        self._finder = APICallPathFinder(self._openapi.spec)

    def operation_id(self, method: str, path: str) -> str:
        """The operationId serving `method path`; LINE's 404 or 405 if there is none."""
        try:
            found = self._finder.find(method.lower(), urljoin(_HOST, path))
        except OperationNotFound as exc:
            raise LineError(405, "Method Not Allowed") from exc
        except PathError as exc:
            raise LineError(404, NOT_FOUND) from exc
        return str(found.operation["operationId"])

    def check(
        self,
        *,
        operation_id: str,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        content_type: str,
    ) -> None:
        """Raise the LineError LINE would answer if the request breaks the contract."""
        document = _parse_json(body, content_type)
        request = _Request(
            method=method.lower(),
            path=path,
            body=body or None,
            content_type=content_type or "application/octet-stream",
            parameters=RequestParameters(
                query=ImmutableMultiDict(list(query.items())), header=Headers(dict(headers))
            ),
        )
        details: list[dict[str, str]] = []
        for error in self._openapi.iter_request_errors(request):
            details.extend(_translate(error))
        details.extend(limits.check(operation_id, document))
        if details:
            raise body_errors(_unique(details))


def _parse_json(body: bytes, content_type: str) -> Any:
    if not body or "json" not in content_type:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line, column = (exc.lineno, exc.colno) if isinstance(exc, json.JSONDecodeError) else (1, 1)
        raise LineError(
            400, f"The request body could not be parsed as JSON (line: {line}, column: {column})"
        ) from exc


def _translate(error: Exception) -> list[dict[str, str]]:
    """LINE-style details for one openapi-core error; raises for errors without details."""
    if isinstance(error, SecurityValidationError):
        return []  # the stand-in checks the token itself, before the contract
    if isinstance(error, ParameterValidationError):
        if error.location == "path":
            raise LineError(404, NOT_FOUND) from error
        raise LineError(400, f"The {error.location} parameter, '{error.name}', is invalid")
    if isinstance(error, MissingRequiredRequestBody):
        raise LineError(400, "The request body could not be parsed as JSON (line: 1, column: 0)")
    cause = error.__cause__
    if isinstance(error, RequestBodyValidationError) and isinstance(cause, MediaTypeNotFound):
        raise LineError(415, f"The content type, {cause.mimetype}, is not supported") from error
    if isinstance(error, InvalidRequestBody):
        return _schema_details(getattr(cause, "schema_errors", ()))
    raise LineError(400, str(error)) from error


def _schema_details(errors: Iterable[ValidationError]) -> list[dict[str, str]]:
    details: list[dict[str, str]] = []
    for error in errors:
        prop = _line_path(error.absolute_path)
        if error.validator == "type":
            # LINE parses JSON into typed objects before validating: a wrong type ends it.
            raise invalid_property(prop)
        if error.validator in _COMBINERS and "discriminator" in error.schema:
            continue  # an unknown discriminator value; the `enum` on it already says so
        if error.validator == "required":
            details.extend(
                {"message": "May not be empty", "property": _join(prop, name)}
                for name in error.validator_value
                if isinstance(error.instance, dict) and name not in error.instance
            )
            continue
        details.append({"message": _wording(error), "property": prop})
    return details


def _wording(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    kind = error.validator
    if kind in ("minItems", "maxItems"):
        low, high = schema.get("minItems", 0), schema.get("maxItems", 2147483647)
        return f"Size must be between {low} and {high}"
    if kind in ("minLength", "maxLength"):
        low, high = schema.get("minLength", 0), schema.get("maxLength", 2147483647)
        return f"Length must be between {low} and {high}"
    if kind == "minimum":
        return f"Must be greater than or equal to {error.validator_value}"
    if kind == "maximum":
        return f"Must be less than or equal to {error.validator_value}"
    if kind == "enum":
        values = ", ".join(str(value) for value in error.validator_value)
        return f"Must be one of the following values: [{values}]"
    if kind == "pattern":
        return f'Must match "{error.validator_value}"'
    return str(error.message)


def _line_path(parts: Iterable[Any]) -> str:
    """A JSON location the way LINE writes it: `messages[0].quickReply.items[13]`."""
    out = ""
    for part in parts:
        out = f"{out}[{part}]" if isinstance(part, int) else _join(out, str(part))
    return out


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _unique(details: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for detail in details:
        key = (detail.get("property", ""), detail["message"])
        if key not in seen:
            seen.add(key)
            out.append(detail)
    return out
