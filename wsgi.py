"""The WSGI entry point for gunicorn and the flask command."""

from diversion import create_app

app = create_app()
