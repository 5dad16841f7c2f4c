"""tools/data/chorales.py: MusicXML -> notes -> piano roll on a hand-written two-part score (no network, no data).

The score (quarter notes as the time unit):
  P1, divisions 2 then 4: pickup C5 (0-1) | E4 half tied to E4 quarter (1-4) with G4 half as a chord (1-3), a quarter
  rest, then <backup> and a second voice C3 dotted half (1-4) that stops short of the barline | grace D4 (ignored),
  F#4 quarter (5-6).
  P2, divisions 1: pickup rest | <forward> a quarter, A3 dotted half (2-5) | A3 quarter (5-6).
"""

from __future__ import annotations

import io
import sys
import zipfile
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "data"))
import chorales as ch  # noqa: E402
from datautil import DataError  # noqa: E402


def note(step, octave, dur, *extra, alter=None):
    alter_xml = f"<alter>{alter}</alter>" if alter is not None else ""
    return (f"<note>{''.join(e for e in extra if e in ('<chord/>', '<grace/>'))}"
            f"<pitch><step>{step}</step>{alter_xml}<octave>{octave}</octave></pitch>"
            + (f"<duration>{dur}</duration>" if dur is not None else "")
            + "".join(e for e in extra if e.startswith("<tie")) + "</note>")


def rest(dur):
    return f"<note><rest/><duration>{dur}</duration></note>"


P1 = ("<part id='P1'>"
      "<measure number='0'><attributes><divisions>2</divisions></attributes>" + note("C", 5, 2) + "</measure>"
      "<measure number='1'><attributes><divisions>4</divisions></attributes>"
      + note("E", 4, 8, "<tie type='start'/>") + note("G", 4, 8, "<chord/>")
      + note("E", 4, 4, "<tie type='stop'/>") + rest(4)
      + "<backup><duration>16</duration></backup>" + note("C", 3, 12) + "</measure>"
      "<measure number='2'>" + note("D", 4, None, "<grace/>") + note("F", 4, 4, alter=1) + "</measure>"
      "</part>")
P2 = ("<part id='P2'>"
      "<measure number='0'><attributes><divisions>1</divisions></attributes>" + rest(1) + "</measure>"
      "<measure number='1'><forward><duration>1</duration></forward>" + note("A", 3, 3) + "</measure>"
      "<measure number='2'>" + note("A", 3, 1) + "</measure>"
      "</part>")


def score(*parts: str) -> bytes:
    return ("<?xml version='1.0' encoding='UTF-8'?>"
            "<!DOCTYPE score-partwise PUBLIC '-//Recordare//DTD MusicXML 3.0 Partwise//EN' "
            "'http://www.musicxml.org/dtds/partwise.dtd'>"
            "<score-partwise version='3.0'><part-list/>" + "".join(parts) + "</score-partwise>").encode()


def test_part_notes_ties_chords_backup_pickup_divisions():
    p1, p2 = ch.score_parts(ch.parse_xml(score(P1, P2)))
    assert sorted(ch.part_notes(p1)) == sorted([
        (72, F(0), F(1)),          # pickup, divisions 2
        (64, F(1), F(4)),          # E4 half tied to a quarter: one note
        (67, F(1), F(3)),          # chord member shares the onset
        (48, F(1), F(4)),          # second voice after <backup>
        (66, F(5), F(6)),          # F#4: measure 1 lasts 4 quarters although the last voice stopped at 3
    ])
    assert sorted(ch.part_notes(p2)) == [(57, F(2), F(5)), (57, F(5), F(6))]


def test_piano_roll_quarter_frames():
    parts = ch.score_parts(ch.parse_xml(score(P1, P2)))
    roll = ch.piano_roll([n for p in parts for n in ch.part_notes(p)])
    assert roll.shape == (6, 88) and roll.dtype == np.uint8
    active = [sorted((np.flatnonzero(frame) + 21).tolist()) for frame in roll]
    assert active == [[72], [48, 64, 67], [48, 57, 64, 67], [48, 57, 64], [57], [57, 66]]


def test_piano_roll_eighth_frames_and_the_frame_rule():
    roll = ch.piano_roll([(60, F(0), F(1)), (62, F(1, 4), F(1, 2)), (64, F(3, 4), F(9, 4))], step=F(1, 2))
    assert roll.shape == (4, 88)                                  # floor(9/4 / 1/2) = 4: the partial frame is cut
    assert roll[:, 60 - 21].tolist() == [1, 1, 0, 0]
    assert roll[:, 62 - 21].tolist() == [1, 0, 0, 0]              # shorter than a frame: still one frame
    assert roll[:, 64 - 21].tolist() == [0, 1, 1, 1]              # onset mid-frame counts from that frame


