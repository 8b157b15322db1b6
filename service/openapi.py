"""The OpenAPI document and a Swagger UI whose assets are served locally."""

from litestar import Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

ASSETS_PATH = "/schema-assets"
BEARER_SCHEME = "BearerToken"
COOKIE_SCHEME = "SessionCookie"


def openapi_config(version: str) -> OpenAPIConfig:
    swagger = SwaggerRenderPlugin(
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
        render_plugins=[swagger, JsonRenderPlugin(), YamlRenderPlugin()],
        # Each operation is described by its handler's docstring (the README says the same at more length).
        use_handler_docstrings=True,
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
    """Swagger UI's JS, CSS and icons from the swagger-ui-bundle package."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[swagger_ui_path],
        include_in_schema=False,
        opt={"exclude_from_auth": True},
    )
