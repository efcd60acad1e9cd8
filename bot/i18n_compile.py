"""Compile the interface translations (.po → .mo) so aiogram's gettext i18n can load them."""

from __future__ import annotations

from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"


def compile_all(locales: Path = LOCALES) -> list[Path]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locales.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parts[-3])
        mo = po.with_suffix(".mo")
        with mo.open("wb") as f:
            write_mo(f, catalog)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(path)
