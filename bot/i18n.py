"""Interface languages: every string a user reads lives in the gettext catalogues under bot/locales/.

Message ids are English; `kk` (the default) and `ru` translate them.  Quotes are never translated: they
stay in the language of the source text.  The catalogues are compiled (.po → .mo) at install or build
time (bot/i18n_compile.py); where that did not happen they are compiled in memory, never written here.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("kk", "ru")
DEFAULT_LANGUAGE = "kk"


@cache
def translator(lang: str = DEFAULT_LANGUAGE) -> gettext.NullTranslations:
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    mo = LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    po = mo.with_suffix(".po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        return gettext.translation(DOMAIN, LOCALES, languages=[lang])
    from bot.i18n_compile import catalog_bytes

    return gettext.GNUTranslations(io.BytesIO(catalog_bytes(po)))


def gettext_for(lang: str = DEFAULT_LANGUAGE):
    return translator(lang).gettext
