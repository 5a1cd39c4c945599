"""Offline multilingual FAQ bot for foreign entrepreneurs."""

__version__ = "0.1.0"
