"""Integration points of the catalog: code schemes (see plugins/codes.py)."""

from yiwang.catalog.plugins import codes  # noqa: F401  (registers the schemes)
