#!/usr/bin/env python3
"""Draw the model zoo's plots from its measured data, or check that the data behind them are up to date.

Three plots, each a PNG in models/plots/ with the data it was drawn from beside it (a JSON file of the same name):

- kjv-frontier: test bits per character against recurrent parameters (log axis) for every KJV model of the
  manifest, with the Pareto frontier (no other model has fewer or as many recurrent parameters and a lower test
  figure). Numbers: the `measured` objects that tools/zoo_cards.py writes into models/zoo.json from `kru score`
  and `kru params`.
- copy-curves: validation cross-entropy on the copy-memory task, as a fraction of the memoryless baseline, against
  updates, for the KRU and the dense tanh RNN, GRU and LSTM — 6,000 updates at T = 500, then 1,500 at T = 1000.
  Numbers: `kru.train.validation_history` in the zoo's model files (copy500-* and copy1000-*).
- adding-curves: validation mean squared error on the adding problem against updates, through the six-stage
  curriculum (T = 20, 50, 100, 200, 400, 400). Numbers: the dense cells' training logs (`kru train/finetune
  --log`, kept in models/logs/) for every stage; for the KRU only the last stage, from its model file's
  `kru.train.validation_history` (the logs of its first five stages were not kept; its card lists them).

- kjv-speed: test bits per character against sampling speed (tokens/s, batch 1, `TokenStream`, log axis) for the
  same models, with the frontier of models no other is both faster and better than. Numbers: zoo.json and
  models/plots/kjv-speed-runs.json, the KJV rows of whole `kru-bench --json --model …` runs (all KJV models in
  one run, interleaved), extracted by `--record-bench` so that no figure is typed in; the plot shows the median
  of the runs and their range.

Every figure comes from a committed file; nothing is typed in here. `--check` recomputes the data (not the
pixels) and fails if any JSON file differs, so CI catches a manifest or model change that left a plot stale.

Usage (from anywhere):

    python3 tools/zoo_plots.py            # write models/plots/*.json and *.png (needs matplotlib)
    python3 tools/zoo_plots.py --check    # change nothing; exit 1 if a plot's data is stale (no matplotlib)
    python3 tools/zoo_plots.py --record-bench RUN.json...   # keep kru-bench --json runs' KJV sampling speeds
    python3 tools/zoo_plots.py --record-bench RUN.json... --append   # add runs (e.g. of new models) to the record
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "tools"))

from kru import format as kf  # noqa: E402
from zoo_cards import (MANIFEST, SPEED_RUNS, ZooError, load_manifest, read_limited,  # noqa: E402
                       sampling_speeds, text_drift, write_atomically)

MODELS = REPO / MANIFEST.parent
PLOTS = MODELS / "plots"
LOGS = MODELS / "logs"
LOG_LIMIT = 1 << 20
CELLS = [("kru128", "KRU"), ("rnn128", "tanh RNN"), ("gru128", "GRU"), ("lstm128", "LSTM")]
LOG_CELLS = {"rnn128": "rnn_tanh", "gru128": "gru", "lstm128": "lstm"}  # the run names of the dense logs
BENCH_RUNS = REPO / SPEED_RUNS
ADDING_STAGES = [("a20", 20), ("a50", 50), ("a100", 100), ("a200", 200), ("a400", 400), ("adding400", 400)]


# ---------------------------------------------------------------------------------------------------------------
# Reading the sources


def file_history(name: str, models: dict[str, dict[str, Any]]) -> tuple[list[float], int, int]:
    """(validation history, updates between validations, updates in all) from a zoo model file's metadata."""
    path = MODELS / models[name]["file"]
    with kf.open_kru(path) as handle:
        meta = {key: value for key, _, value in handle.metadata}
    try:
        history = [float(v) for v in meta["kru.train.validation_history"]]
        every, steps = int(meta["kru.train.validate_every"]), int(meta["kru.train.steps"])
    except (KeyError, TypeError, ValueError):
        raise ZooError(f"{path.relative_to(REPO)}: no kru.train validation history to plot") from None
    return history, every, steps


