"""Soft mattes through every command: job fields, ``segment``/``pipe`` flags, ``run_job``'s PNG depth.

Real blackswan frames at 1/4 size; no fine-tuning (``--iters 0``), so these stay in the fast tier.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields

import cv2
import numpy as np
import pytest
from small_clip import write_small_clip

from plugin.correction import RECORD, RunRecord
from plugin.jobs import EDGES, REFINE_FIELDS, Job, JobError, MaskRef, ObjectSpec, Output
from plugin.pipeline import run_job
from vos_core.matte.alpha import MATTE_PRESETS, RefineSettings, signed_distance

FAST = ["--iters", "0", "--infer-height", "64", "--detector", "none"]
SETTINGS = {"finetune_iters": 0, "infer_height": 64, "detector": "none"}
W, H, FRAMES = 214, 120, 6
#: Soft alpha may differ from the mask only this close to its edge or the previous frame's (anti-chatter
#: pulls an edge that jumped back from either side): the band, 2 × feather 3, plus the swan's motion.
NEAR = 9


def vos(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hosts.ffmpeg.cli", *args], capture_output=True, check=False, **kwargs)


@pytest.fixture(scope="module")
def swan(tmp_path_factory, davis_root):
    return write_small_clip(tmp_path_factory.mktemp("swan"), davis_root, ext="png")


def read_folder(folder) -> np.ndarray:
    """N×H×W of a PNG sequence, as stored (uint8 or uint16)."""
    return np.stack([cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted(folder.glob("*.png"))])


def assert_soft_near_edge_only(alphas: np.ndarray, masks: np.ndarray, top: int) -> None:
    """Intermediate levels occur, only near the mask's edge (this frame's or the last's); elsewhere
    alpha is solid 0 or ``top`` as the mask says."""
    soft = (alphas > 0) & (alphas < top)
    assert soft.mean() > 0.005, "the matte has a soft edge"
    for alpha, mask, last in zip(alphas, masks, [masks[0], *masks[:-1]]):
        far = (np.abs(signed_distance(mask)) > NEAR) & (np.abs(signed_distance(last)) > NEAR)
        np.testing.assert_array_equal(alpha[far], np.where(mask[far] > 0, top, 0))


BASE = {"version": 2, "input": "clip.mp4", "objects": [{"id": 1, "keyframes": [{"frame": 0, "mask": "m.png"}]}],
        "outputs": [{"kind": "matte", "path": "out"}]}


def test_job_edge_fields_round_trip_and_old_jobs_are_hard():
    job = Job.from_dict({**BASE, "edge": "soft", "refine": {"feather": 2, "chatter": 0.5}, "matte_depth": 16})
    assert Job.from_dict(json.loads(job.to_json())) == job
    assert job.refine_settings() == RefineSettings(feather=2, chatter=0.5)
    old = Job.from_dict(BASE)
    assert (old.edge, old.refine, old.matte_depth) == ("hard", {}, 8) and old.refine_settings().is_hard
    v1 = Job.from_dict({"input": "clip.mp4", "mask": "m.png", "output": "out"})
    assert v1.refine_settings() == MATTE_PRESETS["hard"]


@pytest.mark.parametrize("bad, says", [
    ({"edge": "fuzzy"}, "job: edge must be one of hard, soft, got 'fuzzy'"),
    ({"matte_depth": 12}, "job: matte_depth must be one of 8, 16, got 12"),
    ({"matte_depth": "16"}, "job: matte_depth must be one of 8, 16, got '16'"),
    ({"refine": [1]}, "job: refine must be a JSON object, got [1]"),
    ({"refine": {"feathr": 1}}, "refine has unknown field(s) feathr; known: chatter, contrast, feather, shift_edge, smooth"),
    ({"refine": {"feather": "3"}}, "refine: feather must be a finite number, got '3'"),
])
def test_bad_edge_fields_are_one_sentence_errors(bad, says):
    with pytest.raises(JobError) as caught:
        Job.from_dict({**BASE, **bad})
    assert str(caught.value) == says


def test_out_of_range_refine_is_the_cores_error():
    from vos_core import VosError

    with pytest.raises(VosError, match=r"contrast must be in \[0, 1\), got 2"):
        Job.from_dict({**BASE, "edge": "soft", "refine": {"contrast": 2}}).refine_settings()


def test_job_names_match_the_core():
    """plugin.jobs cannot import the core (the Blender add-on ships it alone): its lists must follow the core's."""
    assert EDGES == tuple(MATTE_PRESETS)
    # edge_filter was picked by measurement (benchmarks/results/soft_matte_filters.json): no user control.
    assert REFINE_FIELDS == tuple(f.name for f in fields(RefineSettings) if f.name != "edge_filter")


