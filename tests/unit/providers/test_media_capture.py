"""Media capture refuses anything outside the outbound-call rules, and checks what it stores."""

from __future__ import annotations

import httpx
import pytest

from services.core.errors import ProviderError
from services.providers.media_capture import MediaFetcher
from tests.support.providers import PUBLIC_ADDRESS, Recorder, mp4_bytes, png_bytes

ALLOWED = frozenset({"replicate.delivery", ".replicate.delivery"})


def fetcher(media: Recorder, *, resolve=lambda host: [PUBLIC_ADDRESS], cap: int = 1024 * 1024, clock=None) -> MediaFetcher:
    extra = {"clock": clock} if clock else {}
    return MediaFetcher(
        httpx.Client(transport=media.transport),
        allowed_hosts=ALLOWED,
        provider="replicate",
        max_image_bytes=cap,
        max_video_bytes=cap,
        timeout_seconds=30,
        resolver=resolve,
        **extra,
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://replicate.delivery/a.png", "only HTTPS"),
        ("https://evil.example.com/a.png", "not an allowed provider host"),
        ("https://replicate.delivery.evil.com/a.png", "not an allowed provider host"),
        ("https://127.0.0.1/a.png", "not an allowed provider host"),
    ],
)
def test_urls_outside_the_rules_are_refused_without_any_request(url, reason):
    media = Recorder(httpx.Response(200, content=png_bytes()))
    with pytest.raises(ProviderError, match=reason):
        fetcher(media).fetch_image(url)
    assert media.requests == []


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.7", "192.168.1.2", "169.254.169.254", "::1", "fd00::1", "::ffff:127.0.0.1", "0.0.0.0"]
)
def test_an_allowed_host_that_resolves_to_a_private_or_loopback_address_is_refused(address):
    media = Recorder(httpx.Response(200, content=png_bytes()))
    with pytest.raises(ProviderError, match="private, loopback or link-local"):
        fetcher(media, resolve=lambda host: [PUBLIC_ADDRESS, address]).fetch_image("https://pbxt.replicate.delivery/a.png")
    assert media.requests == []


def test_a_redirect_on_the_same_host_is_followed_and_checked_again():
    media = Recorder(httpx.Response(302, headers={"location": "/b.png"}), httpx.Response(200, content=png_bytes()))
    assert fetcher(media).fetch_image("https://replicate.delivery/a.png").startswith(b"\x89PNG")
    assert [r.url.path for r in media.requests] == ["/a.png", "/b.png"]


def test_a_download_larger_than_the_cap_is_refused_by_header_and_by_counting():
    big = b"\x89PNG" + b"0" * 5000
    with pytest.raises(ProviderError, match="larger than"):
        fetcher(Recorder(httpx.Response(200, content=big)), cap=4096).fetch_image("https://replicate.delivery/a.png")

    def streamed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"0" * 3000, b"0" * 3000]))  # no content-length

    with pytest.raises(ProviderError, match="larger than"):
        fetcher(Recorder(streamed), cap=4096).fetch_image("https://replicate.delivery/a.png")


def test_a_download_slower_than_the_timeout_is_abandoned():
    ticks = iter([0.0, 31.0, 32.0])
    media = Recorder(lambda request: httpx.Response(200, content=iter([b"a" * 10, b"b" * 10, b"c" * 10])))
    with pytest.raises(ProviderError, match="longer than 30 s"):
        fetcher(media, clock=lambda: next(ticks)).fetch_image("https://replicate.delivery/a.png")


def test_a_transport_timeout_is_a_typed_error():
    with pytest.raises(ProviderError, match="timed out"):
        fetcher(Recorder(httpx.ReadTimeout("slow"))).fetch_image("https://replicate.delivery/a.png")


def test_content_that_is_not_an_image_or_not_a_video_is_refused(tmp_path):
    html = Recorder(httpx.Response(200, content=b"<html>expired</html>"))
    with pytest.raises(ProviderError, match="not a readable image"):
        fetcher(html).fetch_image("https://replicate.delivery/a.png")
    with pytest.raises(ProviderError, match="not a decodable video"):
        fetcher(html).fetch_video("https://replicate.delivery/v.mp4", tmp_path / "v.mp4")


def test_a_jpeg_is_stored_as_png_and_a_real_mp4_is_decoded(tmp_path):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(buffer, format="JPEG")
    image = fetcher(Recorder(httpx.Response(200, content=buffer.getvalue()))).fetch_image("https://replicate.delivery/a.jpg")
    assert Image.open(io.BytesIO(image)).format == "PNG"
    video = Recorder(httpx.Response(200, content=mp4_bytes(tmp_path, seconds=1)))
    assert fetcher(video, cap=10 * 1024 * 1024).fetch_video("https://replicate.delivery/v.mp4", tmp_path / "v.mp4") == 24
