"""Where a cookie-authenticated request comes from, and whether that site may change anything.

A browser attaches the session cookie to requests that another site makes it
send (a form posted from elsewhere). Such a request cannot choose its
`Origin` header, so a state-changing request authenticated by the cookie is
accepted only from the configured origins of the frontend. Browsers send
`Origin` with every POST, PUT, PATCH and DELETE; `Referer` is the fallback
for the few that leave it out.
"""

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalised_origin(url: str) -> str | None:
    """`scheme://host[:port]` of an origin or URL, lower-cased, default port left out; None if unusable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def parse_allowed_origins(text: str) -> frozenset[str]:
    """The comma-separated ALLOWED_ORIGINS; ValueError for an entry that is not a bare origin."""
    origins = set()
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        origin = normalised_origin(entry)
        if origin is None or urlsplit(entry).path not in ("", "/"):
            raise ValueError(f"{entry!r} is not an origin such as https://app.example.com")
        origins.add(origin)
    return frozenset(origins)


def request_origin(origin: str | None, referer: str | None) -> str | None:
    """The origin a request says it comes from: its Origin header, else its Referer's origin."""
    if origin:
        return normalised_origin(origin)  # "null" (sandboxed or privacy-hidden) is None
    if referer:
        return normalised_origin(referer)
    return None