def log_history(run: str) -> tuple[list[tuple[int, float]], int]:
    """([(update, validation)], updates in all) from a `--log` JSON-lines file in models/logs."""
    path = LOGS / f"{run}.log.jsonl"
    raw = read_limited(path, LOG_LIMIT)
    points = []
    for number, line in enumerate(raw.decode("utf-8").splitlines(), 1):
        try:
            record = json.loads(line)
            if record.get("validation") is not None:
                points.append((int(record["step"]), float(record["validation"])))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise ZooError(f"{path.relative_to(REPO)}:{number}: not a training-log record") from None
    if not points:
        raise ZooError(f"{path.relative_to(REPO)}: no validation records")
    return points, points[-1][0]


def rounded(x: float) -> float:
    """Six significant digits: what the plots can show, and stable in the JSON files."""
    return 0.0 if x == 0 else round(x, 5 - math.floor(math.log10(abs(x))))


# ---------------------------------------------------------------------------------------------------------------
# The data behind each plot


def kjv_frontier(models: list[dict[str, Any]]) -> dict[str, Any]:
    """Test bits/char against recurrent parameters for every KJV model, and which of them form the frontier."""
    points = []
    for model in models:
        if model["task"] != "KJV characters":
            continue
        test = model["measured"]["test"]
        points.append({"name": model["name"], "recurrent": model["measured"]["parameters"]["recurrent"],
                       "total": model["measured"]["parameters"]["total"], "bits_per_char": test["bits_per_char"],
                       "stderr": test["bits_per_char_stderr"],
                       "demonstration": bool(model.get("demonstration"))})
    points.sort(key=lambda p: (p["recurrent"], p["bits_per_char"]))
    frontier, best = [], math.inf
    for point in points:
        if point["bits_per_char"] < best and not point["demonstration"]:
            frontier.append(point["name"])
            best = point["bits_per_char"]
    return {"about": "Test bits/char (kru score on data/kjv/test.txt) against recurrent parameters (kru params), "
                     "from models/zoo.json; frontier: no model with as few or fewer recurrent parameters does "
                     "better (demonstration artefacts left out).",
            "points": points, "frontier": frontier}


