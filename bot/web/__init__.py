"""The staff console: a Starlette app over the core (`create_app` in bot/web/app.py)."""
