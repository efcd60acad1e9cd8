"""What a new user hits on the command line: one line and a clear exit code, never a traceback."""

from __future__ import annotations

import contextlib
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
    (lambda: CATALOG.read_text(encoding="utf-8").replace('proceedings = "criminal"', 'proceedings = "criminals"'),
     "proceedings must be one of"),
    (lambda: CATALOG.read_text(encoding="utf-8").replace('stage = "review"', 'stage = "cassation"'),
     "stage must be one of"),
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


# -- DATA_DIR and the converted model -----------------------------------------------------------------------------
def test_a_data_dir_that_is_a_file_is_one_line_before_any_work(tmp_path: Path) -> None:
    from embeddings.convert import ensure_embedded_model
    from embeddings.datadir import DataDirError

    blocker = tmp_path / "data"
    blocker.write_text("oops")
    with pytest.raises(DataDirError, match="is not a folder") as exc:
        ensure_embedded_model(blocker)  # the first run converts the model here: refused before it starts
    assert "\n" not in str(exc.value)


def test_a_stale_index_in_an_unwritable_place_fails_before_rebuilding(tmp_path: Path, corpus) -> None:
    from embeddings.datadir import DataDirError
    from embeddings.index import open_index

    blocker = tmp_path / "data"
    blocker.write_text("oops")
    with pytest.raises(DataDirError, match="rebuild the index"):
        open_index(corpus, None, "some-model", blocker / "index" / "m")  # type: ignore[arg-type]


READ_ONLY_PROBE = """
import os, sys
from embeddings.datadir import DataDirError, require_writable
os.setgid(65534); os.setuid(65534)
try:
    require_writable(sys.argv[1], "rebuild the index")
except DataDirError as exc:
    print(exc)
"""


