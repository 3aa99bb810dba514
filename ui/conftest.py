"""The page modules are Streamlit scripts (they run on import): keep them out of the
doctest collection; tests/test_app.py runs them through AppTest."""

collect_ignore_glob = ["pages/*.py"]
