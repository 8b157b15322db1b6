"""GET /api/proxy/image?url=: platform avatars, fetched server-side (the CDNs refuse hot-linking)."""

from typing import Annotated

import msgspec
from litestar import MediaType, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from service.api.shapes import errors
from service.auth import AuthRequest
from service.errors import ErrorBody
from service.image_hosts import (
    MAX_URL_LENGTH,
    ImageProxyError,
)

_UPSTREAM_ERRORS = {
    502: ResponseSpec(data_container=ErrorBody, description="The image host failed or answered an error"),
    504: ResponseSpec(data_container=ErrorBody, description="The image host did not answer in time"),
}


@get(
    "/api/proxy/image",
    tags=["images"],
    responses={
        200: ResponseSpec(data_container=bytes, media_type="image/*", description="The image, as the host sent it"),
        **errors(400, 429),
        **_UPSTREAM_ERRORS,
    },
)
async def proxy_image(
    request: AuthRequest,
    state: State,
    url: Annotated[
        str, QueryParameter(max_length=MAX_URL_LENGTH, description="https URL of an image on a platform CDN")
    ],
) -> Response[bytes]:
    """An avatar from one of the platforms' image hosts (an allowlist), cached.

    https only, public addresses only, no redirects off the list, a size cap and
    a deadline, raster image types only, and a per-user budget of requests.
    """
    try:
        image = await state.image_proxy.image(request.user.user_id, url)
    except ImageProxyError as refused:
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after is not None else None
        return Response(
            content=msgspec.json.encode(ErrorBody(error=refused.message)),
            status_code=refused.status,
            media_type=MediaType.JSON,
            headers=headers,
        )
    return Response(
        content=image.body,
        media_type=image.content_type,
        headers={
            "Cache-Control": f"private, max-age={int(state.image_proxy.cache_seconds)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
