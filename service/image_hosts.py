"""Which image URLs the avatar proxy may fetch: a host allowlist, https only, public addresses only.

Pure rules, no I/O: the proxy (service/image_proxy.py) applies them to the URL
it is given, to every redirect, and to every address a host name resolves to
(so a name on the list that points inside the network is still refused).
"""

import ipaddress
from typing import NamedTuple
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
HTTPS_PORT = 443


class ImageProxyError(Exception):
    """The proxy will not serve this image; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class HostPatterns(NamedTuple):
    exact: frozenset[str]
    suffixes: tuple[str, ...]  # ".tiktokcdn.com" for "*.tiktokcdn.com"


class Target(NamedTuple):
    """A checked URL: where to connect, and the URL to request."""

    scheme: str
    host: str
    port: int
    url: str


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def parse_host_patterns(text: str) -> HostPatterns:
    """The comma-separated IMAGE_PROXY_HOSTS; ValueError for an entry too broad or not a host name."""
    exact, suffixes = set(), []
    for entry in (e.strip().lower() for e in text.split(",")):
        if not entry:
            continue
        name = entry.removeprefix("*.")
        labels = name.split(".")
        if "*" in name or _is_ip_literal(name) or not all(labels) or (entry.startswith("*.") and len(labels) < 2):
            raise ValueError(f"{entry!r} is not a host name or *.domain pattern (such as *.tiktokcdn.com)")
        if entry.startswith("*."):
            suffixes.append("." + name)
        else:
            exact.add(name)
    return HostPatterns(frozenset(exact), tuple(suffixes))


def host_allowed(host: str, patterns: HostPatterns) -> bool:
    name = host.lower().rstrip(".")
    return name in patterns.exact or any(name.endswith(suffix) for suffix in patterns.suffixes)


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def checked_target(url: str, patterns: HostPatterns, test_origin: str | None = None) -> Target:
    """The URL's target if the proxy may fetch it; ImageProxyError (400) saying why not.

    `test_origin` (tests only) is one http://host:port origin allowed although
    it is plain http, whatever its host.
    """
    if not url:
        raise ImageProxyError("url is required")
    if len(url) > MAX_URL_LENGTH:
        raise ImageProxyError(f"url must be at most {MAX_URL_LENGTH} characters")
    if not url.isascii() or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise ImageProxyError("url must be percent-encoded, without spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ImageProxyError("url is not a valid URL") from None
    host = (parts.hostname or "").lower()
    if not host:
        raise ImageProxyError("url must be an absolute https URL")
    if parts.username is not None or parts.password is not None:
        raise ImageProxyError("url must not carry credentials")
    scheme = parts.scheme.lower()
    if test_origin is not None and f"{scheme}://{host}:{port}" == test_origin.lower().rstrip("/"):
        return Target(scheme, host, port or 80, url)
    if scheme != "https":
        raise ImageProxyError("url must be an https URL")
    if port not in (None, HTTPS_PORT):
        raise ImageProxyError("url must use the standard https port")
    if _is_ip_literal(host) or not host_allowed(host, patterns):
        raise ImageProxyError(f"{host} is not an image host this proxy serves")
    return Target(scheme, host, HTTPS_PORT, url)
