#!/usr/bin/env python3
"""Regenerate the sample texts in the model zoo's cards by running the command each card shows, or check them.

A card's sample is written as the command in backquotes, a colon, a blank line and a fenced block with what the
command printed:

    `kru sample models/kjv-kru512.kru --prime "And God said" --length 300 --seed 1 --temperature 0.8`:

    ```
    And God said, ...
    ```

Sampling is reproducible from its seed on every platform (spec/SAMPLING.md), so the text is a function of the
model file: when a model file changes (re-trained, or re-stored at 16-bit precision by tools/zoo_precision.py),
this script brings its card's sample up to date.

Usage (from anywhere; needs a release build):

    python3 tools/zoo_samples.py [--kru .build/release/kru] [--only NAME]   # rewrite the samples that changed
    python3 tools/zoo_samples.py --check [--kru PATH] [--only NAME]         # change nothing; exit 1 on drift

Standard library only.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
import zoo_cards as zc  # noqa: E402

SAMPLE = re.compile(r"^`(kru sample [^`\n]+)`:\n\n```\n(.*?)\n```$", re.M | re.S)


def refreshed(card: str, kru: str) -> tuple[str, int]:
    """The card with every sample replaced by what its command prints now, and the number of samples."""
    def run(match: re.Match) -> str:
        arguments = shlex.split(match.group(1))[1:]
        text = zc.run_kru(kru, arguments, REPO).rstrip("\n")
        return f"`{match.group(1)}`:\n\n```\n{text}\n```"
    return SAMPLE.subn(run, card)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kru", help="the kru binary (default: .build/release/kru in the repository)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a sample drifted")
    parser.add_argument("--only", metavar="NAME", help="only this model's card")
    options = parser.parse_args(argv)
    kru = str(REPO / ".build/release/kru") if options.kru is None else str(Path(options.kru).resolve())
    try:
        models = zc.load_manifest(REPO / zc.MANIFEST)["models"]
        selected = [m for m in models if options.only in (None, m["name"])]
        if not selected:
            raise zc.ZooError(f"no model named {options.only!r} in {zc.MANIFEST}")
        drifted, samples = [], 0
        for model in selected:
            path = REPO / zc.MANIFEST.parent / model["card"]
            card = path.read_text(encoding="utf-8")
            new, count = refreshed(card, kru)
            samples += count
            if new != card:
                drifted.append(path.relative_to(REPO).as_posix())
                if not options.check:
                    path.write_text(new, encoding="utf-8")
        verb = "differ" if options.check else "rewritten"
        print(f"zoo_samples: {samples} sample(s) in {len(selected)} card(s); {len(drifted)} {verb}"
              + (f": {', '.join(drifted)}" if drifted else ""))
        return 1 if options.check and drifted else 0
    except zc.ZooError as error:
        print(f"zoo_samples: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
