"""Input read with JSON's and the document's own types, not msgspec's lax ones.

Litestar converts a request (body, query) with msgspec's lax rules: `0` or
`"false"` as false, `"5"` as 5, and the query value `null` as "not given", so
input the OpenAPI document refuses could pass. This hook, run before Litestar
converts anything, refuses such input with a 400 in the form of Litestar's own
validation errors. Two lax conversions stay, because JSON Schema agrees: an
integral float (`5.0`) is an integer. Malformed JSON and oversized bodies are
left to Litestar, which answers them itself.
"""

import re
from typing import Any, NamedTuple

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg

from service.validation import refuse_unstorable_text

_AT_PATH = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<path>[^`]*)`$")
_INTEGRAL_FLOAT = re.compile(r"^Expected `int( \| null)?`, got `float`")


def _invalid(key: str, message: str) -> ValidationException:
    return ValidationException(detail="Validation failed", extra=[{"key": key, "message": message}])


def _body_struct(handler: HTTPRouteHandler) -> type[msgspec.Struct] | None:
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None or not field.is_subclass_of(msgspec.Struct):
        return None
    body_type: type[msgspec.Struct] = field.annotation
    return body_type


def _non_text_query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    """Query parameters (of the handler or its dependencies) whose values are not free text."""
    signatures = [
        handler.parsed_fn_signature,
        *(p.parsed_fn_signature for p in handler.resolve_dependencies().values()),
    ]
    names = set()
    for name, field in (item for signature in signatures for item in signature.parameters.items()):
        kwarg = field.kwarg_definition
        if isinstance(kwarg, ParameterKwarg) and field.is_optional:
            inner = [t.annotation for t in field.inner_types if not t.is_none_type]
            if str not in inner:
                names.add(kwarg.name or kwarg.query or name)
    return frozenset(names)


class _HandlerInput(NamedTuple):
    body_type: type[msgspec.Struct] | None
    non_text_query_names: frozenset[str]


# What a handler takes depends on its signature only: worked out once per handler, not per request,
# and kept in the handler's own `opt` (Litestar's place for data about a handler).
_INPUT_KEY = "strict_input"


def _input_of(handler: HTTPRouteHandler) -> _HandlerInput:
    found: _HandlerInput | None = handler.opt.get(_INPUT_KEY)
    if found is None:
        found = handler.opt[_INPUT_KEY] = _HandlerInput(_body_struct(handler), _non_text_query_names(handler))
    return found


async def refuse_loose_input(request: Request[Any, Any, Any]) -> None:
    body_type, non_text_query_names = _input_of(request.route_handler)
    for name in non_text_query_names:
        if "null" in request.query_params.getall(name, []):
            raise _invalid(name, "must be left out rather than null")
    if body_type is None:
        return
    try:
        msgspec.json.decode(await request.body(), type=body_type, strict=True)
    except msgspec.ValidationError as exc:
        found = _AT_PATH.match(str(exc))
        key, message = (found["path"] or "data", found["message"]) if found else ("data", str(exc))
        if _INTEGRAL_FLOAT.match(message):
            return  # 5.0 is an integer for JSON Schema; Litestar's conversion takes it (and refuses 5.5)
        raise _invalid(key, message) from None
    except msgspec.DecodeError:
        return


async def refuse_unusable_input(request: Request[Any, Any, Any]) -> None:
    """Every route's first step: text PostgreSQL cannot store, then input of the wrong JSON types."""
    await refuse_unstorable_text(request)
    await refuse_loose_input(request)
