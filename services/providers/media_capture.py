"""Safe download of provider outputs: HTTPS, allow-listed public hosts, no cross-host redirects, capped, checked."""

from __future__ import annotations

import io
import ipaddress
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import av
import httpx
from PIL import Image

from services.core.errors import ProviderError

Resolver = Callable[[str], list[str]]  # host -> the IP addresses it resolves to
MAX_REDIRECTS = 3
CHUNK = 64 * 1024


def system_resolver(host: str) -> list[str]:
    """The addresses the system resolver gives for host."""
    try:
        infos = socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


# Ranges ipaddress counts as global that can still lead somewhere private: 6to4 and NAT64 embed an IPv4
# address (2002:7f00:1:: is 127.0.0.1), site-local is deprecated but routed inside sites, Teredo tunnels.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n) for n in ("2002::/16", "fec0::/10", "64:ff9b::/96", "64:ff9b:1::/48", "2001::/32")
)


def is_public_address(address: str) -> bool:
    """True for a globally routable address: never loopback, link-local, private, multicast or reserved."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in _NOT_PUBLIC):
        return False
    return ip.is_global and not (
        ip.is_loopback or ip.is_link_local or ip.is_private or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


class MediaFetcher:
    """Copies provider output URLs into memory or a file, refusing anything outside the rules."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        allowed_hosts: frozenset[str],
        provider: str,
        max_image_bytes: int,
        max_video_bytes: int,
        timeout_seconds: float,
        resolver: Resolver = system_resolver,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self.allowed_hosts = allowed_hosts
        self.provider = provider
        self.max_image_bytes = max_image_bytes
        self.max_video_bytes = max_video_bytes
        self.timeout_seconds = timeout_seconds
        self.resolver = resolver
        self.clock = clock

    def fetch_image(self, url: str) -> bytes:
        """The image at url as PNG bytes (JPEG and WebP are converted) after checking it opens."""
        buffer = io.BytesIO()
        self._download(url, self.max_image_bytes, buffer.write)
        return ensure_png(buffer.getvalue(), self._refuse)

    def fetch_video(self, url: str, target: Path) -> int:
        """Download the MP4 at url to target; returns its decoded frame count."""
        with open(target, "wb") as sink:
            self._download(url, self.max_video_bytes, sink.write)
        return count_video_frames(target, self._refuse)

    def _refuse(self, reason: str) -> ProviderError:
        return ProviderError(
            f"The {self.provider} output could not be saved: {reason}.", provider=self.provider, retryable=False
        )

    def check_url(self, url: str) -> str:
        """The URL's host, if the URL may be fetched; otherwise a ProviderError saying why not."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https":
            raise self._refuse("only HTTPS downloads are allowed")
        if not host or not self._allowed(host):
            raise self._refuse(f"host {host or '?'} is not an allowed provider host")
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = self.resolver(host)
        if not addresses:
            raise self._refuse(f"host {host} does not resolve")
        if not all(is_public_address(address) for address in addresses):
            raise self._refuse(f"host {host} resolves to a private, loopback or link-local address")
        return host

    def _allowed(self, host: str) -> bool:
        return host in self.allowed_hosts or any(
            entry.startswith(".") and host.endswith(entry) for entry in self.allowed_hosts
        )

    def _download(self, url: str, cap: int, write: Callable[[bytes], object]) -> None:
        deadline = self.clock() + self.timeout_seconds
        host = self.check_url(url)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                with self.http.stream("GET", url, follow_redirects=False) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        if (urlsplit(url).hostname or "").lower() != host:
                            raise self._refuse("it redirects to another host")
                        self.check_url(url)
                        continue
                    if response.status_code != 200:
                        raise self._refuse(f"the download answered {response.status_code}")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > cap:
                        raise self._refuse(f"it is larger than the {cap // (1024 * 1024)} MiB limit")
                    received = 0
                    for chunk in response.iter_bytes(CHUNK):
                        received += len(chunk)
                        if received > cap:
                            raise self._refuse(f"it is larger than the {cap // (1024 * 1024)} MiB limit")
                        if self.clock() > deadline:
                            raise self._refuse(f"the download took longer than {self.timeout_seconds:.0f} s")
                        write(chunk)
                    return
            except httpx.TimeoutException:
                raise self._refuse("the download timed out") from None
            except httpx.TransportError:
                raise self._refuse("the download failed") from None
        raise self._refuse("too many redirects")


def ensure_png(data: bytes, refuse: Callable[[str], Exception]) -> bytes:
    """PNG bytes of a checked PNG, JPEG or WebP image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.load()
            if kind == "PNG":
                return data
            if kind not in ("JPEG", "WEBP"):
                raise refuse(f"it is {kind or 'not an image'}, not a PNG or JPEG")
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="PNG")
            return buffer.getvalue()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refuse("it is not a readable image") from None


def count_video_frames(path: Path, refuse: Callable[[str], Exception]) -> int:
    """Decode every video frame of the file; a file that does not decode is refused."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise refuse("it has no video stream")
            frames = sum(1 for _ in container.decode(video=0))
    except av.FFmpegError:
        raise refuse("it is not a decodable video") from None
    if frames == 0:
        raise refuse("it has no video frames")
    return frames
