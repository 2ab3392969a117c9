"""Public review page: what a review link shows, to anyone holding it; no account and no sidebar."""

import streamlit as st

from ui.review_page import REVIEW_PARAM, render_review_page
from ui.session import cached_runtime

render_review_page(cached_runtime(), st.query_params.get(REVIEW_PARAM, ""))
