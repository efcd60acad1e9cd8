"""Compile the interface translations (.po → .mo) at build or install time, never into an installed package.

Three callers: `scripts/setup` compiles them in the source tree it installs from (editable install);
building a wheel or a non-editable install compiles them into the build directory (`BuildPy`, named in
pyproject.toml); a checkout where neither ran reads the .po files into memory (`catalog_bytes`), so a
read-only installation (`ProtectSystem=strict`, a wheel in site-packages) never needs to write.
"""

from __future__ import annotations

import io
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"


def catalog_bytes(po: Path) -> bytes:
    """The compiled .mo content of one .po file."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parts[-3])
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def compile_all(locales: Path = LOCALES) -> list[Path]:
    """Write each .mo beside its .po (a source tree or build directory, never site-packages at run time)."""
    written = []
    for po in sorted(locales.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        data = catalog_bytes(po)
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(path)
