"""The REST API, mounted at /api inside the Streamlit server."""
