"""The reading view: whole resolutions as web pages, paragraph anchors, and a search over the same core.

A face beside the Telegram bot, depending only on the core: `bot.web.app` builds it from an `Assistant`
(documents from its knowledge base, searches through `Assistant.ask_async`).  Nothing is imported here, so
the bot's webhook server pays for the templates only when it mounts the view.
"""
