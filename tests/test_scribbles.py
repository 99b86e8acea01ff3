"""A first-frame mask from scribbles (vos_core.app.scribbles) and the GrabCut it shares with refinement."""

import cv2
import numpy as np
import pytest

from vos_core import InputError, read_image, read_mask
from vos_core.app.scribbles import scribble_mask, skeleton, synthetic_strokes
from vos_core.eval.davis import load_sequence
from vos_core.eval.metrics import jaccard


def _scene():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 40, (96, 128, 3), dtype=np.uint8)  # dark noisy background
    frame[30:70, 40:90] = (220, 60, 40)  # a red object
    frame[10:25, 100:120] = (220, 60, 40)  # a red patch elsewhere, not part of the object
    truth = np.zeros((96, 128), bool)
    truth[30:70, 40:90] = True
    return frame, truth


def _zigzag() -> np.ndarray:
    """One zigzag stroke across the object, as a user would scribble it."""
    fg = np.zeros((96, 128), np.uint8)
    cv2.polylines(fg, [np.array([[45, 35], [60, 65], [70, 35], [85, 65]])], False, 255, 2)
    return fg


def test_one_stroke_on_the_object_finds_it_and_not_a_lookalike_elsewhere():
    frame, truth = _scene()
    fg = _zigzag()
    mask = scribble_mask(frame, fg)
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    assert jaccard(mask > 0, truth) > 0.95
    assert not mask[10:25, 100:120].any()


def test_background_strokes_win_where_they_cross_the_object():
    frame, _ = _scene()
    fg, bg = _zigzag(), np.zeros((96, 128, 3), np.uint8)  # colour stroke images work too
    fg[:, 86:] = 0
    bg[30:70, 86:90] = 255  # the user says the right edge strip is not the object
    mask = scribble_mask(frame, fg, bg)
    assert not mask[30:70, 86:90].any() and mask[35:65, 45:80].all()


def test_bad_strokes_are_refused_with_a_message():
    frame, _ = _scene()
    with pytest.raises(InputError, match="empty"):
        scribble_mask(frame, np.zeros((96, 128), np.uint8))
    with pytest.raises(InputError, match="frame is 128×96"):
        scribble_mask(frame, np.full((10, 10), 255, np.uint8))


def test_skeleton_is_thin_and_inside():
    bar = np.zeros((40, 60), bool)
    bar[10:30, 5:55] = True
    skel = skeleton(bar)
    assert skel.any() and not (skel & ~bar).any()
    assert (skel.sum(axis=0)[15:45] == 1).all()  # one pixel across the bar's middle


def test_synthetic_strokes_on_davis_give_a_close_first_frame_mask(davis_root):
    seq = load_sequence(davis_root, "blackswan")
    frame, truth = read_image(seq.frames.paths[0]), read_mask(seq.masks[0]) > 0
    fg, bg = synthetic_strokes(truth)
    assert fg.any() and bg.any() and not (fg.astype(bool) & ~truth).any() and not (bg.astype(bool) & truth).any()
    mask = scribble_mask(frame, fg, bg)
    assert jaccard(mask > 0, truth) > 0.85
    assert jaccard(mask > 0, truth) > jaccard(fg > 0, truth) + 0.5  # GrabCut did the work, not the strokes


def test_scribble_command_writes_a_mask_for_segment(davis_root, tmp_path, restore_signals):
    from hosts.ffmpeg.cli import main
    from vos_core import write_mask

    seq = load_sequence(davis_root, "dog")
    truth = read_mask(seq.masks[0]) > 0
    fg, bg = synthetic_strokes(truth)
    write_mask(tmp_path / "fg.png", fg)
    write_mask(tmp_path / "bg.png", bg)
    out = tmp_path / "mask.png"
    frames = str(seq.frames.paths[0].parent)  # the folder, frame 0, as `segment` would read it
    assert main(["--quiet", "scribble", frames, str(tmp_path / "fg.png"), str(tmp_path / "bg.png"), "-o", str(out)]) == 0
    assert jaccard(read_mask(out) > 0, truth) > 0.7
    image_out = tmp_path / "from_image.png"
    assert main(["--quiet", "scribble", str(seq.frames.paths[0]), str(tmp_path / "fg.png"), "-o", str(image_out)]) == 0
    assert read_mask(image_out).any()


def test_segment_takes_scribbles_as_a_keyframe(davis_root, tmp_path):
    from hosts.ffmpeg.cli import build_parser
    from hosts.ffmpeg.job_options import job_fields
    from plugin.inputs import load_job_inputs
    from plugin.jobs import Job
    from vos_core import write_mask

    seq = load_sequence(davis_root, "dog")
    truth = read_mask(seq.masks[0]) > 0
    fg, bg = synthetic_strokes(truth)
    write_mask(tmp_path / "fg.png", fg)
    write_mask(tmp_path / "bg.png", bg)
    clip = str(seq.frames.paths[0].parent)
    args = build_parser().parse_args(["segment", clip, "--scribbles", f"0:{tmp_path / 'fg.png'},{tmp_path / 'bg.png'}",
                                      "-o", str(tmp_path / "mattes")])
    job = Job.from_dict(job_fields(args))
    assert job.objects[0].keyframes[0].scribbles == (str(tmp_path / "fg.png"), str(tmp_path / "bg.png"))
    _, objects, _ = load_job_inputs(job)
    (keyframe,) = objects[1]
    assert keyframe.frame == 0 and jaccard(keyframe.mask > 0, truth) > 0.7
    direct = scribble_mask(read_image(seq.frames.paths[0]), fg, bg)  # OpenCV's JPEG decoder, not ffmpeg's
    assert jaccard(keyframe.mask > 0, direct > 0) > 0.95
