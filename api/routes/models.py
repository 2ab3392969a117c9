"""The model registry as clients see it: every public id, what runs for it today, and whether it can be used."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import PrincipalDep, RuntimeDep, limit_per_ip
from api.errors import error_responses
from api.schemas import ResponseModel
from services.providers.registry import ModelRole

models_router = APIRouter(prefix="/models", tags=["models"], dependencies=[Depends(limit_per_ip)])


class ModelOut(ResponseModel):
    id: str
    role: str
    provider: str
    provider_model: str
    lifecycle: str  # "available", "unknown", or "retired on 2026-01-05 → claude-opus-4.6"
    lifecycle_source: str
    usable: bool  # False: requests naming it are refused with a 422 (a retired id still runs its successor)
    reason: str | None = None
    runs_as: str  # the model that runs when this id is requested (its successor when retired)
    availability: str  # available | unavailable | unchecked (the live check)
    price: str  # an estimate from the configuration
    price_source: str


@models_router.get(
    "",
    response_model=list[ModelOut],
    responses=error_responses(401, 429, 503),
    summary="Every model id, its lifecycle, availability and price",
)
def list_models(_principal: PrincipalDep, runtime: RuntimeDep) -> list[ModelOut]:
    rows = {row.model_id: row for row in runtime.providers().rows()}
    out = []
    for role in ModelRole:
        for choice in runtime.models.choices(role):
            row = rows.get(choice.model_id)
            life = runtime.models.lifecycle(choice.model_id)
            out.append(
                ModelOut(
                    id=choice.model_id,
                    role=role.value,
                    provider=row.provider if row else "test",
                    provider_model=row.reference if row else choice.model_id,
                    lifecycle=row.lifecycle if row else "available",
                    lifecycle_source=row.lifecycle_source if row else "",
                    usable=choice.enabled or (life is not None and life.successor is not None),
                    reason=choice.reason,
                    runs_as=life.successor if life is not None and life.successor else choice.model_id,
                    availability=row.availability if row else "unchecked",
                    price=row.price if row else "unknown",
                    price_source=row.price_source if row else "",
                )
            )
    return out
