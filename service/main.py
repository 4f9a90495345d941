"""The ASGI entry point for uvicorn workers: ``service.main:app``."""

from service.app import create_app

app = create_app()
