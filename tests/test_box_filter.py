"""Box selection, temporal tracking, the uncategorized fallback and the hysteresis filter.

Synthetic scenes make every rule checkable by hand; real DAVIS frames check the detector
and the filter on real geometry.
"""

import numpy as np
import pytest

from vos_core import SegmentConfig
from vos_core.tracking.box_filter import appearance_select, initial_detections, track_by_components
from vos_core.tracking.boxes import box_iou, box_mask_iou, mask_box
from vos_core.tracking.detection import Detection
from vos_core.tracking.hysteresis import box_clip, hysteresis_filter
from vos_core.tracking.tracker import ObjectTracker

H, W = 100, 200
CAR, DOG = 2, 16


def blob(y0, y1, x0, x1, value=1.0, shape=(H, W)):
    m = np.zeros(shape, np.float32)
    m[y0:y1, x0:x1] = value
    return m


def tracker(**overrides):
    return ObjectTracker(SegmentConfig(**overrides))


def test_box_geometry_by_hand():
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert box_iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert mask_box(blob(10, 20, 30, 45)) == (30, 10, 45, 20)
    assert mask_box(np.zeros((5, 5))) is None
    # Box 10×10 holding 50 object pixels of 100 in the mask: 50 / (100 + 100 - 50).
    fg = blob(0, 10, 0, 5) + blob(50, 60, 100, 105)
    assert box_mask_iou((0, 0, 10, 10), fg) == pytest.approx(50 / 150)


def test_frame0_picks_overlapping_detections_and_remembers_their_classes():
    mask = (blob(20, 60, 20, 80) * 255).astype(np.uint8)
    dets = [Detection((20, 20, 80, 60), CAR, 0.9, "car"), Detection((22, 18, 82, 62), DOG, 0.4, "dog"),
            Detection((120, 20, 180, 60), CAR, 0.95, "car")]
    chosen = initial_detections(mask, dets, min_iou=0.5)
    assert [d.label for d in chosen] == ["car", "dog"]  # the far car is not this object
    t = tracker()
    t.start(mask, dets)
    assert t.state.classes == {CAR, DOG} and t.state.box == (20, 20, 80, 60)


def test_later_frames_keep_classes_and_pick_the_box_fitting_the_map():
    fg = blob(20, 60, 100, 160) > 0
    dets = [Detection((100, 20, 160, 60), DOG, 0.9), Detection((95, 15, 165, 65), CAR, 0.5),
            Detection((0, 0, 60, 40), CAR, 0.99)]
    assert appearance_select(dets, frozenset({CAR}), fg).box == (95, 15, 165, 65)  # dog class ignored
    assert appearance_select(dets, frozenset({CAR}), np.zeros_like(fg)) is None  # nothing on the map


def test_a_box_that_cuts_through_the_map_is_not_chosen_and_nothing_is_clipped():
    # The map holds the object (60×40 blob); the only box of its class covers a corner of it, as a
    # spectator's box covers a dancer's legs: 30 % of the blob.
    prob = blob(20, 60, 40, 100, 0.9)
    corner = Detection((70, 40, 110, 70), CAR, 0.9)
    assert appearance_select([corner], frozenset({CAR}), prob > 0.5) is None
    t = tracker(postprocess="clip", temporal=False)
    t.state.classes = frozenset({CAR})
    mask = t.step(prob, [corner])
    assert np.count_nonzero(mask) == 40 * 60  # the whole object, not the corner's share
    # A box that frames the blob is chosen and clips what lies beyond its margin.
    framing = Detection((38, 18, 102, 62), CAR, 0.9)
    assert appearance_select([corner, framing], frozenset({CAR}), prob > 0.5) is framing


def test_the_objects_box_is_chosen_beside_a_larger_blob_it_does_not_touch():
    # A distractor twice the object's size lit up elsewhere: the object's box holds all of what it
    # touches, so it stays the box though it holds a third of the map.
    fg = (blob(30, 60, 10, 50) + blob(20, 80, 120, 160)) > 0
    own = Detection((10, 30, 50, 60), CAR, 0.9)
    assert appearance_select([own], frozenset({CAR}), fg) is own


def two_cars(frame):
    """Our car A drives right; car B, the same class and bigger, stands still. The map sees both."""
    ax = 10 + 6 * frame
    prob = blob(30, 60, ax, ax + 40, 0.9) + blob(20, 80, 130, 190, 0.9)
    dets = [Detection((ax, 30, ax + 40, 60), CAR, 0.9), Detection((130, 20, 190, 80), CAR, 0.9)]
    return prob, dets


@pytest.mark.parametrize("temporal", [True, False])
def test_same_class_instances_temporal_filter_keeps_the_annotated_one(temporal):
    t = tracker(temporal=temporal)
    _, dets0 = two_cars(0)
    t.start((blob(30, 60, 10, 50) * 255).astype(np.uint8), dets0)
    for frame in range(1, 8):
        prob, dets = two_cars(frame)
        mask = t.step(prob, dets)
    a_x = 10 + 6 * 7
    on_a = mask[45, a_x + 20] == 255
    on_b = mask[50, 160] == 255
    if temporal:
        assert on_a and not on_b and t.state.box == (a_x, 30, a_x + 40, 60)
    else:
        # Without the temporal filter, B fits the map better and the track jumps to it (the
        # failure the paper's Figure 5 shows).
        assert on_b and not on_a


