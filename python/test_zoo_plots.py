"""Tests of tools/zoo_plots.py: the Pareto frontier and the log reader on small hand-made inputs, and the check
that the committed plot data agree with the manifest, the model files and the logs (what CI runs).

Run from the repository root: python3 -m pytest -q python/
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import zoo_plots as zp  # noqa: E402


def kjv(name, recurrent, bits, demonstration=False):
    return {"name": name, "task": "KJV characters", "summary": "s", "demonstration": demonstration,
            "measured": {"parameters": {"recurrent": recurrent, "total": recurrent + 100},
                         "test": {"bits_per_char": bits, "bits_per_char_stderr": 0.005}}}


def test_the_frontier_keeps_each_model_that_beats_every_smaller_one():
    models = [kjv("big-best", 1000, 1.7), kjv("small", 10, 2.1), kjv("mid-worse", 100, 2.3),
              kjv("mid-better", 100, 2.0), kjv("demo", 50, 4.5, True),
              {"name": "other-task", "task": "copy", "summary": "", "measured": {}}]
    data = zp.kjv_frontier(models)
    assert [p["name"] for p in data["points"]] == ["small", "demo", "mid-better", "mid-worse", "big-best"]
    assert data["frontier"] == ["small", "mid-better", "big-best"]
    assert [p["demonstration"] for p in data["points"]] == [False, True, False, False, False]


def test_log_history_reads_the_validation_records(tmp_path, monkeypatch):
    monkeypatch.setattr(zp, "LOGS", tmp_path)
    monkeypatch.setattr(zp, "REPO", tmp_path.parent)
    (tmp_path / "run.log.jsonl").write_text('{"step": 250, "validation": 0.5}\n{"step": 300, "loss": 1}\n'
                                            '{"step": 500, "validation": 0.25}\n')
    assert zp.log_history("run") == ([(250, 0.5), (500, 0.25)], 500)
    (tmp_path / "bad.log.jsonl").write_text('{"step": 250, "validation": 0.5}\nnot json\n')
    with pytest.raises(zp.ZooError, match="bad.log.jsonl:2: not a training-log record"):
        zp.log_history("bad")
    with pytest.raises(zp.ZooError, match="cannot read"):
        zp.log_history("missing")


def bench_run(speeds):
    return {"command": "kru-bench --json …", "settings": {"quick": False},
            "machine": {"load_average_at_start": [5.123, 6.0, 7.0], "load_average_at_end": [6.0, 6.0, 6.0]},
            "zoo_models": [{"name": name, "sampling_tokens_per_second": speed} for name, speed in speeds.items()]}


def test_speeds_are_recorded_from_kru_bench_runs_and_plotted_as_medians(tmp_path, monkeypatch):
    runs = [bench_run({"fast-worse": 300000.4, "slow-best": 10000, "mid": 100000}),
            bench_run({"fast-worse": 200000, "slow-best": 12000, "mid": 90000}),
            bench_run({"fast-worse": 250000, "slow-best": 11000, "mid": 50000})]
    paths = []
    for index, run in enumerate(runs):
        paths.append(tmp_path / f"run{index}.json")
        paths[-1].write_text(json.dumps(run))
    record = zp.bench_record([str(p) for p in paths])
    assert record["runs"][0]["sampling_tokens_per_second"] == {"fast-worse": 300000, "slow-best": 10000, "mid": 100000}
    assert record["runs"][0]["load_average_at_start"] == [5.12, 6.0, 7.0]

    monkeypatch.setattr(zp, "BENCH_RUNS", tmp_path / "runs.json")
    monkeypatch.setattr(zp, "REPO", tmp_path)
    (tmp_path / "runs.json").write_text(json.dumps(record))
    models = [kjv("fast-worse", 10, 2.3), kjv("slow-best", 1000, 1.7), kjv("mid", 100, 2.4)]
    data = zp.kjv_speed(models)
    assert [(p["name"], p["median_tokens_per_second"], p["min_tokens_per_second"], p["max_tokens_per_second"])
            for p in data["points"]] == [("fast-worse", 250000, 200000, 300000), ("mid", 90000, 50000, 100000),
                                         ("slow-best", 11000, 10000, 12000)]
    assert data["frontier"] == ["fast-worse", "slow-best"]       # mid: slower and worse than fast-worse
    with pytest.raises(zp.ZooError, match="no kru-bench run measured unmeasured"):
        zp.kjv_speed(models + [kjv("unmeasured", 1, 2.0)])
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(zp.ZooError, match="not a kru-bench --json document"):
        zp.bench_record([str(tmp_path / "bad.json")])


def test_rounded_keeps_six_significant_digits():
    assert zp.rounded(0.0294117647) == 0.0294118
    assert zp.rounded(1.23456789e-6) == 1.23457e-6
    assert zp.rounded(0.0) == 0.0


def test_the_committed_plot_data_are_up_to_date(capsys):
    assert zp.main(["--check"]) == 0, capsys.readouterr()
