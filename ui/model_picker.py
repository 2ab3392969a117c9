"""The model pickers of the wizard: every model is listed; retired or unavailable ones are disabled, with why."""

from __future__ import annotations

from typing import Any

import streamlit as st

from services.providers.registry import ModelRegistry, ModelRole
from ui.wizard_context import index_of


def model_picker(
    models: ModelRegistry, role: ModelRole, *, label: str, current: str, key: str, where: Any = st
) -> tuple[str, str | None]:
    """The picked model id, and the reason it cannot be used (None when it can); the reason is shown too.

    Streamlit's selectbox cannot grey out one option, so a disabled model is labelled as such, the
    reason is shown under the picker, and the caller disables its action button.
    """
    choices = {choice.model_id: choice for choice in models.choices(role)}
    ids = list(choices)
    picked = where.selectbox(
        label,
        ids,
        index=index_of(ids, current),
        key=key,
        format_func=lambda model_id: choices[model_id].label + ("" if choices[model_id].enabled else " — disabled"),
    )
    reason = choices[picked].reason
    if reason is not None:
        where.warning(f"{picked} cannot be picked: {reason}.", icon="🚫")
    return picked, reason
