"""Serving what gunicorn's documented settings and hooks cannot: the SIGTERM drain (drain.py)."""