def test_segment_soft_edge_and_hard_default(swan, tmp_path):
    """--edge soft: mattes ramp near the edge, solid elsewhere, and alpha outputs carry them; the index
    map keeps the masks. Hard (the default, or said) is the binary mask bit for bit."""
    runs = {"soft": ["--edge", "soft"], "hard": ["--edge", "hard"], "default": []}
    for name, flags in runs.items():
        out = tmp_path / name
        run = vos("segment", str(swan / "frames"), "--mask", str(swan / "mask.png"), "-o", str(out / "matte"),
                  "--index", str(out / "ids"), "--alpha", str(out / "alpha"), *FAST, *flags)
        assert run.returncode == 0, run.stderr.decode()
    masks = read_folder(tmp_path / "default" / "ids") * 255
    assert set(np.unique(masks)) == {0, 255}
    for name in ("hard", "default"):
        np.testing.assert_array_equal(read_folder(tmp_path / name / "matte"), masks)
    np.testing.assert_array_equal(read_folder(tmp_path / "soft" / "ids") * 255, masks)
    assert_soft_near_edge_only(read_folder(tmp_path / "soft" / "matte"), masks, 255)
    for name in runs:
        np.testing.assert_array_equal(read_folder(tmp_path / name / "alpha")[..., 3], read_folder(tmp_path / name / "matte"))


def test_any_refine_flag_means_soft_and_bad_values_are_refused(swan, tmp_path):
    run = vos("segment", str(swan / "frames"), "--mask", str(swan / "mask.png"), "-o", str(tmp_path / "m"),
              "--feather", "2", "--end", "1", *FAST)
    assert run.returncode == 0, run.stderr.decode()
    alphas = read_folder(tmp_path / "m")[:2]
    assert ((alphas > 0) & (alphas < 255)).any()
    run = vos("segment", str(swan / "frames"), "--mask", str(swan / "mask.png"), "-o", str(tmp_path / "bad"),
              "--reduce-chatter", "1.5", *FAST)
    assert run.returncode != 0 and "chatter must be in [0, 1], got 1.5" in run.stderr.decode()


def test_pipe_writes_the_soft_matte(swan):
    frames = np.stack([cv2.imread(str(p))[..., ::-1] for p in sorted((swan / "frames").glob("*.png"))])
    mattes = {}
    for edge in ("hard", "soft"):
        run = vos("pipe", "--size", f"{W}x{H}", "--mask", str(swan / "mask.png"), "--edge", edge, *FAST,
                  input=frames.tobytes())
        assert run.returncode == 0, run.stderr.decode()
        mattes[edge] = np.frombuffer(run.stdout, np.uint8).reshape(FRAMES, H, W)
    assert set(np.unique(mattes["hard"])) == {0, 255}
    assert_soft_near_edge_only(mattes["soft"], mattes["hard"], 255)


def test_run_job_writes_16_bit_soft_mattes_and_reruns_on_new_edge_settings(swan, tmp_path):
    def job(edge: str, depth: int) -> Job:
        return Job(input=str(swan / "frames"), settings=SETTINGS, edge=edge, matte_depth=depth,
                   objects=(ObjectSpec(1, (MaskRef(0, str(swan / "mask.png")),)),),
                   outputs=(Output("matte", str(tmp_path / "matte")), Output("index", str(tmp_path / "ids"))))

    run_job(job("soft", 16))
    alphas, ids = read_folder(tmp_path / "matte"), read_folder(tmp_path / "ids")
    assert alphas.dtype == np.uint16 and ids.dtype == np.uint8 and set(np.unique(ids)) == {0, 1}
    assert_soft_near_edge_only(alphas, ids * 255, 65535)
    assert len(np.unique(alphas)) > 256, "16 bits keep more levels than 8"
    soft_key = RunRecord.read(tmp_path / "matte").key
    run_job(job("hard", 8))
    assert RunRecord.read(tmp_path / "matte").key != soft_key and (tmp_path / "matte" / RECORD).is_file()
    hard = read_folder(tmp_path / "matte")
    assert hard.dtype == np.uint8
    np.testing.assert_array_equal(hard, read_folder(tmp_path / "ids") * 255)
