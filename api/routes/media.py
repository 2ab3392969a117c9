"""Frames and videos: to the workflow's owner, or to anyone holding an unexpired signed URL for that one file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from api.deps import PrincipalDep, RuntimeDep, ServiceDep, limit_per_ip
from api.errors import error_responses
from api.media_responses import media_response
from services.core.errors import NotFoundError
from services.storage.media_store import is_media_key


async def refuse_line_breaks(request: Request) -> None:
    """404 for a path with a line break: Starlette's route pattern ends in `$`, which lets one trail the key."""
    if "\n" in request.scope["path"] or "\r" in request.scope["path"]:
        raise NotFoundError("No such media.")


media_router = APIRouter(tags=["media"], dependencies=[Depends(refuse_line_breaks), Depends(limit_per_ip)])

_MEDIA_CONTENT: dict[str, dict] = {"image/png": {}, "video/mp4": {}}
_RANGE_HEADER = Header(max_length=200, description="One byte range, e.g. `bytes=0-1023`, to get 206 with that part.")
KeyPath = Annotated[str, Path(max_length=300)]


@media_router.get(
    "/media/signed/{key:path}",
    response_class=Response,
    summary="Download a frame or video through a signed, expiring URL (no bearer token)",
    responses={
        200: {"content": _MEDIA_CONTENT, "description": "The media file."},
        206: {"content": _MEDIA_CONTENT, "description": "The requested byte range."},
        416: {"description": "The range starts beyond the end of the file."},
        **error_responses(403, 404, 422, 429, 503),
    },
)
def get_signed_media(
    key: KeyPath,
    runtime: RuntimeDep,
    exp: Annotated[str, Query(max_length=12, description="Expiry, Unix seconds.")],
    sig: Annotated[str, Query(max_length=64, description="The URL's signature.")],
    range: Annotated[str | None, _RANGE_HEADER] = None,  # noqa: A002 - the header's name
    download: bool = False,
) -> Response:
    media = runtime.media_links.open(key, expires=exp, signature=sig)
    return media_response(media, range, cache_control="private, max-age=3600", download=download)


@media_router.get(
    "/media/{key:path}",
    response_class=Response,
    summary="Download a frame (PNG) or video (MP4)",
    responses={
        200: {"content": _MEDIA_CONTENT, "description": "The media file."},
        206: {"content": _MEDIA_CONTENT, "description": "The requested byte range."},
        416: {"description": "The range starts beyond the end of the file."},
        **error_responses(401, 403, 404, 422, 429, 503),
    },
)
def get_media(
    key: KeyPath,
    service: ServiceDep,
    principal: PrincipalDep,
    range: Annotated[str | None, _RANGE_HEADER] = None,  # noqa: A002 - the header's name
    download: bool = False,
) -> Response:
    if not is_media_key(key):
        raise NotFoundError("No such media.")  # ".", "..", a trailing newline: never a file of ours
    media = service.open_media(user_id=principal.user_id, key=key)
    return media_response(media, range, cache_control="private, max-age=3600", download=download)