def test_a_read_only_data_dir_is_named_before_a_long_job(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import tempfile

    from embeddings.datadir import DataDirError, require_writable

    folder = Path(tempfile.mkdtemp(prefix="ro-data-"))
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: look as an unprivileged user
        run = subprocess.run([sys.executable, "-c", READ_ONLY_PROBE, str(folder)], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parents[1], timeout=60)
        assert "is not writable" in run.stdout and run.stdout.count("\n") == 1, run.stderr[-300:]
    else:
        with pytest.raises(DataDirError, match="is not writable"):
            require_writable(folder, "rebuild the index")
    folder.chmod(0o755)


def test_a_truncated_model_file_makes_the_marker_void(tmp_path: Path) -> None:
    """Corrupt model files with the completion marker present used to fail on every start, with no self-heal."""
    import json

    from embeddings.convert import MARKER_FILE, _marker_identity, invalidate, is_complete

    folder = tmp_path / "model"
    folder.mkdir()
    with (folder / "model.safetensors").open("wb") as handle:
        handle.truncate(4096)
    (folder / "tokenizer.json").write_text("{}")
    marker = {**_marker_identity(), "vocab_size": 1, "files": {"model.safetensors": 4096, "tokenizer.json": 2}}
    (folder / MARKER_FILE).write_text(json.dumps(marker))
    assert is_complete(folder)
    with (folder / "model.safetensors").open("r+b") as handle:
        handle.truncate(1000)
    assert not is_complete(folder)  # converted again on the next start
    (folder / "model.safetensors").unlink()
    assert not is_complete(folder)
    invalidate(folder)
    assert not (folder / MARKER_FILE).exists()


# -- the command line -----------------------------------------------------------------------------------------------
@pytest.fixture()
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    return main


def test_docs_json_gives_a_status_code_and_a_label(cli, capsys: pytest.CaptureFixture) -> None:
    import json

    assert cli(["docs", "--json"]) == 0
    docs = {d["id"]: d for d in json.loads(capsys.readouterr().out)}
    assert {d["status"] for d in docs.values()} <= {"in_force", "repealed", "commentary"}
    assert docs["2016-1"]["status"] == "in_force" and docs["2016-1"]["status_label"]
    assert docs["history"]["status"] == "commentary"


@pytest.mark.parametrize("argv", [["docs"], ["show", "2016-1", "1"], ["topics"]])
def test_a_closed_pipe_is_not_a_traceback(cli, argv: list[str], monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture) -> None:
    """`cassbot docs | head -3`: the reader went away; exit quietly."""
    import os
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    closed = open(write_end, "w", encoding="utf-8")  # noqa: SIM115 - closed by the test below
    monkeypatch.setattr(sys, "stdout", closed)
    try:
        assert cli(argv) == 0
    finally:
        monkeypatch.undo()
        with contextlib.suppress(BrokenPipeError):
            closed.close()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("argv", [["ask", "шағым", "--k", "0"], ["ask", "шағым", "--k", "-3"],
                                  ["eval", "x.jsonl", "--k", "0"], ["ask", "шағым", "--k", "many"]])
def test_a_results_count_out_of_range_is_refused(cli, argv: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        cli(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --k: must be" in err and "Traceback" not in err


def test_report_before_any_feedback_is_a_normal_state(cli, capsys: pytest.CaptureFixture) -> None:
    assert cli(["report"]) == 0
    assert "no feedback yet" in capsys.readouterr().err


def test_report_on_a_garbage_database_is_one_line(cli, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "feedback.sqlite3").write_bytes(b"\x00garbage" * 500)
    assert cli(["report"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cassbot: ") and err.count("\n") == 1 and "damaged" in err
    assert (tmp_path / "data" / "feedback.sqlite3").read_bytes().startswith(b"\x00garbage")  # left as it was


def test_ask_with_data_dir_a_file_is_one_line(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "blocker").write_text("a file")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "blocker"))
    assert cli(["ask", "кассациялық шағым"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cassbot: ") and err.count("\n") == 1 and "not a folder" in err


def test_bench_needs_no_file_from_the_tests_folder() -> None:
    from bot.cli import build_parser
    from knowledge import load_corpus

    assert build_parser().parse_args(["bench"]).questions is None  # default: the packaged curated questions
    assert sum(len(h) for h in load_corpus().hints.values()) >= 100


def test_finetune_refuses_an_unknown_document_and_a_used_folder(cli, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture) -> None:
    """Both are said in one line before any model is loaded (a run takes minutes; its output must not clobber)."""
    assert cli(["finetune", str(tmp_path / "new"), "--without", "2099-9"]) == 2
    assert "unknown document '2099-9'" in capsys.readouterr().err
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine", encoding="utf-8")
    assert cli(["finetune", str(used)]) == 2
    err = capsys.readouterr().err
    assert "exists and is not empty" in err and "Traceback" not in err
    assert (used / "keep.txt").read_text(encoding="utf-8") == "mine" and not (tmp_path / "data" / "models").exists()


@pytest.mark.slow
def test_ask_json_names_the_outcome_and_why(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture) -> None:
    """`ask --json`: `answered` only for a direct quote, `outcome` one of the three, and for the closest paragraphs
    why the nearest cannot answer (here: a question about another country's courts)."""
    import json

    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    assert main(["ask", "--json", "Может ли потерпевший обжаловать приговор в кассационном порядке?"]) == 0
    home = json.loads(capsys.readouterr().out)
    assert (home["outcome"], home["answered"], home["outside"]) == ("direct", True, "")
    assert home["results"][0]["id"] == "2025-cassation:6" and home["closest"] == []
    assert main(["ask", "--json", "Может ли потерпевший обжаловать приговор в кассационном порядке в России?"]) == 0
    abroad = json.loads(capsys.readouterr().out)
    assert (abroad["outcome"], abroad["answered"], abroad["outside"]) == ("closest", False, "foreign")
    assert abroad["closest"][0] == "2025-cassation:6"
