"""Delivery: the HTTP API, the CLI and their settings. Thin callers of the domain."""
