"""OPTIONS answers whose `Allow` lists every method of the path.

Litestar's automatic OPTIONS handler lists only the methods of the handler
registered first on a path: when another handler joins that path the route
object is rebuilt, and the OPTIONS handler keeps reading the first one. This
hook rewrites the header from the route that actually answered.
"""

from litestar.datastructures import MutableScopeHeaders
from litestar.routes import HTTPRoute
from litestar.types import Message, Scope


async def complete_allow_header(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    headers = MutableScopeHeaders.from_message(message)
    if "allow" not in headers:
        return
    template = scope.get("path_template")
    for route in scope["litestar_app"].routes:
        if isinstance(route, HTTPRoute) and route.path_format == template:
            headers["Allow"] = ", ".join(sorted(route.methods))
            return
