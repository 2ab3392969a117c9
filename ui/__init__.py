"""Streamlit building blocks shared by the pages: sign-in, the wizard and small widgets."""
