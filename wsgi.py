"""WSGI entry point: ``gunicorn wsgi:app`` (see Procfile and gunicorn.conf.py)."""

from burki_sip import create_app

app = create_app()
