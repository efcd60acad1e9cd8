"""Ranked passages → Telegram messages (and the `cassbot` command line, a thin peer over the same core)."""
