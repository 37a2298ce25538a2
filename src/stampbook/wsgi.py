"""The WSGI entry point for gunicorn: ``gunicorn stampbook.wsgi:app``."""

from stampbook.app import create_app

app = create_app()
