"""The confidence track and suggested correction frame (vos_core/confidence.py), its report, and the CLI's --report.

Core tests feed real blackswan ground truth (at half size) through the track as if it were the
pipeline's output, then break one frame; the CLI test runs without fine-tuning, so all stay fast.
"""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from small_clip import write_small_clip

from plugin.confidence_report import ConfidenceReport
from vos_core import read_mask
from vos_core.confidence import LOW, SIGNAL_HEIGHT, ConfidenceTrack, FrameConfidence, low_runs, suggest_corrections
from vos_core.eval.metrics import jaccard
from vos_core.predictor import FrameResult

FAST = ["--iters", "0", "--infer-height", "64", "--detector", "none"]


@pytest.fixture(scope="module")
def truth(davis_root) -> list[np.ndarray]:
    """Ten blackswan ground-truth masks at 427×240 (H×W uint8 0/255)."""
    return [cv2.resize(read_mask(davis_root / f"Annotations/480p/blackswan/{i:05d}.png"), (427, 240),
                       interpolation=cv2.INTER_NEAREST) for i in range(10)]


def confident_map(mask: np.ndarray) -> np.ndarray:
    """A map that agrees with ``mask``, unsure only within a couple of pixels of its edge."""
    return cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), 1.0)


def test_a_clean_track_is_confident_and_a_broken_frame_is_low(truth):
    track = ConfidenceTrack({1: {0}})
    broken = 6
    for i, mask in enumerate(truth):
        prob = confident_map(mask)
        if i == broken:  # the mask jumped away and the map is unsure everywhere around it
            mask = np.roll(mask, 60, axis=1)
            prob = cv2.GaussianBlur(prob, (0, 0), 12) * 0.8
        track.update(FrameResult(i, {1: prob}, {1: mask}, lost={1: 0}))
    values = [f.confidence[1] for f in track.frames]
    assert values[0] == 1.0 and track.frames[0].flags[1] == ("keyframe",)
    clean = [v for i, v in enumerate(values) if i not in (0, broken, broken + 1)]
    assert min(clean) >= LOW and values[broken] < LOW and values[broken] < min(clean)
    assert "low" in track.frames[broken].flags[1]
    assert suggest_corrections(track) == [broken]


def last_frame_confidence(truth: list[np.ndarray], mask: np.ndarray, prob: np.ndarray) -> float:
    """Confidence of ``mask``/``prob`` on the last frame of ``truth``, after clean earlier frames."""
    track = ConfidenceTrack({1: {0}})
    for i, clean in enumerate(truth[:-1]):
        track.update(FrameResult(i, {1: confident_map(clean)}, {1: clean}, lost={1: 0}))
    return track.update(FrameResult(len(truth) - 1, {1: prob}, {1: mask}, lost={1: 0})).confidence[1]


@pytest.mark.parametrize("seq", ["blackswan", "cows", "dog"])
def test_confidence_falls_as_the_mask_moves_off_the_object(davis_root, seq):
    """The map agrees with the mask (a confidently wrong network): only the jump from the previous
    frame's mask tells. The further the mask is from the truth, the lower the confidence."""
    truth = [cv2.resize(read_mask(davis_root / f"Annotations/480p/{seq}/{i:05d}.png"), (427, 240),
                        interpolation=cv2.INTER_NEAREST) for i in range(8)]
    shifts = (0, 15, 40)
    moved = [np.roll(truth[-1], s, axis=1) for s in shifts]
    iou = [jaccard(m, truth[-1]) for m in moved]
    confidence = [last_frame_confidence(truth, m, confident_map(m)) for m in moved]
    assert iou == sorted(iou, reverse=True) and iou[-1] < 0.5
    assert confidence[0] > confidence[1] > confidence[2], (iou, confidence)
    assert confidence[0] - confidence[2] > 0.1, confidence


@pytest.mark.parametrize("seq", ["blackswan", "cows", "dog"])
def test_confidence_falls_as_the_map_grows_unsure_at_the_mask_edge(davis_root, seq):
    """The right mask, with a map ever less sure around its edge: confident, then low."""
    truth = [cv2.resize(read_mask(davis_root / f"Annotations/480p/{seq}/{i:05d}.png"), (427, 240),
                        interpolation=cv2.INTER_NEAREST) for i in range(8)]
    confidence = [last_frame_confidence(truth, truth[-1], cv2.GaussianBlur(truth[-1].astype(np.float32) / 255,
                                                                           (0, 0), sigma)) for sigma in (1, 3, 6, 12)]
    assert confidence == sorted(confidence, reverse=True) and len(set(confidence)) == 4, confidence
    assert confidence[0] >= LOW + 0.3 and confidence[2] < LOW, confidence


