"""Keyframes: fine-tuning on several drawn frames, tracking outward in both directions, joining."""

import numpy as np
import pytest

from vos_core import InputError, SegmentConfig, VideoPredictor, load_net, read_image, read_mask
from vos_core.clip_store import ClipStore
from vos_core.eval.metrics import jaccard
from vos_core.propagation import join_index, plan_runs, streams_forward
from vos_core.tracking.boxes import mask_box
from vos_core.tracking.detection import Detection
from vos_core.tracking.tracker import ObjectTracker, keyframe_classes

SEQ, N = "blackswan", 24


def test_runs_cover_every_frame_once_per_side():
    runs = plan_runs([5, 12], 0, 20)
    assert [(r.origin, list(r.frames)) for r in runs] == [
        (5, [4, 3, 2, 1, 0]), (5, list(range(6, 12))), (12, list(range(11, 5, -1))), (12, list(range(13, 21))),
    ]
    assert [r.forward for r in runs] == [False, True, False, True]
    # Keyframes outside the range only teach the network; the runs start from those inside.
    assert [r.origin for r in plan_runs([0, 7, 30], 5, 10)] == [7, 7]
    with pytest.raises(InputError, match="no keyframe inside frames 5..10"):
        plan_runs([0, 30], 5, 10)


def test_only_a_keyframe_on_the_first_frame_streams():
    assert streams_forward([3], 3, 50)
    assert streams_forward([0, 60], 0, 50)  # 60 lies outside the range
    assert not streams_forward([0, 30], 0, 50)
    assert not streams_forward([10], 0, 50)


def test_join_takes_the_frame_of_best_agreement_nearest_the_middle():
    assert join_index([0.2, 0.9, 0.5]) == 2  # frames 0 and 1 from the forward run
    assert join_index([1.0, 1.0, 1.0, 1.0, 1.0]) == 3
    assert join_index([]) == 0


def test_a_keyframe_the_detector_misses_still_tracks_by_class():
    config = SegmentConfig()
    mask = np.zeros((100, 100), np.uint8)
    mask[20:60, 30:70] = 255
    bike = Detection((30, 20, 70, 60), 1, 0.9, "bicycle")
    known = keyframe_classes(config, [(mask, [bike]), (mask, [])])
    tracker = ObjectTracker(config)
    tracker.start(mask, [], known)  # the occluded keyframe: no detection at all
    assert tracker.state.classes == {1} and tracker.state.labels == ("bicycle",)
    assert tracker.state.box == mask_box(mask)
    tracker.start(mask, [])  # without what the other keyframes know: an object the detector cannot name
    assert not tracker.state.categorized


def test_store_round_trips_masks_bit_for_bit(davis_root):
    mask = read_mask(davis_root / "Annotations/480p" / SEQ / "00000.png")
    with ClipStore(3, (24, 43), mask.shape, [1, 2]) as store:
        store.put_mask(2, False, 1, mask)
        assert np.array_equal(store.mask(2, False, 1), mask)
        folder = store._dir
        assert folder.is_dir()
    assert not folder.exists()


@pytest.fixture(scope="module")
def clip(davis_root):
    frames = [read_image(davis_root / "JPEGImages/480p" / SEQ / f"{i:05d}.jpg") for i in range(N)]
    masks = [read_mask(davis_root / "Annotations/480p" / SEQ / f"{i:05d}.png") for i in range(N)]
    return frames, masks


@pytest.fixture(scope="module")
def predictor(parent_weights):
    net, _ = load_net(parent_weights)
    # No detector: the uncategorized fallback tracks by connected components, the same in both directions.
    config = SegmentConfig(finetune_iters=20, train_height=160, infer_height=160, detector="none")
    return VideoPredictor(net, config)


def run(predictor, clip, keyframes, **kwargs):
    frames, masks = clip
    session = predictor.new_session()
    for k in keyframes:
        predictor.add_mask(session, k, frames[k], masks[k])
    return list(predictor.propagate(session, frames, **kwargs))


@pytest.mark.slow
def test_keyframes_both_directions_and_join(predictor, clip):
    masks = clip[1]
    streamed = run(predictor, clip, [0])
    both = run(predictor, clip, [0, N - 1])
    middle = run(predictor, clip, [N // 2])
    for results in (streamed, both, middle):
        assert [r.index for r in results] == list(range(N))
    # On a keyframe the output is the drawn mask.
    for results, keys in ((both, (0, N - 1)), (middle, (N // 2,))):
        for k in keys:
            assert np.array_equal(results[k].masks[1], masks[k])
    # Backward from the middle is as good as forward from it on this slow-moving clip.
    before = np.mean([jaccard(r.masks[1], masks[r.index]) for r in middle[: N // 2]])
    after = np.mean([jaccard(r.masks[1], masks[r.index]) for r in middle[N // 2 + 1:]])
    assert before > 0.6 and after > 0.6 and abs(before - after) < 0.15
    # A second keyframe re-fits the network on both, so maps differ; the join must not jump:
    # neighbouring frames' masks stay as alike as the clip's own ground truth's.
    steps = [jaccard(both[i].masks[1], both[i + 1].masks[1]) for i in range(N - 1)]
    truth = [jaccard(masks[i], masks[i + 1]) for i in range(N - 1)]
    assert min(steps) > min(truth) - 0.1


@pytest.mark.slow
def test_range_and_a_one_pass_source(predictor, clip):
    frames, _ = clip
    results = run(predictor, clip, [5], start=3, end=9)
    assert [r.index for r in results] == list(range(3, 10))
    session = predictor.new_session()
    predictor.add_mask(session, 5, frames[5], clip[1][5])
    with pytest.raises(InputError, match="read twice"):
        list(predictor.propagate(session, iter(frames)))


def test_overlapping_objects_get_each_pixel_once():
    from vos_core.predictor import _owners

    a = np.array([[0.9, 0.5], [0.2, 0.7]], np.float32)
    b = np.array([[0.3, 0.5], [0.8, 0.7]], np.float32)  # ties on the right: the lower id keeps them
    both = np.ones((2, 2), bool)
    owners = _owners({2: b, 1: a}, {1: both, 2: both})
    assert owners[1].tolist() == [[True, True], [False, True]]
    assert not (owners[1] & owners[2]).any() and (owners[1] | owners[2]).all()


def test_a_map_its_filters_dropped_takes_no_pixels_from_another_object():
    """Object 1's network fires on object 2 (map 0.9 > 0.6) but its filters kept nothing there:
    object 2 keeps those pixels; only pixels both claim are contested."""
    from vos_core.predictor import _owners

    a = np.array([[0.9, 0.9], [0.9, 0.1]], np.float32)
    b = np.array([[0.6, 0.6], [0.2, 0.8]], np.float32)
    claims = {1: np.array([[True, False], [True, False]]), 2: np.array([[True, True], [False, True]])}
    owners = _owners({1: a, 2: b}, claims)
    assert owners[1].tolist() == [[True, False], [True, False]]
    assert owners[2].tolist() == [[False, True], [False, True]]