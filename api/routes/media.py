"""Frames and videos, served only to the workflow's owner."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from api.deps import PrincipalDep, ServiceDep, limit_per_ip
from api.errors import error_responses

media_router = APIRouter(tags=["media"], dependencies=[Depends(limit_per_ip)])


@media_router.get(
    "/media/{key:path}",
    response_class=Response,
    summary="Download a frame (PNG) or video (MP4)",
    responses={
        200: {"content": {"image/png": {}, "video/mp4": {}}, "description": "The media file."},
        **error_responses(401, 403, 404, 422, 429, 503),
    },
)
def get_media(key: Annotated[str, Path(max_length=300)], service: ServiceDep, principal: PrincipalDep) -> Response:
    data = service.read_media(user_id=principal.user_id, key=key)
    media_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})
