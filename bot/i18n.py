"""Interface languages: every string a user reads lives in the gettext catalogues under bot/locales/.

Message ids are English; `kk` (the default) and `ru` translate them.  Quotes are never translated: they
stay in the language of the source text.  The catalogues are compiled (.po → .mo) by scripts/setup.
"""

from __future__ import annotations

import gettext
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
    if not (LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").exists():
        from bot.i18n_compile import compile_all

        compile_all()
    return gettext.translation(DOMAIN, LOCALES, languages=[lang])


def gettext_for(lang: str = DEFAULT_LANGUAGE):
    return translator(lang).gettext
