"""The Streamlit UI script: routes the pages. Started through app.py."""

import streamlit as st

st.set_page_config(page_title="Video Workflow Studio", page_icon="🎬", layout="wide")
navigation = st.navigation([st.Page("pages/home.py", title="Home", icon="🏠", default=True)])
navigation.run()
