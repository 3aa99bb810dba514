"""The investigator app (Streamlit): pages, components and the `cbec app` command."""
