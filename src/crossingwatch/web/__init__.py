"""The HTTP API (FastAPI): `create_app(runtime)`. Handlers only translate between HTTP and `services/`."""

from crossingwatch.web.app import create_app

__all__ = ["create_app"]
