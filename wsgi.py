"""Entry point for WSGI servers: `gunicorn wsgi:app`."""

from licensing import create_app

app = create_app()
