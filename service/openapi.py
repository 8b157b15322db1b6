"""The OpenAPI document and a Swagger UI (5.x, which reads OpenAPI 3.1) whose assets are served locally.

Litestar builds the paths; `service.openapi_document` then makes the document
say exactly what the server does (see there). All three renderings (the UI,
JSON, YAML) show that finished document.
"""

from importlib.util import find_spec
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.types import Method
from litestar.types.internal_types import PathParameterDefinition

from service.openapi_document import BEARER_SCHEME, finished_document

ASSETS_PATH = "/schema-assets"
COOKIE_SCHEME = "SessionCookie"


def _swagger_ui_directory() -> Path:
    """The swagger-ui-py package's copy of swagger-ui-dist (found without importing the package)."""
    spec = find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing; install the project's dependencies")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


class _SwaggerUI(SwaggerRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, finished_document(request.app, openapi_schema))


class _Json(JsonRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, finished_document(request.app, openapi_schema))


class _Yaml(YamlRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, finished_document(request.app, openapi_schema))


def operation_id(handler: HTTPRouteHandler, method: Method, path: list[str | PathParameterDefinition]) -> str:
    """The handler's name in camelCase (createCampaign): what generated clients call the operation.

    Handler names are unique across the API (tests/test_openapi.py checks).
    """
    first, *rest = handler.handler_name.split("_")
    return first + "".join(word.title() for word in rest)


def openapi_config(version: str) -> OpenAPIConfig:
    swagger = _SwaggerUI(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        path="/swagger",
    )
    return OpenAPIConfig(
        title="Influencer platform API",
        version=version,
        path="/schema",
        render_plugins=[swagger, _Json(), _Yaml()],
        # Each operation is described by its handler's docstring (the README says the same at more length).
        use_handler_docstrings=True,
        create_examples=False,
        operation_id_creator=operation_id,
        components=Components(
            security_schemes={
                BEARER_SCHEME: SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                COOKIE_SCHEME: SecurityScheme(
                    type="apiKey",
                    name="__session",
                    security_scheme_in="cookie",
                    description=(
                        "The same JWT in Clerk's session cookie (the old frontend sends no header); the "
                        "header wins when both are sent. Requests other than GET, HEAD and OPTIONS "
                        "authenticated this way must come from an origin in ALLOWED_ORIGINS (Origin, "
                        "else Referer), or get 403."
                    ),
                ),
            }
        ),
    )


def swagger_assets_router() -> Router:
    """Swagger UI's JS, CSS and icons from the swagger-ui-py package."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[_swagger_ui_directory()],
        include_in_schema=False,
        opt={"exclude_from_auth": True},
    )
