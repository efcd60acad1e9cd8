"""The wheel build step that compiles the translations: setuptools' build_py, then .po → .mo in the build tree.

Named in pyproject.toml (`[tool.setuptools.cmdclass]`); only the build backend imports it, and it loads
this file alone (the `bot` package is not importable there), hence i18n_compile is loaded by path.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from setuptools.command.build_py import build_py


def _compile_all(locales: Path) -> None:
    spec = importlib.util.spec_from_file_location("_cassbot_i18n_compile", Path(__file__).with_name("i18n_compile.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.compile_all(locales)


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            _compile_all(Path(self.build_lib) / "bot" / "locales")
