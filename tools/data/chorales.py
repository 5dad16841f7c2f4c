#!/usr/bin/env python3
"""Bach's four-part chorales from the music21 10.5.1 corpus as binary piano rolls (a JSB Chorales stand-in).

Usage: tools/data/chorales.py [--out data/chorales] [--step 1] [--force]

Source: the music21 10.5.1 wheel (code BSD-3; the corpus encodings are redistributed by permission of their
encoders, so the scores and anything derived from them stay out of git — see data-sources.md §3a). The wheel is
fetched with `pip download --no-deps --only-binary=:all:`, checked by sha256, and read as a zip: only members under
music21/corpus/bach/ are opened, in memory. music21 is never installed, imported or executed; the MusicXML is read
with xml.etree (documents declaring entities are refused).

Which files: every .mxl / .xml directly in corpus/bach/ with exactly four <part> elements (data-sources.md §8.2:
365 files). Skipped, with the reason printed and recorded in meta.json: .krn (Humdrum, not MusicXML), scores with
another number of parts, and anything that fails to parse.

Conversion (data-sources.md §8.2, plus ties): per part, time in exact quarter notes; <divisions> may change anywhere;
<backup>/<forward> move within the measure and the next measure starts at the furthest point reached, so a pickup
measure is simply short; <chord/> notes share the previous onset; grace and cue notes are ignored; rests advance
time; notes joined by <tie> become one note. Repeat signs and volta endings are ignored: the score is played through
once as written. Frame = STEP quarter notes (default 1, the JSB pickle's convention; --step 1/2 gives eighths).
T = floor(score end / STEP); a note covers frames floor(onset/STEP) up to but excluding
max(first + 1, floor(end/STEP)), clipped to T. Pitch axis: the 88 piano keys, MIDI 21..108 (column = MIDI - 21).

Split: the usable file names, sorted, are permuted by numpy.random.default_rng(SEED); the first 70% (rounded) go to
train, the next 15% to valid, the rest to test; within a split chorales are in sorted name order.
Writes OUT/{split}-rolls.npy (uint8, total_frames x 88, the chorales concatenated), OUT/{split}-lengths.npy (int64,
frames per chorale), OUT/{split}-names.txt (one file name per line), OUT/meta.json and OUT/SHA256SUMS; and, for
`kru score --inputs --targets --lengths`, the next-frame task padded: OUT/{split}-inputs.npy (float32, B x T x 88,
frames 0..n-2 of each chorale), OUT/{split}-targets.npy (float32, frames 1..n-1) and OUT/{split}-steps.npy (int64,
n - 1 scored steps per chorale), T = the longest chorale's n - 1, zero padding after each chorale's end.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from math import floor
from pathlib import Path

import numpy as np

from datautil import DataError, main_wrapper, outputs_done, pip_download, sha256_file, write_sums, zip_member

WHEEL = "music21==10.5.1"
WHEEL_SHA256 = "dc3309498c4c95cebdf8d4f20c868deb6b63bce1d929cad4f51a7ccc982987b1"
BACH = "music21/corpus/bach/"
LO, HI = 21, 108                       # MIDI range of the roll: the 88 piano keys, as in JSB Chorales
SEED = 20240104
FRACTIONS = (0.70, 0.15, 0.15)
SPLITS = ("train", "valid", "test")
MAX_MEMBER_BYTES = 8 << 20             # the largest bach score is well under 1 MB
STEP_OFFSET = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


# ---------------------------------------------------------------- reading MusicXML

def score_xml(name: str, data: bytes) -> bytes:
    """The MusicXML document of a .xml file, or of an .mxl (zip: META-INF/container.xml names the root file)."""
    if name.endswith(".xml"):
        return data
    if not name.endswith(".mxl"):
        raise DataError("not MusicXML (.mxl/.xml)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            container = parse_xml(zip_member(z, "META-INF/container.xml", 1 << 16))
            rootfile = container.find("rootfiles/rootfile")
            if rootfile is None or not rootfile.get("full-path"):
                raise DataError("container.xml names no rootfile")
            return zip_member(z, rootfile.get("full-path"), MAX_MEMBER_BYTES)
    except zipfile.BadZipFile as e:
        raise DataError(f"bad .mxl zip: {e}") from None


def parse_xml(data: bytes) -> ET.Element:
    # expat never fetches the external DTD the scores name, but it would expand internal entities: refuse them
    # (entity expansion is the one way a small XML file can become a huge tree).
    if b"<!ENTITY" in data:
        raise DataError("XML declares entities")
    try:
        return ET.fromstring(data)
    except ET.ParseError as e:
        raise DataError(f"XML: {e}") from None


def _number(el: ET.Element | None, what: str) -> Fraction:
    if el is None or el.text is None:
        raise DataError(f"missing <{what}>")
    try:
        value = Fraction(el.text.strip())
    except (ValueError, ZeroDivisionError):
        raise DataError(f"<{what}> is not a number: {el.text!r}") from None
    if value < 0:
        raise DataError(f"negative <{what}>: {el.text!r}")
    return value


def midi_pitch(pitch: ET.Element) -> int:
    step = (pitch.findtext("step") or "").strip()
    if step not in STEP_OFFSET:
        raise DataError(f"bad <step> {step!r}")
    try:
        octave = int((pitch.findtext("octave") or "").strip())
        alter = Fraction((pitch.findtext("alter") or "0").strip())
    except ValueError:
        raise DataError("bad <octave> or <alter>") from None
    if alter.denominator != 1:
        raise DataError(f"microtonal <alter> {alter} has no piano key")
    return 12 * (octave + 1) + STEP_OFFSET[step] + int(alter)


def part_notes(part: ET.Element) -> list[tuple[int, Fraction, Fraction]]:
    """(midi, onset, end) of every sounding note of one <part>, times in quarter notes from the start."""
    divisions = Fraction(1)
    measure_start = Fraction(0)
    notes: list[list] = []
    open_ties: dict[int, int] = {}                     # midi -> index in notes of a note whose tie is open
    for measure in part.iter("measure"):
        pos = furthest = last_onset = Fraction(0)      # positions relative to the measure start
        for el in measure:
            furthest = max(furthest, pos)               # before a <backup> can lower pos
            if el.tag == "attributes" and el.find("divisions") is not None:
                divisions = _number(el.find("divisions"), "divisions")
                if divisions == 0:
                    raise DataError("<divisions> is 0")
            elif el.tag in ("backup", "forward"):
                d = _number(el.find("duration"), "duration") / divisions
                pos += d if el.tag == "forward" else -d
                if pos < 0:
                    raise DataError(f"<backup> before the start of measure {measure.get('number')}")
            elif el.tag == "note":
                if el.find("grace") is not None or el.find("cue") is not None:
                    continue                            # grace and cue notes take no time
                d = _number(el.find("duration"), "duration") / divisions
                if el.find("chord") is None:
                    last_onset, pos = pos, pos + d
                onset, end = measure_start + last_onset, measure_start + last_onset + d
                pitch = el.find("pitch")
                if pitch is None or d == 0:             # rest, unpitched, or a zero-length note: nothing sounds
                    continue
                midi = midi_pitch(pitch)
                ties = {t.get("type") for t in el.findall("tie")}
                i = open_ties.get(midi)
                if "stop" in ties and i is not None and notes[i][2] == onset:
                    notes[i][2] = end                   # a tied continuation extends the earlier note
                else:
                    notes.append([midi, onset, end])
                    i = len(notes) - 1
                if "start" in ties:
                    open_ties[midi] = i
                else:
                    open_ties.pop(midi, None)
        measure_start += max(furthest, pos)            # the measure lasts as far as any voice reached
    return [tuple(n) for n in notes]


def score_parts(root: ET.Element) -> list[ET.Element]:
    if root.tag != "score-partwise":
        raise DataError(f"root element <{root.tag}>, expected <score-partwise>")
    return root.findall("part")


def piano_roll(notes, step: Fraction = Fraction(1), lo: int = LO, hi: int = HI) -> np.ndarray:
    """Binary (frames, hi - lo + 1) uint8 roll of (midi, onset, end) notes; see the module docstring for the rule."""
    if not notes:
        raise DataError("no notes")
    frames = floor(max(end for _, _, end in notes) / step)
    roll = np.zeros((frames, hi - lo + 1), dtype=np.uint8)
    for midi, onset, end in notes:
        if not lo <= midi <= hi:
            raise DataError(f"MIDI pitch {midi} outside {lo}..{hi}")
        first = floor(onset / step)
        roll[first:min(max(first + 1, floor(end / step)), frames), midi - lo] = 1
    return roll


def chorale_roll(name: str, data: bytes, step: Fraction, parts_wanted: int = 4) -> np.ndarray:
    parts = score_parts(parse_xml(score_xml(name, data)))
    if len(parts) != parts_wanted:
        raise DataError(f"{len(parts)} parts, not a {parts_wanted}-part chorale")
    return piano_roll([n for p in parts for n in part_notes(p)], step)


# ---------------------------------------------------------------- split and main

def split_names(names: list[str], seed: int = SEED) -> dict[str, list[str]]:
    names = sorted(names)
    order = np.random.default_rng(seed).permutation(len(names))
    n_valid, n_test = round(FRACTIONS[1] * len(names)), round(FRACTIONS[2] * len(names))
    n_train = len(names) - n_valid - n_test
    cuts = {"train": order[:n_train], "valid": order[n_train:n_train + n_valid], "test": order[n_train + n_valid:]}
    return {s: sorted(names[i] for i in idx) for s, idx in cuts.items()}


def next_frame_arrays(rolls: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs (frame t), targets (frame t + 1) and step counts of each roll, zero-padded to the longest."""
    steps = np.array([len(r) - 1 for r in rolls], dtype=np.int64)
    if (steps < 1).any():
        raise DataError("every chorale needs at least two frames")
    inputs = np.zeros((len(rolls), int(steps.max()), rolls[0].shape[1]), dtype=np.float32)
    targets = np.zeros_like(inputs)
    for b, roll in enumerate(rolls):
        inputs[b, : len(roll) - 1] = roll[:-1]
        targets[b, : len(roll) - 1] = roll[1:]
    return inputs, targets, steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--out", type=Path, default=Path("data/chorales"))
    ap.add_argument("--step", type=Fraction, default=Fraction(1), help="frame length in quarter notes (e.g. 1/2)")
    ap.add_argument("--force", action="store_true", help="rebuild even if the outputs verify")
    args = ap.parse_args()
    if args.step <= 0:
        raise DataError("--step must be positive")
    kinds = ("rolls.npy", "lengths.npy", "names.txt", "inputs.npy", "targets.npy", "steps.npy")
    files = [f"{s}-{k}" for s in SPLITS for k in kinds] + ["meta.json"]
    old_meta = args.out / "meta.json"
    if not args.force and old_meta.exists():
        built = Fraction(json.loads(old_meta.read_text())["step_quarters"])
        if built != args.step:
            raise DataError(f"{args.out} was built with --step {built}; use another --out (or --force)")
    if not args.force and outputs_done(args.out, files):
        return
    rolls, skipped = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        wheel = pip_download(WHEEL, Path(tmp))
        if sha256_file(wheel) != WHEEL_SHA256:
            raise DataError(f"sha256 mismatch for {wheel.name}: expected {WHEEL_SHA256}")
        print(f"  sha256 ok  {wheel.name}")
        with zipfile.ZipFile(wheel) as z:
            members = sorted(n for n in z.namelist() if n.startswith(BACH) and "/" not in n[len(BACH):])
            for member in members:
                name = member[len(BACH):]
                try:
                    rolls[name] = chorale_roll(name, zip_member(z, member, MAX_MEMBER_BYTES), args.step)
                except DataError as e:
                    skipped[name] = str(e)
    if len(rolls) < 300:                               # data-sources.md expects 365; far fewer means a parser bug
        raise DataError(f"only {len(rolls)} chorales converted; skipped: {skipped}")
    reasons: dict[str, int] = {}
    for why in skipped.values():
        key = why if "parts, not" in why or why.startswith("not MusicXML") else "parse error: " + why
        reasons[key] = reasons.get(key, 0) + 1
    print(f"  {len(members)} files in {BACH}: {len(rolls)} four-part chorales converted, {len(skipped)} skipped")
    for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"    skipped {n:3d}: {why}")

    args.out.mkdir(parents=True, exist_ok=True)
    meta = {"source": f"{WHEEL} ({BACH})", "wheel_sha256": WHEEL_SHA256, "step_quarters": str(args.step),
            "midi_lo": LO, "midi_hi": HI, "seed": SEED, "fractions": FRACTIONS, "splits": {},
            "skipped": dict(sorted(skipped.items()))}
    everything = np.concatenate(list(rolls.values()))
    used = np.flatnonzero(everything.any(axis=0)) + LO
    print(f"  all {len(rolls)}: {len(everything)} frames, mean polyphony {everything.sum(axis=1).mean():.3f}, "
          f"MIDI {used.min()}..{used.max()}")
    for split, names in split_names(list(rolls)).items():
        roll = np.concatenate([rolls[n] for n in names])
        lengths = np.array([len(rolls[n]) for n in names], dtype=np.int64)
        active = np.flatnonzero(roll.any(axis=0)) + LO
        stats = {"chorales": len(names), "frames": int(lengths.sum()), "min_frames": int(lengths.min()),
                 "max_frames": int(lengths.max()), "mean_polyphony": round(float(roll.sum(axis=1).mean()), 3),
                 "midi_range": [int(active.min()), int(active.max())]}
        meta["splits"][split] = stats
        np.save(args.out / f"{split}-rolls.npy", roll)
        np.save(args.out / f"{split}-lengths.npy", lengths)
        (args.out / f"{split}-names.txt").write_text("".join(n + "\n" for n in names))
        for kind, array in zip(("inputs", "targets", "steps"), next_frame_arrays([rolls[n] for n in names])):
            np.save(args.out / f"{split}-{kind}.npy", array)
        print(f"  {split}: rolls {roll.shape} uint8, {stats}")
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    write_sums(args.out, files)


if __name__ == "__main__":
    main_wrapper(main)