def copy_curves(by_name: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Validation cross-entropy over the memoryless baseline, per update, at T = 500 then T = 1000."""
    curves = []
    for short, label in CELLS:
        points, start, stages = [], 0, []
        for delay in (500, 1000):
            name = f"copy{delay}-{short}"
            history, every, steps = file_history(name, by_name)
            baseline = 10 * 3 / (delay + 20)  # bits per step: blanks certain, then a uniform guess among 8
            points += [[start + every * (i + 1), rounded(v / baseline)] for i, v in enumerate(history)]
            stages.append({"model": name, "T": delay, "first_update": start + 1, "updates": steps})
            start += steps
        test = by_name[f"copy1000-{short}"]["measured"]["headline"]
        curves.append({"label": label, "stages": stages, "points": points, "test_T1000": test})
    return {"about": "Validation cross-entropy (bits/step on a fixed batch of 64 sequences) divided by the "
                     "memoryless baseline 30/(T+20), every 250 updates, from kru.train.validation_history in each "
                     "model file; T = 500 for the first 6,000 updates, then T = 1000 (kru finetune --delay 1000).",
            "curves": curves}


def adding_curves(by_name: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Validation mean squared error per update through the curriculum; the KRU's last stage only."""
    curves = []
    for short, label in CELLS:
        final = f"adding400-{short}"
        if final not in by_name:
            continue
        points, start, stages = [], 0, []
        for stage, length in ADDING_STAGES:
            if short in LOG_CELLS:
                history, steps = log_history(f"{stage}-{LOG_CELLS[short]}")
                points += [[start + step, rounded(v)] for step, v in history]
                stages.append({"log": f"logs/{stage}-{LOG_CELLS[short]}.log.jsonl", "T": length,
                               "first_update": start + 1, "updates": steps})
            elif stage == "adding400":
                history, every, steps = file_history(final, by_name)
                points += [[start + every * (i + 1), rounded(v)] for i, v in enumerate(history)]
                stages.append({"model": final, "T": length, "first_update": start + 1, "updates": steps})
            else:
                steps = 1500  # the KRU's earlier stages: the same 1,500 updates each (its card); no log kept
            start += steps
        curves.append({"label": label, "stages": stages, "points": points,
                       "test": by_name[final]["measured"]["headline"]})
    return {"about": "Validation mean squared error (a fixed batch of 64 sequences at the stage's T) every 250 "
                     "updates through the curriculum T = 20, 50, 100, 200, 400 (1,500 updates each) and 400 "
                     "(2,000 updates, batch 32, cosine): the dense cells' from their --log files in models/logs, "
                     "the KRU's last stage from kru.train.validation_history in adding400-kru128.kru (the logs of "
                     "its first five stages were not kept). Memoryless baseline: 1/6.",
            "baseline": rounded(1 / 6), "curves": curves}


def bench_record(paths: list[str]) -> dict[str, Any]:
    """The sampling speeds of zoo models in whole `kru-bench --json` outputs, with each run's command and load."""
    runs = []
    for path in paths:
        try:
            document = json.loads(read_limited(Path(path), 16 << 20).decode("utf-8"))
            machine = document["machine"]
            runs.append({"command": document["command"],
                         "load_average_at_start": [round(x, 2) for x in machine["load_average_at_start"]],
                         "load_average_at_end": [round(x, 2) for x in machine["load_average_at_end"]],
                         "quick": document["settings"]["quick"],
                         "sampling_tokens_per_second": {m["name"]: round(m["sampling_tokens_per_second"])
                                                        for m in document["zoo_models"]}})
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise ZooError(f"{path}: not a kru-bench --json document with --model rows ({error})") from None
    return {"about": "Sampling speed (tokens/s, batch 1, kru-bench section 5) of the zoo's models in whole kru-bench "
                     "runs, extracted by tools/zoo_plots.py --record-bench from each run's --json output.",
            "runs": runs}


def recorded_runs() -> list[dict[str, Any]]:
    """The runs already in the kru-bench record, checked as ``sampling_speeds`` reads them, for --append."""
    try:
        runs = json.loads(read_limited(BENCH_RUNS, 1 << 20).decode("utf-8"))["runs"]
        sampling_speeds({"runs": runs})
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
        raise ZooError(f"{BENCH_RUNS.relative_to(REPO)}: not a record to append to ({error!r})") from None
    return runs


def kjv_speed(models: list[dict[str, Any]]) -> dict[str, Any]:
    """Test bits/char against the median sampling speed over the recorded kru-bench runs, and its frontier."""
    speeds = sampling_speeds(json.loads(read_limited(BENCH_RUNS, 1 << 20).decode("utf-8")))
    points = []
    for model in models:
        if model["task"] != "KJV characters":
            continue
        speed = speeds.get(model["name"])
        if speed is None:
            raise ZooError(f"{BENCH_RUNS.relative_to(REPO)}: no kru-bench run measured {model['name']}; run "
                           f"kru-bench --json with every KJV model and --record-bench")
        test = model["measured"]["test"]
        points.append({"name": model["name"], "median_tokens_per_second": speed["median"],
                       "min_tokens_per_second": speed["min"], "max_tokens_per_second": speed["max"],
                       "runs": speed["runs"], "bits_per_char": test["bits_per_char"],
                       "stderr": test["bits_per_char_stderr"], "demonstration": bool(model.get("demonstration"))})
    points.sort(key=lambda p: (-p["median_tokens_per_second"], p["bits_per_char"]))
    frontier, best = [], math.inf
    for point in points:   # fastest first: on the frontier if better than every faster model
        if point["bits_per_char"] < best and not point["demonstration"]:
            frontier.append(point["name"])
            best = point["bits_per_char"]
    return {"about": "Test bits/char (zoo.json) against the median sampling speed of the kru-bench runs in "
                     "kjv-speed-runs.json (min and max beside it); frontier: no faster model does better "
                     "(demonstration artefacts left out).",
            "points": points, "frontier": frontier}


def plot_data() -> dict[str, dict[str, Any]]:
    manifest = load_manifest(REPO / MANIFEST)
    models = manifest["models"]
    missing = [m["name"] for m in models if not isinstance(m.get("measured"), dict)]
    if missing:
        raise ZooError(f"{', '.join(missing)} never measured; run python3 tools/zoo_cards.py first")
    by_name = {m["name"]: m for m in models}
    return {"kjv-frontier": kjv_frontier(models), "kjv-speed": kjv_speed(models),
            "copy-curves": copy_curves(by_name), "adding-curves": adding_curves(by_name)}


def data_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Drawing (matplotlib, only when writing)


def draw(name: str, data: dict[str, Any], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "svg.hashsalt": "kru", "axes.grid": True, "grid.alpha": 0.3})
    figure, axes = plt.subplots(figsize=(8, 5), dpi=110)
    if name == "kjv-frontier":
        draw_frontier(axes, data)
    elif name == "kjv-speed":
        draw_speed(axes, data)
    else:
        draw_curves(axes, data, copy=name == "copy-curves")
    figure.tight_layout()
    temporary = path.with_name(f".{path.name}.tmp")
    figure.savefig(temporary, format="png", metadata={"Software": None})
    plt.close(figure)
    temporary.replace(path)


