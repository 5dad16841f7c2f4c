"""Tests of tools/zoo_plots.py: the Pareto frontier and the log reader on small hand-made inputs, and the check
that the committed plot data agree with the manifest, the model files and the logs (what CI runs).

Run from the repository root: python3 -m pytest -q python/
"""

from __future__ import annotations

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


def test_rounded_keeps_six_significant_digits():
    assert zp.rounded(0.0294117647) == 0.0294118
    assert zp.rounded(1.23456789e-6) == 1.23457e-6
    assert zp.rounded(0.0) == 0.0


def test_the_committed_plot_data_are_up_to_date(capsys):
    assert zp.main(["--check"]) == 0, capsys.readouterr()
