"""What a new user hits on the command line: one line and a clear exit code, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.catalog import CATALOG


def _knowledge_copy(tmp_path: Path, catalog_text: str) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(CATALOG.parent / "texts", folder / "texts")
    (folder / "catalog.toml").write_text(catalog_text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("catalog", "says"), [
    (lambda: CATALOG.read_text(encoding="utf-8") + '\n[[document.part]]\ntitle = "no starts"\n', "'starts'"),
    (lambda: CATALOG.read_text(encoding="utf-8").replace('file = "', 'file = 5 #"', 1), "must be text"),
    (lambda: "document = [1]\n", "must be a table"),
])
def test_a_broken_catalog_part_is_one_line(catalog, says: str, tmp_path: Path, capsys: pytest.CaptureFixture,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main

    folder = _knowledge_copy(tmp_path, catalog())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert main(["docs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cassbot: ") and err.count("\n") == 1 and says in err, err