def draw_points(axes: Any, data: dict[str, Any], x_key: str) -> None:
    """The models as points (error bars: the test set's standard error, and for speeds the runs' range), labelled,
    with the frontier as a step line."""
    placed: list[tuple[float, float]] = []
    for point in data["points"]:
        x, y = point[x_key], point["bits_per_char"]
        xerr = ([[x - point["min_tokens_per_second"]], [point["max_tokens_per_second"] - x]]
                if "min_tokens_per_second" in point else None)
        axes.errorbar(x, y, xerr=xerr, yerr=point["stderr"], fmt="o",
                      color="C3" if point["name"] in data["frontier"] else "C0",
                      mfc="none" if point["demonstration"] else None, ms=6)
        crowd = sum(abs(math.log10(x / px)) < 0.3 and abs(y - py) < 0.12 for px, py in placed)
        placed.append((x, y))
        offset, align = [((6, 4), "left"), ((6, -11), "left"), ((-6, 4), "right")][min(crowd, 2)]
        axes.annotate(point["name"], (x, y), textcoords="offset points", xytext=offset, ha=align, fontsize=7)
    frontier = sorted((p for p in data["points"] if p["name"] in data["frontier"]), key=lambda p: p[x_key])
    xs, ys = [p[x_key] for p in frontier], [p["bits_per_char"] for p in frontier]
    if x_key == "recurrent":   # the best model with at most x recurrent parameters
        axes.step(xs + [xs[-1] * 2], ys + ys[-1:], where="post", color="C3", lw=1,
                  label="Pareto frontier (no model with as few recurrent parameters is better)")
    else:                      # the best model at least x tokens/s fast
        axes.step([xs[0] / 2] + xs, ys[:1] + ys, where="pre", color="C3", lw=1,
                  label="frontier (no faster model is better)")
    axes.plot([], [], "o", mfc="none", color="C0", label="demonstration artefact (converted, not fine-tuned)")
    axes.set_xscale("log")
    axes.set_ylabel("test bits per character (kru score, KJV test set)")
    axes.legend(loc="lower left" if x_key == "recurrent" else "upper left", fontsize=8)


def draw_frontier(axes: Any, data: dict[str, Any]) -> None:
    draw_points(axes, data, "recurrent")
    axes.set_xlabel("recurrent parameters (kru params), log scale")
    axes.set_title("KJV character models: quality against recurrent parameters")


