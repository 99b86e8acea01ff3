"""How the network runs on frames: bfloat16 compute, mirror averaging, masks of the parent alone."""

import numpy as np
import pytest
import torch

from plugin.device import describe
from vos_core import SegmentConfig, VideoPredictor, load_net, read_image, read_mask
from vos_core.eval.metrics import jaccard
from vos_core.network import appearance
from vos_core.network.appearance import compute_dtype, to_input


def _frame(davis_root, name="blackswan", index=0):
    return read_image(davis_root / f"JPEGImages/480p/{name}/{index:05d}.jpg")[::2, ::2]  # 240×427


def test_bfloat16_runs_the_convolutions_and_keeps_the_maps_of_float32(davis_root):
    net, _ = load_net()
    x = to_input(_frame(davis_root))
    with torch.no_grad():
        reference = torch.sigmoid(net.eval()(x))
        net.compute_dtype = torch.bfloat16
        early = net.stage_features(x, 2)
        fast = torch.sigmoid(net(x))
    # The cached early features are bfloat16 (half the memory); logits come back float32 for the loss.
    assert all(e.dtype == torch.bfloat16 for e in early) and fast.dtype == torch.float32
    diff = (fast - reference).abs()
    assert diff.max() < 0.05 and diff.mean() < 2e-3, (diff.max(), diff.mean())
    # Same masks at the default threshold, but for a sliver of pixels near it.
    assert ((fast > 0.7) != (reference > 0.7)).float().mean() < 2e-3


def test_auto_precision_uses_bfloat16_only_where_the_cpu_has_it(monkeypatch):
    assert compute_dtype("float32", "cpu") is None
    assert compute_dtype("bfloat16", "cpu") is torch.bfloat16
    monkeypatch.setattr(appearance, "cpu_flags", lambda: {"avx2", "avx512f", "avx512_bf16"})
    assert compute_dtype("auto", "cpu") is torch.bfloat16
    assert describe(torch.device("cpu"), "auto").endswith("threads, bfloat16)")
    monkeypatch.setattr(appearance, "cpu_flags", lambda: {"avx2", "avx512f"})
    assert compute_dtype("auto", "cpu") is None
    assert describe(torch.device("cpu"), "auto") == f"cpu ({torch.get_num_threads()} threads)"


def test_the_predictors_precision_reaches_its_network(davis_root):
    """``precision`` changes what the network computes (bfloat16 maps differ from float32 ones, a
    little), not just an attribute."""
    net = load_net()[0]
    frame = read_image(davis_root / "JPEGImages/480p/dog/00010.jpg")
    maps = {}
    for precision in ("float32", "bfloat16", "float32"):
        predictor = VideoPredictor(net, SegmentConfig(precision=precision, finetune_iters=0))
        maps.setdefault(precision, []).append(predictor.predict_map(predictor.net, predictor.small_frame(frame)))
    np.testing.assert_array_equal(*maps["float32"])  # float32 again after bfloat16: the setting is not sticky
    diff = np.abs(maps["bfloat16"][0] - maps["float32"][0])
    assert 0 < diff.max() < 0.05 and diff.mean() < 2e-3, (diff.max(), diff.mean())


@pytest.mark.parametrize("seq", ["camel", "cows", "dog"])
def test_the_parent_alone_segments_later_frames(davis_root, seq):
    """The whole inference path (map at 240 lines, back to 480p, threshold, filters) with the parent
    and no fine-tuning: every later frame's mask overlaps the truth (measured J 0.82-0.90)."""
    indices = (0, 10, 20, 30)
    frames = [read_image(davis_root / f"JPEGImages/480p/{seq}/{i:05d}.jpg") for i in indices]
    truth = [read_mask(davis_root / f"Annotations/480p/{seq}/{i:05d}.png") for i in indices]
    predictor = VideoPredictor(load_net()[0], SegmentConfig(finetune_iters=0, detector="none", precision="float32"))
    session = predictor.new_session()
    predictor.add_mask(session, 0, frames[0], truth[0])
    results = list(predictor.propagate(session, frames))
    assert [r.index for r in results] == [0, 1, 2, 3]
    np.testing.assert_array_equal(results[0].masks[1], truth[0])  # the keyframe keeps its drawn mask
    scores = [jaccard(r.masks[1], t) for r, t in zip(results[1:], truth[1:])]
    assert min(scores) > 0.7, scores


def test_mirror_average_makes_the_map_mirror_symmetric(davis_root):
    frame = _frame(davis_root, "dog", 10)
    mirrored = np.ascontiguousarray(frame[:, ::-1])
    net = load_net()[0]
    for average in (False, True):
        predictor = VideoPredictor(net, SegmentConfig(mirror_average=average, precision="float32"))
        a, b = predictor.predict_map(net, frame), predictor.predict_map(net, mirrored)[:, ::-1]
        gap = np.abs(a - b).max()
        # One pass sees the two views differently (padding, stride phase); the average is the same
        # function of both views, so mirroring the frame mirrors the map.
        assert (gap < 1e-5) if average else (gap > 0.05), (average, gap)
