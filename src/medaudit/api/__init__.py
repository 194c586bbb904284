"""The real-time API (事前提醒 / 事中审核): 3101/3102/3103-shaped endpoints. See docs/api.md."""

from .app import build_app, create_app

__all__ = ["build_app", "create_app"]
