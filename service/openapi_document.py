"""The OpenAPI document, finished so that it says exactly what the server does.

Litestar builds the paths, parameters and responses from the handlers; what it
cannot say, this module adds once per app:

- Every msgspec Struct (bodies and response shapes) is described by msgspec's
  own JSON Schema of it, so a body's lengths, counts, patterns, enums, formats
  (uuid, date-time) and refused unknown fields (`additionalProperties: false`)
  are stated from the very constraints msgspec enforces: one definition of
  each limit, used by both.
- Every query and path parameter is described by msgspec's JSON Schema of
  the signature model of its handler (or dependency), the very type that
  validates it (Litestar's own description drops the limits of optional
  parameters).
- What a Struct's fields cannot say (a body that needs exactly one of two
  fields) comes from its `json_schema_extra` class variable.
- Responses in another media type than JSON (the creators' CSV beside their
  JSON page) come from the handler's `opt[EXTRA_CONTENT]`.
- Component schemas no operation refers to are left out.

No examples (Litestar's are random), so two starts give byte-identical documents.
"""

from collections.abc import Iterator
from copy import deepcopy
from typing import Any, Final

import msgspec
from litestar import Litestar

# Private, and the one way to see which Structs the document uses: Litestar exports no Struct schema
# plugin to extend (its own is registered internally), so ours subclasses it (pinned Litestar version).
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition
from litestar.utils.signature import ParsedSignature

from service.auth import SAFE_METHODS
from service.errors import ErrorBody
from service.validation import BODY_METHODS

BEARER_SCHEME: Final = "BearerToken"
ITEM_SCHEMA: Final = "x-itemSchema"
"""Media type extension: the schema of each item of a stream (OpenAPI 3.2's `itemSchema`, unknown to 3.1)."""
EXTRA_CONTENT: Final = "openapi_extra_content"
"""Handler opt key: {status: {media type: OpenAPI media type object}} documented beside the JSON."""

_SCHEMAS_REF = "#/components/schemas/{name}"
_ALSO_DOCUMENTED: set[type[msgspec.Struct]] = set()


def document_also(struct: type[msgspec.Struct]) -> None:
    """Give `struct` a component schema even though only a hand-written schema refers to it."""
    _ALSO_DOCUMENTED.add(struct)


class DocumentedStructs(StructSchemaPlugin):
    """Litestar's Struct schema plugin that also notes every Struct the document uses.

    One instance per app (see `service.app`); it holds the finished document too.
    """

    def __init__(self) -> None:
        self.types: set[type[msgspec.Struct]] = set()
        self.finished: dict[str, Any] | None = None

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Any:
        self.types.add(field_definition.type_)
        return super().to_openapi_schema(field_definition, schema_creator)


def finished_document(app: Litestar, litestar_document: dict[str, Any]) -> dict[str, Any]:
    """The document served for `app`: Litestar's, finished as the module docstring says (built once)."""
    structs = app.plugins.get(DocumentedStructs)
    if structs.finished is None:
        document: dict[str, Any] = msgspec.to_builtins(deepcopy(litestar_document))
        _, components = msgspec.json.schema_components(
            sorted(structs.types | _ALSO_DOCUMENTED, key=lambda t: t.__name__), ref_template=_SCHEMAS_REF
        )
        for struct in structs.types | _ALSO_DOCUMENTED:
            components[struct.__name__].update(getattr(struct, "json_schema_extra", {}))
        document["components"]["schemas"].update(components)
        _describe_parameters(app, document)
        _add_extra_content(app, document)
        _document_refused_changes(document)
        _declare_headers(document)
        _drop_examples(document["paths"])
        _drop_unreferenced_schemas(document)
        structs.finished = document
    return structs.finished


def _operations(app: Litestar, document: dict[str, Any]) -> Iterator[tuple[HTTPRouteHandler, dict[str, Any]]]:
    """Each documented operation with its handler."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in document["paths"]:
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if (operation := document["paths"][route.path_format].get(method.lower())) is not None:
                    yield handler, operation


def _any_type(kind: type) -> dict[str, Any]:
    """State, Request and the like: not parameters, so never shown."""
    return {"title": kind.__name__}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or has a value; it is never null."""
    if "anyOf" not in schema:
        return schema
    arms = [arm for arm in schema["anyOf"] if arm != {"type": "null"}]
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**arms[0], **rest} if len(arms) == 1 else {"anyOf": arms, **rest}


