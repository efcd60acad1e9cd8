"""The application itself, whatever face it wears: answers ready to render, passage lookup, feedback.

The Telegram bot (`bot.telegram`), the command line, the bench and any later front end use this core;
it knows nothing of any of them.
"""
