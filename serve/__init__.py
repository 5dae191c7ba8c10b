"""Ray Serve deployments: the FastAPI ingress and (in later issues) the analytic endpoints."""

from serve.app import build_app

__all__ = ["build_app"]
