"""Pydantic request and response models of the HTTP API (edges only; compute is columnar)."""