def test_the_track_keeps_one_small_mask_per_object(truth):
    """Memory is flat in clip length: per object, the previous mask at SIGNAL_HEIGHT and a few numbers."""
    track = ConfidenceTrack()
    for i, mask in enumerate(truth):
        track.update(FrameResult(i, {1: confident_map(mask), 2: confident_map(mask)}, {1: mask, 2: mask}, lost={2: 3}))
    assert set(track._memory) == {1, 2} and track._memory[1].previous.shape[0] == SIGNAL_HEIGHT
    assert "box lost" in track.frames[-1].flags[2] and "box lost" not in track.frames[-1].flags[1]


def hand_made(values: list[float], keyframes: set[int] = frozenset()) -> ConfidenceTrack:
    track = ConfidenceTrack({1: set(keyframes)})
    track.frames = [FrameConfidence(i, {1: v}, {1: ()}) for i, v in enumerate(values)]
    return track


def test_the_long_low_run_wins_over_the_single_lowest_frame():
    values = [1.0, 0.9, 0.05, *[0.9] * 4, *[0.35] * 8, 0.9]
    track = hand_made(values, {0})
    assert [(a, b) for a, b, _ in low_runs(track)] == [(7, 14), (2, 2)]
    first, last = 7, 14
    assert first <= suggest_corrections(track)[0] <= last
    assert suggest_corrections(track, count=2)[1] == 2


def test_runs_merge_across_short_gaps_and_the_pick_splits_the_deficit():
    track = hand_made([1.0, 0.1, 0.9, 0.45, 0.45, 0.45, 0.9])
    assert [(a, b) for a, b, _ in low_runs(track)] == [(1, 5)]
    assert suggest_corrections(track) == [1]  # frame 1 holds most of the run's deficit


def test_without_a_low_run_the_least_confident_non_keyframe_is_suggested():
    assert suggest_corrections(hand_made([1.0, 0.8, 0.6, 0.7], {0})) == [2]
    assert suggest_corrections(hand_made([1.0], {0})) == []


def test_the_report_collects_progress_events_and_passes_them_on(tmp_path):
    seen = []
    report = ConfidenceReport(lambda kind, fields: seen.append(kind))
    report("progress", {"stage": "finetune", "done": 1, "total": 2})
    report("progress", {"stage": "segment", "done": 1, "total": 2, **hand_made([1.0], {0}).frames[0].to_dict()})
    report("confidence", {"suggested": [7], "low_runs": [[5, 9]]})
    assert seen == ["progress", "progress", "confidence"]
    report.write(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data == {"suggested": [7], "low_runs": [[5, 9]], "frames": [{"frame": 0, "confidence": {"1": 1.0}, "flags": {}}]}
    assert "suggested correction frame: 7" in report.summary()


def test_with_no_low_run_the_summary_says_no_correction_is_needed():
    """It named a 'suggested correction frame' (the least confident one) even then."""
    report = ConfidenceReport()
    report("progress", {"stage": "segment", "done": 1, "total": 2, **hand_made([1.0, 0.8], {0}).frames[1].to_dict()})
    report("confidence", {"suggested": [1], "low_runs": []})
    assert report.summary() == "confidence: no low-confidence frames of 1; no correction needed"
    assert report.to_dict()["suggested"] == [1]


def test_cli_report_and_json_progress_carry_the_confidence(tmp_path_factory, davis_root):
    root = write_small_clip(tmp_path_factory.mktemp("swan"), davis_root, ext="png")
    out, path = root / "out", root / "report.json"
    run = subprocess.run([sys.executable, "-m", "hosts.ffmpeg.cli", "--progress", "json", "segment", str(root / "frames"),
                          "--mask", str(root / "mask.png"), "-o", str(out), "--report", str(path), *FAST],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    frames = [e for e in events if e["event"] == "progress" and e["stage"] == "segment"]
    assert [e["frame"] for e in frames] == list(range(6))
    assert frames[0]["confidence"]["1"] == 1.0  # the drawn keyframe
    (summary,) = [e for e in events if e["event"] == "confidence"]
    report = json.loads(path.read_text())
    assert report["suggested"] == summary["suggested"]
    # The suggestion is the one the track's own numbers give (not a frame picked some other way).
    values = [e["confidence"]["1"] for e in frames]
    assert report["suggested"] == suggest_corrections(hand_made(values, {0}))
    assert report["low_runs"] == sorted([a, b] for a, b, _ in low_runs(hand_made(values, {0})))
    assert [f["frame"] for f in report["frames"]] == list(range(6))
    assert [f["confidence"] for f in report["frames"]] == [e["confidence"] for e in frames]