def _parameter_schemas(
    signature: ParsedSignature, model: type[msgspec.Struct], document: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """{name on the wire: schema} of the parameters of one signature (a handler's or a dependency's)."""
    _, definitions = msgspec.json.schema_components([model], schema_hook=_any_type, ref_template=_SCHEMAS_REF)
    fields = definitions.pop(model.__name__)["properties"]
    for name, definition in definitions.items():  # enums of parameters; Structs are there already
        document["components"]["schemas"].setdefault(name, definition)
    schemas = {}
    for name, field in signature.parameters.items():
        kwarg = field.kwarg_definition
        if name not in fields:
            continue
        schema = _without_null(fields[name])
        alias = name
        if isinstance(kwarg, ParameterKwarg):
            alias = kwarg.name or kwarg.query or kwarg.header or kwarg.cookie or name
            schema = {**schema, **({"format": kwarg.format} if kwarg.format else {}), **(kwarg.schema_extra or {})}
        if schema.get("default", "") is None:
            del schema["default"]  # absent means no filter
        schemas[alias] = schema
    return schemas


def _describe_parameters(app: Litestar, document: dict[str, Any]) -> None:
    for handler, operation in _operations(app, document):
        schemas: dict[str, dict[str, Any]] = {}
        for provider in handler.resolve_dependencies().values():
            schemas.update(_parameter_schemas(provider.parsed_fn_signature, provider.signature_model, document))
        schemas.update(_parameter_schemas(handler.parsed_fn_signature, handler.signature_model, document))
        for parameter in operation.get("parameters", []):
            schema = schemas.get(parameter["name"])
            if schema is None:
                continue
            if description := parameter.get("description"):
                schema = {**schema, "description": description}
            parameter["schema"] = schema


def _add_extra_content(app: Litestar, document: dict[str, Any]) -> None:
    for handler, operation in _operations(app, document):
        for status, content in handler.opt.get(EXTRA_CONTENT, {}).items():
            operation["responses"][str(status)]["content"].update(content)


_ERROR_CONTENT = {"application/json": {"schema": {"$ref": _SCHEMAS_REF.format(name=ErrorBody.__name__)}}}
_FORBIDDEN = (
    "Not allowed: a change authenticated by the session cookie whose Origin (else Referer) is not one of "
    "ALLOWED_ORIGINS, or an admin route without the admin role"
)
_TOO_LARGE = "Request body too large (over MAX_BODY_BYTES)"
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer", "minimum": 1}}
}
_DOWNLOAD = {
    "Content-Disposition": {
        "description": 'With text/csv: `attachment; filename="…csv"` (a download)',
        "schema": {"type": "string"},
    }
}


def _document_refused_changes(document: dict[str, Any]) -> None:
    """Every change under /api may be refused before its handler runs, whatever the handler declares:
    403 by the cookie's origin check (CSRF), and 413 by the body size limit where the body is read."""
    for path, item in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method.upper() in SAFE_METHODS:
                continue
            responses = operation["responses"]
            responses["403"] = {"description": _FORBIDDEN, "content": deepcopy(_ERROR_CONTENT)}
            if method.upper() in BODY_METHODS:  # a DELETE body is never read
                responses.setdefault("413", {"description": _TOO_LARGE, "content": deepcopy(_ERROR_CONTENT)})
            operation["responses"] = dict(sorted(responses.items()))


def _declare_headers(document: dict[str, Any]) -> None:
    """Retry-After on every 429 and 503 (service.errors sets it on each), Content-Disposition on CSV downloads."""
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if status in ("429", "503"):
                    response["headers"] = deepcopy(_RETRY_AFTER)
                elif "text/csv" in response.get("content", {}):
                    response["headers"] = deepcopy(_DOWNLOAD)


def _drop_examples(node: Any) -> None:
    """Litestar makes up random examples for some responses: none, so that every start gives the same document."""
    if isinstance(node, dict):
        node.pop("examples", None)
        node.pop("example", None)
        for value in node.values():
            _drop_examples(value)
    elif isinstance(node, list):
        for item in node:
            _drop_examples(item)


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _references(value)
        return found
    if isinstance(node, list):
        return set().union(*(_references(item) for item in node)) if node else set()
    return set()


def _drop_unreferenced_schemas(document: dict[str, Any]) -> None:
    """Keep the component schemas reachable from the paths (directly or through other schemas)."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    reachable: set[str] = set()
    pending = _references(document["paths"])
    while pending:
        name = pending.pop()
        if name not in reachable and name in schemas:
            reachable.add(name)
            pending |= _references(schemas[name])
    document["components"]["schemas"] = {name: schemas[name] for name in sorted(reachable)}
