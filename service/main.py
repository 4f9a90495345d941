"""The ASGI entry point for uvicorn workers: ``service.main:app``.

Logging is configured here, in every worker process (JSON lines, service.logs).
"""

from service.app import create_app
from service.logs import configure
from service.settings import get_settings

configure(get_settings().log_level)
app = create_app()
