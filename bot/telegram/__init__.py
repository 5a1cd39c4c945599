"""Telegram adapter: handlers, wiring and formatting over the answering core."""