def test_uncategorized_object_is_tracked_through_components():
    t = tracker()
    t.start((blob(40, 60, 10, 30) * 255).astype(np.uint8), [Detection((150, 0, 200, 30), CAR, 0.9)])
    assert not t.state.categorized and t.state.box == (10, 40, 30, 60)
    for frame in range(1, 10):
        x = 10 + 8 * frame  # moves 8 px a frame: always touching its previous box
        prob = blob(40, 60, x, x + 20, 0.95) + blob(0, 20, 170, 195, 0.95)  # plus a distractor
        mask = t.step(prob, [])
        assert t.state.box == (x, 40, x + 20, 60)
        assert mask[50, x + 10] == 255 and mask[10, 180] == 0


def test_frame_without_detections_falls_back_to_components():
    t = tracker()
    t.start((blob(30, 60, 20, 60) * 255).astype(np.uint8), [Detection((20, 30, 60, 60), DOG, 0.8)])
    prob = blob(32, 62, 24, 64, 0.9) + blob(0, 10, 150, 190, 0.9)
    mask = t.step(prob, [])  # the detector found nothing in this frame
    assert t.state.box == (24, 32, 64, 62)
    assert mask[45, 40] == 255 and mask[5, 170] == 0


def test_empty_map_gives_empty_mask_and_the_track_survives():
    t = tracker()
    t.start((blob(30, 60, 20, 60) * 255).astype(np.uint8), [Detection((20, 30, 60, 60), DOG, 0.8)])
    mask = t.step(np.zeros((H, W), np.float32), [Detection((20, 30, 60, 60), DOG, 0.8)])
    assert mask.dtype == np.uint8 and not mask.any()
    assert t.state.missed == 1 and t.state.box == (20, 30, 60, 60)
    mask = t.step(blob(30, 60, 22, 62, 0.9), [Detection((22, 30, 62, 60), DOG, 0.8)])
    assert mask[45, 40] == 255 and t.state.missed == 0


def test_lost_track_is_reacquired_after_max_missed():
    t = tracker(max_missed=2)
    t.start((blob(30, 60, 10, 50) * 255).astype(np.uint8), [Detection((10, 30, 50, 60), DOG, 0.8)])
    far = Detection((140, 30, 180, 60), DOG, 0.8)  # the object reappears far away
    prob = blob(30, 60, 140, 180, 0.9)
    masks = [t.step(prob, [far]) for _ in range(4)]
    assert not masks[0].any() and not masks[1].any()  # temporal filter refuses the jump...
    assert masks[3][45, 160] == 255  # ...until the track lets go


def test_hysteresis_keeps_weak_parts_connected_to_strong_ones_inside_boxes():
    prob = np.zeros((H, W), np.float32)
    prob[20:40, 20:40] = 0.9  # strong core, in the box
    prob[40:60, 20:40] = 0.5  # weak part attached to it: kept
    prob[20:40, 80:100] = 0.5  # weak, isolated: dropped
    prob[20:40, 150:170] = 0.9  # strong, outside the box: dropped
    mask = hysteresis_filter(prob, [(15, 15, 45, 45)], high=0.7, low=0.3)
    assert mask[30, 30] == 255 and mask[50, 30] == 255
    assert mask[30, 90] == 0 and mask[30, 160] == 0
    assert set(np.unique(mask)) == {0, 255}
    # Box clipping cuts the attached weak part at the box edge and keeps the isolated one if inside.
    clipped = box_clip(prob, [(15, 15, 45, 45)], 0.4)
    assert clipped[30, 30] == 255 and clipped[50, 30] == 0 and clipped[30, 160] == 0


def test_components_fallback_needs_contact_with_previous_box():
    fg = blob(0, 10, 0, 10) > 0
    assert track_by_components(fg, (50, 50, 60, 60)) is None
    assert track_by_components(fg, (5, 5, 60, 60)) == (0, 0, 10, 10)


def test_clipping_margin_keeps_what_a_tight_detector_box_cuts(davis_root):
    from vos_core import read_mask

    # A real outline (the breakdancer, limbs out) and a detector-like box 15% too small on each side.
    gt = read_mask(davis_root / "Annotations/480p/breakdance/00020.png")
    x0, y0, x1, y1 = mask_box(gt)
    dx, dy = 0.15 * (x1 - x0), 0.15 * (y1 - y0)
    tight = (x0 + dx, y0 + dy, x1 - dx, y1 - dy)
    prob = gt.astype(np.float32) / 255
    person = Detection(tight, 0, 0.9, "person")
    kept = {}
    for margin in (0.0, 0.2):
        t = tracker(postprocess="clip", temporal=False, clip_margin=margin)
        t.state.classes = frozenset({0})
        kept[margin] = np.count_nonzero(t.step(prob, [person]))
    assert kept[0.0] < 0.9 * np.count_nonzero(gt)  # clipped at the box: limbs lost
    assert kept[0.2] > kept[0.0] + 0.05 * np.count_nonzero(gt)
    assert kept[0.2] <= np.count_nonzero(gt)  # the margin never adds what the map does not hold
