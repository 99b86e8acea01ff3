"""The confidence track in real Blender, on every tested release: after a run, timeline markers sit on the
low-confidence runs and on the suggested frame, and "Go to suggested frame" moves the playhead there; after a
run with no low-confidence frame nothing is marked and the panel says no correction is needed.

The run is real (the CLI on the first DAVIS blackswan frames, no fine-tuning, its JSON-lines events as the
worker sends them); Blender gets its mattes and events through the add-on's own jobrun.finish.
"""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from blender_support import FPS, SIZE, run_bpy

pytestmark = pytest.mark.slow

LATER = [{"event": "confidence", "suggested": [3], "low_runs": [[2, 4], [7, 8]]}]
# The pipeline still suggests the least confident frame when none is low.
CALM = [{"event": "confidence", "suggested": [4], "low_runs": []}]


@pytest.fixture(scope="session")
def segmented(davis_clip, tmp_path_factory) -> dict:
    """A real run of the CLI on the clip: its matte folder and its events."""
    work = tmp_path_factory.mktemp("confidence-run")
    cv2.imwrite(str(work / "mask.png"), np.where(davis_clip["truth"][0], 255, 0).astype(np.uint8))
    run = subprocess.run([sys.executable, "-m", "hosts.ffmpeg.cli", "--progress", "json", "segment",
                          str(davis_clip["movie"]), "--mask", str(work / "mask.png"), "-o", str(work / "mattes"),
                          "--iters", "0", "--infer-height", "64", "--detector", "none"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    return {"mattes": work / "mattes", "events": events}


@pytest.fixture(scope="session")
def timeline(blender, extension_zip, davis_clip, segmented, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp(f"confidence-{blender.parent.parent.name}")
    spec = {"zip": str(extension_zip), "workdir": str(work), "fps": FPS, "size": list(SIZE),
            "movie": str(davis_clip["movie"]), "mattes": str(segmented["mattes"]), "runtime": sys.prefix,
            "events": segmented["events"], "later": LATER, "calm": CALM}
    (work / "spec.json").write_text(json.dumps(spec))
    return {**run_bpy(blender, "bpy_confidence.py", str(work / "spec.json"), home=work / "blender-user"),
            "summary": next(e for e in segmented["events"] if e["event"] == "confidence")}


def test_markers_sit_on_the_low_runs_and_the_suggested_frame(timeline):
    zero, summary = timeline["zero"], timeline["summary"]
    assert summary["suggested"], "the run suggests a frame"
    expected = [(f"VOS low {a}-{b}", zero + a) for a, b in summary["low_runs"]]
    expected.append(("VOS correct here", zero + summary["suggested"][0]))
    assert [tuple(m) for m in timeline["markers"]] == sorted(expected)
    assert timeline["panel"] and "Matte for clip" in timeline["message"]


def test_the_button_moves_the_playhead_to_the_suggested_frame(timeline):
    assert not timeline["poll_before_run"]  # nothing to go to before a run
    assert timeline["pressed"] == ["FINISHED"]
    assert timeline["playhead"] == timeline["zero"] + timeline["summary"]["suggested"][0]


def test_a_new_run_replaces_the_markers(timeline):
    zero = timeline["zero"]
    assert [tuple(m) for m in timeline["later"]] == [("VOS correct here", zero + 3), ("VOS low 2-4", zero + 2),
                                                      ("VOS low 7-8", zero + 7)]
    assert timeline["later_playhead"] == zero + 3


def test_with_no_low_confidence_run_no_correction_is_offered(timeline):
    """The least confident frame was marked "VOS correct here" though no frame was low."""
    assert timeline["calm"] == {"markers": [], "poll": False,
                                "verdict": ["No low-confidence frame: no correction needed", "CHECKMARK"]}
