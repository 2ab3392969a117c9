"""The media routes: signed, expiring URLs with no bearer token, byte ranges, odd keys, and flat memory on big files."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest

from tests.support.api_fixtures import ApiServer, workflow_at

MIB = 1024 * 1024


def _frame_key(client: httpx.Client) -> tuple[str, str]:
    """A framed workflow of the client's user, and its first frame's media key."""
    workflow_id = workflow_at(client, "framed")
    frame = client.get(f"/video-workflows/{workflow_id}").json()["generatedFrames"][0]
    return workflow_id, frame["imageUrl"].removeprefix("/api/media/")


def _origin(api_server: ApiServer) -> str:
    return api_server.base_url.removesuffix("/api")


def test_a_signed_url_serves_its_file_without_a_token_and_answers_a_range_with_206(api_server: ApiServer):
    _, owner = api_server.user_client()
    _, key = _frame_key(owner)
    whole = owner.get(f"/media/{key}").content
    url = api_server.runtime.sign_media_url(key)
    assert url.startswith("/api/media/signed/workflows/")

    anonymous = httpx.Client(base_url=_origin(api_server))
    full = anonymous.get(url)
    assert full.status_code == 200 and full.content == whole and full.headers["content-type"] == "image/png"
    part = anonymous.get(url, headers={"Range": "bytes=8-23"})
    assert part.status_code == 206 and part.content == whole[8:24]
    assert part.headers["content-range"] == f"bytes 8-23/{len(whole)}"
    tail = anonymous.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole[-10:]
    beyond = anonymous.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(whole)}"
    download = anonymous.get(url + "&download=true")
    assert download.headers["content-disposition"] == f'attachment; filename="{key.rsplit("/", 1)[1]}"'
    anonymous.close()


def test_a_signed_url_is_refused_for_another_key_and_after_it_expires(api_server: ApiServer):
    signer = api_server.runtime.media_links.signer
    _, owner = api_server.user_client()
    _, intruder = api_server.user_client()
    _, owners_key = _frame_key(owner)
    _, intruders_key = _frame_key(intruder)
    anonymous = httpx.Client(base_url=_origin(api_server))

    # The intruder's own valid URL, pointed at the owner's file: the signature is bound to the key.
    intruders_url = api_server.runtime.sign_media_url(intruders_key)
    query = intruders_url.split("?", 1)[1]
    forged = anonymous.get(f"/api/media/signed/{owners_key}?{query}")
    assert forged.status_code == 403 and forged.json()["code"] == "media_link_invalid"
    assert anonymous.get(intruders_url).status_code == 200

    # Expiry: a URL from two seconds ago with a one-second life, then one moved forward by hand.
    real_now = signer.now
    signer.now = lambda: real_now() - 2
    expired = api_server.runtime.sign_media_url(owners_key, ttl=1)
    signer.now = real_now
    refused = anonymous.get(expired)
    assert refused.status_code == 403 and "expired" in refused.json()["detail"]
    stretched = expired.replace(expired.split("exp=")[1].split("&")[0], str(int(time.time()) + 3600))
    assert anonymous.get(stretched).status_code == 403, "a later expiry does not match the signature"
    assert anonymous.get(f"/api/media/signed/{owners_key}").status_code == 422
    anonymous.close()


def test_the_signed_lifetime_is_the_configured_one(make_api_server):
    server = make_api_server(MEDIA_URL_TTL_SECONDS=600)
    _, owner = server.user_client()
    _, key = _frame_key(owner)
    expires = int(server.runtime.sign_media_url(key).split("exp=")[1].split("&")[0])
    assert time.time() + 540 <= expires <= time.time() + 600


@pytest.mark.parametrize("name", [".", "..", "a.png%0A", "frame.png%0A", "%2E", ".hidden"])
def test_odd_media_names_get_404_never_a_server_error(api_server: ApiServer, name: str):
    _, owner = api_server.user_client()
    workflow_id, key = _frame_key(owner)
    for path in (f"/media/workflows/{workflow_id}/{name}", f"/media/{key}%0A"):
        response = owner.get(path)
        assert response.status_code in (400, 404), (path, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    signed = owner.get(f"/media/signed/workflows/{workflow_id}/{name}", params={"exp": "1", "sig": "x"})
    assert signed.status_code in (400, 404)


def test_media_responses_carry_nosniff_and_a_restrictive_content_security_policy(api_server: ApiServer):
    _, owner = api_server.user_client()
    _, key = _frame_key(owner)
    for response in (owner.get(f"/media/{key}"), owner.get(f"/media/{key}", headers={"Range": "bytes=0-0"})):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
        assert response.headers["accept-ranges"] == "bytes"


BLOCK = hashlib.sha256(b"seed").digest() * (MIB // 32) + b"\x00"  # 1 MiB + 1: ranges never line up with it


def _pattern(total: int) -> Iterator[bytes]:
    """total bytes of a repeating, non-constant pattern, about a MiB at a time."""
    for offset in range(0, total, len(BLOCK)):
        yield BLOCK[: min(len(BLOCK), total - offset)]


def _slice(start: int, length: int) -> bytes:
    """The pattern's bytes from start, computed without building the whole file."""
    skip = start % len(BLOCK)
    return (BLOCK * (2 + length // len(BLOCK)))[skip : skip + length]


class PeakRss:
    """Samples this process's resident memory in a thread; `growth` is the peak over the starting figure."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / MIB


def test_a_200_mb_video_is_served_with_flat_memory_and_seeks_with_206(api_server: ApiServer):
    total = 200 * MIB
    _, owner = api_server.user_client()
    workflow_id, _ = _frame_key(owner)
    key = f"workflows/{workflow_id}/video-big.mp4"
    api_server.runtime.media.put_stream(key, _pattern(total))

    owner.get(f"/media/{key}", headers={"Range": "bytes=0-1"})  # warm up the route and the connection
    digest, received = hashlib.sha256(), 0
    with PeakRss() as memory, owner.stream("GET", f"/media/{key}") as response:
        assert response.status_code == 200 and response.headers["content-length"] == str(total)
        for piece in response.iter_raw(256 * 1024):
            digest.update(piece)
            received += len(piece)
    whole = hashlib.sha256()
    for piece in _pattern(total):
        whole.update(piece)
    assert received == total and digest.hexdigest() == whole.hexdigest()
    print(f"files store: serving 200 MB grew RSS by {memory.growth_mb:.1f} MB")
    assert memory.growth_mb < 20, f"serving 200 MB grew RSS by {memory.growth_mb:.1f} MB"

    part = owner.get(f"/media/{key}", headers={"Range": f"bytes=0-{2 * MIB - 1}"})
    assert part.status_code == 206 and part.content == _slice(0, 2 * MIB)
    middle = owner.get(f"/media/{key}", headers={"Range": f"bytes={150 * MIB}-{150 * MIB + 99}"})
    assert middle.status_code == 206 and middle.content == _slice(150 * MIB, 100)
