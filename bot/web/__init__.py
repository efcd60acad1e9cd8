"""The reading view: whole resolutions as web pages, paragraph anchors, and a search over the same core.

`bot.web.app` builds it from the knowledge base and an ``ask`` coroutine handed in by the caller; `bot.web.links`
(deep-link payloads, page addresses) is light and imported by the bot's views.  Nothing is imported here, so the
bot's handlers do not pay for the templates.
"""