def test_tie_merge_matters_at_frame_edges():
    # E4 0.5-1.5 tied to 1.5-1.75: as two notes the second would light frame 1; merged it ends inside frame 1
    xml = score("<part id='P1'><measure><attributes><divisions>4</divisions></attributes>" + rest(2)
                + note("E", 4, 4, "<tie type='start'/>") + note("E", 4, 1, "<tie type='stop'/>")
                + note("C", 4, 9) + "</measure></part>")
    notes = ch.part_notes(ch.score_parts(ch.parse_xml(xml))[0])
    assert (64, F(1, 2), F(7, 4)) in notes and len(notes) == 2
    assert ch.piano_roll(notes)[:, 64 - 21].tolist() == [1, 0, 0, 0]


def test_midi_pitch():
    pitch = lambda s, o, a=None: ch.parse_xml(  # noqa: E731
        f"<pitch><step>{s}</step>{'' if a is None else f'<alter>{a}</alter>'}<octave>{o}</octave></pitch>".encode())
    assert ch.midi_pitch(pitch("C", 4)) == 60
    assert ch.midi_pitch(pitch("B", 3, -1)) == 58
    assert ch.midi_pitch(pitch("A", 0)) == 21 and ch.midi_pitch(pitch("C", 8)) == 108
    with pytest.raises(DataError, match="microtonal"):
        ch.midi_pitch(pitch("C", 4, 0.5))
    with pytest.raises(DataError, match="step"):
        ch.midi_pitch(pitch("H", 4))


def mxl(xml: bytes, root: str = "sub/score.xml", attribute: str = "full-path", member: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/container.xml",
                   f"<container><rootfiles><rootfile {attribute}='{root}'/></rootfiles></container>")
        z.writestr(member or root, xml)
    return buf.getvalue()


def test_chorale_roll_from_mxl_and_xml():
    xml = score(P1, P2)
    from_mxl = ch.chorale_roll("x.mxl", mxl(xml), F(1), parts_wanted=2)
    assert np.array_equal(from_mxl, ch.chorale_roll("x.xml", xml, F(1), parts_wanted=2))
    with pytest.raises(DataError, match="2 parts, not a 4-part chorale"):
        ch.chorale_roll("x.xml", xml, F(1))
    assert ch.chorale_roll("x.xml", score(P1, P2, P1, P2), F(1)).shape == (6, 88)
    with pytest.raises(DataError, match="not MusicXML"):
        ch.chorale_roll("x.krn", b"**kern", F(1))


def test_rejections():
    with pytest.raises(DataError, match="entities"):
        ch.parse_xml(b"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>")
    with pytest.raises(DataError, match="XML"):
        ch.parse_xml(b"<a>")
    with pytest.raises(DataError, match="score-timewise"):
        ch.score_parts(ch.parse_xml(b"<score-timewise/>"))
    with pytest.raises(DataError, match="backup"):
        ch.part_notes(ch.parse_xml(b"<part><measure>" + rest(1).encode()
                                   + b"<backup><duration>2</duration></backup></measure></part>"))
    with pytest.raises(DataError, match="duration"):
        ch.part_notes(ch.parse_xml(("<part><measure>" + note("C", 4, None) + "</measure></part>").encode()))
    with pytest.raises(DataError, match="outside 21..108"):
        ch.piano_roll([(20, F(0), F(1))])
    with pytest.raises(DataError, match="container"):
        ch.score_xml("x.mxl", mxl(b"<a/>", attribute="fool-path"))
    with pytest.raises(DataError, match="not in"):
        ch.score_xml("x.mxl", mxl(b"<a/>", root="missing.xml", member="sub/score.xml"))
    with pytest.raises(DataError, match="bad .mxl zip"):
        ch.score_xml("x.mxl", b"PK\x03\x04 not really a zip")


def test_split_names_70_15_15_deterministic():
    names = [f"bwv{i}.{i % 7}.mxl" for i in range(365)]
    parts = ch.split_names(names)
    assert {s: len(v) for s, v in parts.items()} == {"train": 255, "valid": 55, "test": 55}
    assert sorted(sum(parts.values(), [])) == sorted(names)
    assert all(v == sorted(v) for v in parts.values())
    assert ch.split_names(list(reversed(names))) == parts          # depends on the set, not the input order
    assert ch.split_names(names, seed=1) != parts


def test_next_frame_arrays_pad_and_shift():
    a = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.uint8)
    b = np.array([[0, 1], [1, 0]], dtype=np.uint8)
    inputs, targets, steps = ch.next_frame_arrays([a, b])
    assert steps.tolist() == [2, 1]
    assert inputs.shape == targets.shape == (2, 2, 2) and inputs.dtype == np.float32
    assert inputs[0].tolist() == [[1, 0], [0, 1]] and targets[0].tolist() == [[0, 1], [1, 1]]
    assert inputs[1].tolist() == [[0, 1], [0, 0]] and targets[1].tolist() == [[1, 0], [0, 0]]
    with pytest.raises(DataError):
        ch.next_frame_arrays([a[:1]])
