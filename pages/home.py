"""Home: what the studio is and whether its parts are up."""

import streamlit as st

from services.providers.registry import ModelRole
from ui_support import cached_runtime

runtime = cached_runtime()
st.title("🎬 Video Workflow Studio")
st.write(
    "Turn a short video idea into a finished video: brief → prompt refinement → storyboard frames → "
    "review → video, with your team in control at every step."
)
database_state = "connected" if runtime.database_ok() else "unreachable"
mode = "embedded SecantusDB" if runtime.embedded is not None else "MongoDB at MONGODB_URI"
providers = sorted({runtime.models.refiner(m).provider_name for m in runtime.models.model_ids(ModelRole.REFINEMENT)})
col_db, col_models = st.columns(2)
col_db.metric("Database", database_state, help=mode)
col_models.metric("Refinement providers", ", ".join(providers))
