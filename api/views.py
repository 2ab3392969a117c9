"""Public JSON straight from stored documents: the response models' fields, without validating every read.

Every stored workflow was written through the domain model, so validating it again on each read only
repeats work: a profile of GET /api/video-workflows/{id} put three pydantic passes (stored document to
VideoWorkflow, to a dict, to WorkflowResponse) at about four times the cost of decoding the BSON. Here
each response model is compiled once into a field plan (alias, default, nested plan) and a read copies
exactly those fields out of the document, filling the models' defaults for fields older documents lack.
A document that does not fit the plan (a missing required field) is served through the models instead.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Any, Union, get_args, get_origin

import pydantic_core
from pydantic import BaseModel

from api.schemas import WorkflowResponse
from services.workflows.repository import document_to_workflow

_REQUIRED = object()
Plan = tuple[tuple[str, Any, str, "Plan | None"], ...]  # (alias, default, kind, nested plan)


@cache
def _plan(model: type[BaseModel]) -> Plan:
    """The model's fields as (alias, default or _REQUIRED, kind, nested plan), kind one of value/model/list/optional."""
    fields = []
    for name, field in model.model_fields.items():
        alias = field.alias or name
        default = _REQUIRED if field.is_required() else field.get_default(call_default_factory=True)
        kind, nested = _kind(field.annotation)
        fields.append((alias, default, kind, _plan(nested) if nested else None))
    return tuple(fields)


def _kind(annotation: Any) -> tuple[str, type[BaseModel] | None]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return "list", args[0]
    if origin in (Union, types.UnionType):
        models = [arg for arg in args if isinstance(arg, type) and issubclass(arg, BaseModel)]
        if models and type(None) in args:
            return "optional", models[0]
    return "value", None


def _copy(document: dict, plan: Plan) -> dict:
    out = {}
    for alias, default, kind, nested in plan:
        value = document.get(alias, default)
        if value is _REQUIRED:
            raise KeyError(alias)
        if nested is not None and value is not None:
            value = _copy(value, nested) if kind != "list" else [_copy(item, nested) for item in value]
        out[alias] = value
    return out


def workflow_json(document: dict, *, media_base: str) -> bytes:
    """GET /video-workflows/{id}'s body from the stored document (as WorkflowResponse.of would give it)."""
    document["id"] = document.pop("_id")
    limits = document.get("limits") or {}
    remaining = limits.get("maxRefinementIterations", 0) - len(document.get("refinementIterations") or ())
    document["refinementIterationsRemaining"] = max(0, remaining)
    for frame in document.get("generatedFrames") or ():
        frame["imageUrl"] = f"{media_base}/{frame.get('imageKey')}"
        for old in frame.get("history") or ():
            old["imageUrl"] = f"{media_base}/{old.get('imageKey')}"
    video = document.get("videoOutput")
    if video is not None:
        video["videoUrl"] = f"{media_base}/{video.get('videoKey')}"
    try:
        return pydantic_core.to_json(_copy(document, _plan(WorkflowResponse)))
    except (KeyError, TypeError, AttributeError):  # not what the service writes: let the models say what is wrong
        return _validated(document, media_base)


def _validated(document: dict, media_base: str) -> bytes:
    document["_id"] = document.pop("id")
    workflow = document_to_workflow(document)
    return WorkflowResponse.of(workflow, media_base=media_base).model_dump_json(by_alias=True).encode()