def draw_speed(axes: Any, data: dict[str, Any]) -> None:
    draw_points(axes, data, "median_tokens_per_second")
    axes.set_xlabel("sampling speed, tokens/s (kru-bench, batch 1; median and range of the runs), log scale")
    axes.set_title("KJV character models: quality against sampling speed (one 2-core machine, shared)")


def draw_curves(axes: Any, data: dict[str, Any], copy: bool) -> None:
    for index, curve in enumerate(data["curves"]):
        xs = [p[0] for p in curve["points"]]
        ys = [p[1] for p in curve["points"]]
        test = curve["test_T1000"] if copy else curve["test"]
        axes.plot(xs, ys, marker=".", color=f"C{index}", label=f"{curve['label']} — test: {test}")
    stages = max((c["stages"] for c in data["curves"]), key=len)
    for stage in stages[1:]:
        axes.axvline(stage["first_update"] - 1, color="grey", lw=0.6, ls=":")
    for stage in stages:
        axes.annotate(f"T = {stage['T']}", (stage["first_update"], 1), xycoords=("data", "axes fraction"),
                      xytext=(2, -10), textcoords="offset points", fontsize=7, color="grey")
    axes.set_yscale("log")
    axes.set_xlabel("updates")
    if copy:
        axes.axhline(1, color="black", lw=0.8, ls="--", label="memoryless baseline")
        axes.set_ylabel("validation cross-entropy / memoryless baseline")
        axes.set_title("Copy memory, N = 128: T = 500, then fine-tuned at T = 1000 (same budget for every cell)")
    else:
        axes.axhline(data["baseline"], color="black", lw=0.8, ls="--", label="memoryless baseline (1/6)")
        axes.set_ylabel("validation mean squared error")
        axes.set_title("Adding problem, N = 128: curriculum T = 20 → 400 (the KRU's first five stages: no log kept)")
    axes.legend(loc="lower left", fontsize=7)


# ---------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a plot's data is stale")
    parser.add_argument("--record-bench", nargs="+", metavar="RUN.json",
                        help=f"write {BENCH_RUNS.relative_to(REPO)} from kru-bench --json outputs, then the plots")
    parser.add_argument("--append", action="store_true",
                        help="with --record-bench: keep the runs already recorded and add these after them")
    options = parser.parse_args(argv)
    if options.append and not options.record_bench:
        parser.error("--append adds to what --record-bench writes; give the runs with --record-bench")
    try:
        if options.record_bench:
            PLOTS.mkdir(exist_ok=True)
            record = bench_record(options.record_bench)
            if options.append:
                record["runs"] = recorded_runs() + record["runs"]
            write_atomically(BENCH_RUNS, data_text(record))
            print(f"zoo_plots: wrote {BENCH_RUNS.relative_to(REPO).as_posix()}")
        plots = plot_data()
        drift = []
        for name, data in plots.items():
            path = PLOTS / f"{name}.json"
            old = path.read_text(encoding="utf-8") if path.is_file() else ""
            drift += text_drift(old, data_text(data), path.relative_to(REPO).as_posix())
        if options.check:
            if drift:
                print("\n".join(drift))
                print("zoo_plots: the plots' data are stale; regenerate with python3 tools/zoo_plots.py and commit",
                      file=sys.stderr)
                return 1
            print(f"zoo_plots: {len(plots)} plots' data agree with the manifest, the model files and the logs")
            return 0
        PLOTS.mkdir(exist_ok=True)
        for name, data in plots.items():
            path = PLOTS / f"{name}.json"
            write_atomically(path, data_text(data))
            draw(name, data, PLOTS / f"{name}.png")
            print(f"zoo_plots: wrote {path.relative_to(REPO).as_posix()} and {name}.png")
        return 0
    except (ZooError, kf.KruFormatError, OSError) as error:
        print(f"zoo_plots: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
