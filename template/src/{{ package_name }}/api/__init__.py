"""The HTTP API: app factory, routes, error handling and ASGI middleware."""
