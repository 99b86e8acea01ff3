"""Each object's cut of its map, read off its keyframes: higher for a map drawn fat, and the same
masks downstream as cutting the raw map there."""

import cv2
import numpy as np
import pytest

from hosts.ffmpeg.cli import build_parser
from hosts.ffmpeg.job_options import job_fields
from plugin.jobs import Job
from vos_core import SegmentConfig, VideoPredictor, VosError, load_net, read_image, read_mask
from vos_core.calibration import MAX_CUT, STEP, keyframe_cut, recalibrate
from vos_core.eval.metrics import jaccard
from vos_core.tracking.boxes import mask_box
from vos_core.tracking.hysteresis import hysteresis_filter


def blurred(mask: np.ndarray, sigma: float) -> np.ndarray:
    """A map (H×W float32 0..1) that draws ``mask`` with edges soft over ``sigma`` pixels, as an
    upsampled network map does."""
    return cv2.GaussianBlur((mask > 0).astype(np.float32), (0, 0), sigma)


def fat(mask: np.ndarray, grow: int, sigma: float) -> np.ndarray:
    """A map that is sure of ``mask`` grown by ``grow`` pixels: the map a network that sees a thin
    object at a few pixels draws of it."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return blurred(cv2.dilate(mask, kernel), sigma)


@pytest.fixture(scope="module")
def kite(davis_root):
    """kite-surf's first mask: a surfer, a board, a kite and the lines between them (thin parts)."""
    return read_mask(davis_root / "Annotations/480p/kite-surf/00000.png")


def test_a_map_drawn_fat_around_a_thin_object_is_cut_higher(kite):
    fat_map = fat(kite, 3, 3.0)
    cut = keyframe_cut([(fat_map, kite)], 0.7, 0.2)
    assert 0.7 < cut <= 0.9
    assert jaccard(np.where(fat_map > cut, 255, 0).astype(np.uint8), kite) > jaccard(
        np.where(fat_map > 0.7, 255, 0).astype(np.uint8), kite) + 0.02


def test_a_map_true_to_the_outline_keeps_the_threshold(kite, davis_root):
    solid = read_mask(davis_root / "Annotations/480p/blackswan/00000.png")
    for mask in (kite, solid):
        assert keyframe_cut([(blurred(mask, 0.7), mask)], 0.7, 0.2) == 0.7
    # No reach: no calibration, however fat the map.
    assert keyframe_cut([(fat(kite, 3, 3.0), kite)], 0.7, 0.0) == 0.7


def test_the_cut_stays_within_reach_and_below_the_ceiling(kite):
    very_fat = fat(kite, 6, 4.0)
    assert keyframe_cut([(very_fat, kite)], 0.7, 0.1) == pytest.approx(0.8)
    top = keyframe_cut([(very_fat, kite)], 0.9, 0.5)
    assert 0.9 <= top <= MAX_CUT + 1e-9
    assert round((top - 0.9) / STEP, 6).is_integer()


def test_the_remapped_map_cut_at_the_threshold_keeps_what_the_raw_map_cut_at_its_cut_keeps(kite):
    prob = fat(kite, 3, 3.0)
    remapped = recalibrate(prob, 0.85, 0.7)
    assert remapped.dtype == np.float32
    assert np.array_equal(remapped > 0.7, prob > 0.85)
    assert recalibrate(np.array([0.0, 0.85, 1.0], np.float32), 0.85, 0.7) == pytest.approx([0.0, 0.7, 1.0])
    assert np.all(np.diff(recalibrate(np.linspace(0, 1, 101, dtype=np.float32), 0.85, 0.7)) >= 0)
    # The hysteresis filter's strong threshold, derived from the threshold, moves with it.
    high, low = SegmentConfig(threshold=0.7).hysteresis_thresholds
    raw_high, raw_low = SegmentConfig(threshold=0.85).hysteresis_thresholds
    box = [mask_box(kite)]
    # Float rounding can move a pixel sitting exactly on a threshold; none may move otherwise.
    differ = hysteresis_filter(remapped, box, high, low) != hysteresis_filter(prob, box, raw_high, raw_low)
    assert np.count_nonzero(differ) <= 5
    assert recalibrate(prob, 0.7, 0.7) is prob


def test_the_reach_is_checked():
    with pytest.raises(VosError, match="calibrate_threshold"):
        SegmentConfig(calibrate_threshold=0.6)
    with pytest.raises(VosError, match="calibrate_threshold"):
        SegmentConfig(calibrate_threshold=-0.1)


def test_fitting_calibrates_each_object_and_its_maps_read_the_cut_as_the_threshold(davis_root):
    frames, masks = davis_root / "JPEGImages/480p/kite-surf", davis_root / "Annotations/480p/kite-surf"
    image, mask = read_image(frames / "00000.jpg"), read_mask(masks / "00000.png")
    config = SegmentConfig(finetune_iters=10, train_height=160, infer_height=160, detector="none",
                           calibrate_threshold=0.2)
    predictor = VideoPredictor(load_net()[0], config)
    session = predictor.new_session()
    predictor.add_mask(session, 0, image, mask)
    for _ in predictor.fit(session):
        pass
    obj = session.objects[1]
    assert obj.cut is not None and 0.7 <= obj.cut <= 0.9
    later = predictor.small_frame(read_image(frames / "00020.jpg"))
    raw = predictor.predict_map(obj.net, later)
    assert np.array_equal(predictor.object_map(session, obj, later) > 0.7, raw > obj.cut)
    # An ablation's clone keeps the cut; a new keyframe asks for it again with the new fit.
    assert predictor.clone_session(session, config.with_overrides(temporal=False)).objects[1].cut == obj.cut
    predictor.add_mask(session, 10, read_image(frames / "00010.jpg"), read_mask(masks / "00010.png"))
    assert obj.cut is None and obj.net is None
    # Without a reach the maps are the network's own.
    plain = predictor.new_session(config.with_overrides(calibrate_threshold=0.0))
    predictor.add_mask(plain, 0, image, mask)
    for _ in predictor.fit(plain):
        pass
    assert plain.objects[1].cut is None


def test_the_command_line_sets_the_reach_and_zero_turns_it_off():
    def config(*argv: str) -> SegmentConfig:
        args = build_parser().parse_args(["segment", "clip.mp4", "--mask", "m.png", "-o", "out/", *argv])
        return Job.from_dict(job_fields(args)).config()

    assert config().calibrate_threshold == 0.2  # the presets' reach
    assert config("--calibrate", "0").calibrate_threshold == 0.0
    assert config("--preset", "best", "--calibrate", "0.1", "--threshold", "0.6").calibrate_threshold == 0.1
