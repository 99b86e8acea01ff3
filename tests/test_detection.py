"""Detector backends on real frames, and the box filter on real DAVIS geometry."""

from itertools import pairwise

import numpy as np
import pytest
import torch

from vos_core import SegmentConfig, WeightsError, read_image, read_mask
from vos_core.eval.metrics import jaccard
from vos_core.tracking.boxes import box_iou, mask_box
from vos_core.tracking.detection import (
    FASTER_RCNN_FILE,
    FasterRCNNDetector,
    load_detector,
    tiles,
    torchvision_cache_file,
)
from vos_core.tracking.tracker import ObjectTracker


@pytest.fixture(scope="module")
def yolox():
    return load_detector("yolox")  # the bundled model


def frame_and_mask(root, seq, i):
    return read_image(root / f"JPEGImages/480p/{seq}/{i:05d}.jpg"), read_mask(root / f"Annotations/480p/{seq}/{i:05d}.png")


#: DAVIS clips whose object is one COCO class, with that class.
ANNOTATED = [("blackswan", "bird"), ("bear", "bear"), ("bus", "bus"), ("car-roundabout", "car"), ("car-turn", "car"),
             ("cows", "cow"), ("elephant", "elephant")]


@pytest.mark.parametrize(("seq", "label"), ANNOTATED)
def test_yolox_boxes_the_annotated_object_with_its_class(davis_root, yolox, seq, label):
    """On two frames of each clip a detection of the object's class overlaps its ground-truth box
    (IoU 0.75: measured 0.77-0.98): boxes are in frame pixels, classes are named right."""
    for i in (0, 20):
        image, mask = frame_and_mask(davis_root, seq, i)
        found = [box_iou(d.box, mask_box(mask)) for d in yolox.detect(image) if d.label == label]
        assert found and max(found) > 0.75, (seq, i, found)
    dets = yolox.detect(frame_and_mask(davis_root, "blackswan", 0)[0])
    assert [d.label for d in dets] == ["bird"]  # and nothing else on a clean frame


def test_wide_frames_are_tiled_with_overlap_and_normal_ones_are_not():
    assert tiles(854, 480) == [(0, 0, 854, 480)]
    for w, h in ((1708, 480), (480, 1708), (3000, 400)):
        windows = tiles(w, h)
        long, short = max(w, h), min(w, h)
        spans = [(x0, x1) if w >= h else (y0, y1) for x0, y0, x1, y1 in windows]
        assert spans[0][0] == 0 and spans[-1][1] == long
        assert all(b - a <= 1.5 * short + 1 for a, b in spans), "each tile is about as wide as the detector's square"
        assert all(prev[1] - nxt[0] >= short // 4 for prev, nxt in pairwise(spans)), "neighbours overlap"


def test_an_object_in_half_of_a_double_width_frame_is_found_as_in_its_own_frame(davis_root, yolox):
    """Two clips side by side (the several-objects benchmark): letterboxed whole, the bicycle on the
    right was lost; tiled, it is found with the box it gets alone."""
    left, _ = frame_and_mask(davis_root, "blackswan", 0)
    right, mask = frame_and_mask(davis_root, "bmx-trees", 0)
    x0, y0, x1, y1 = mask_box(mask)
    target = (x0 + 854, y0, x1 + 854, y1)
    found = [d for d in yolox.detect(np.concatenate([left, right], axis=1)) if d.label == "bicycle"]
    alone = [d for d in yolox.detect(right) if d.label == "bicycle"]
    assert alone and found
    assert max(box_iou(d.box, target) for d in found) > 0.8 * max(box_iou(d.box, mask_box(mask)) for d in alone)


def test_faster_rcnn_pre_and_post_processing_with_random_weights(davis_root):
    """The frame reaches the model as RGB in 0..1, channels first; every box the model returns comes
    back as a Detection with its own class and score, best first."""
    torch.manual_seed(0)
    det = FasterRCNNDetector(weights=None, min_score=0.0)
    seen = []
    det.model.transform.register_forward_pre_hook(lambda module, args: seen.append(args[0][0]))
    image, _ = frame_and_mask(davis_root, "blackswan", 0)
    image = image[::2, ::2].copy()  # 240×427
    dets = det.detect(image)
    x = seen[0]
    assert x.shape == (3, 240, 427)
    np.testing.assert_allclose(x.permute(1, 2, 0).numpy() * 255, image, atol=1e-3)  # RGB order, 0..1
    with torch.inference_mode():
        raw = det.model([x])[0]
    order = raw["scores"].argsort(descending=True)
    assert len(dets) == len(order) > 0, "a random model still proposes boxes at score 0"
    np.testing.assert_allclose([d.box for d in dets], raw["boxes"][order].numpy(), rtol=1e-6)
    assert [d.class_id for d in dets] == raw["labels"][order].tolist()
    assert [d.label for d in dets] == [str(c) for c in raw["labels"][order].tolist()]  # no names without weights
    np.testing.assert_allclose([d.score for d in dets], raw["scores"][order].numpy(), rtol=1e-6)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty torchvision cache, no $VOS_WEIGHTS_DIR, and any download attempt fails the test."""
    import urllib.request

    def no_download(*args, **kwargs):
        raise AssertionError(f"the core tried to download {args[:1]}")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.delenv("VOS_WEIGHTS_DIR", raising=False)
    monkeypatch.setattr(urllib.request, "urlopen", no_download)
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)


def test_faster_rcnn_never_downloads_and_says_what_is_missing(offline, tmp_path):
    with pytest.raises(WeightsError, match=rf"Faster R-CNN weights not found .*{tmp_path / FASTER_RCNN_FILE}.*"
                                           r"fasterrcnn_resnet50_fpn_coco-258fb6c6\.pth.*--detector yolox"):
        load_detector("faster-rcnn", tmp_path)


def test_faster_rcnn_takes_weights_from_the_torchvision_cache(offline, tmp_path):
    cached = torchvision_cache_file()
    assert cached.is_relative_to(tmp_path / "torch_home")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not a state dict")  # found there: loading it is what fails
    with pytest.raises(WeightsError, match=f"cannot load Faster R-CNN weights {cached}"):
        load_detector("faster-rcnn", tmp_path)


def test_full_filter_removes_a_same_class_distractor_on_real_frames(davis_root, yolox):
    """The appearance map lights up the annotated car and another car; only ours must remain."""
    seq = "car-roundabout"
    image, mask = frame_and_mask(davis_root, seq, 0)
    full, plain = ObjectTracker(SegmentConfig()), ObjectTracker(SegmentConfig(postprocess="threshold"))
    dets = yolox.detect(image)
    full.start(mask, dets)
    assert full.state.labels[0] == "car"
    ours, theirs = [], []
    for i in range(1, 75, 2):
        image, gt = frame_and_mask(davis_root, seq, i)
        dets = yolox.detect(image)
        x0, y0, x1, y1 = mask_box(gt)
        apart = (x0 - 20, y0 - 20, x1 + 20, y1 + 20)  # a distractor that does not touch our car
        other = max((d for d in dets if d.label == "car" and box_iou(d.box, apart) == 0), key=lambda d: d.score, default=None)
        prob = (gt > 0).astype(np.float32) * 0.9
        if other is not None:
            x0, y0, x1, y1 = map(int, other.box)
            prob[y0:y1, x0:x1] = 0.9
        mask = full.step(prob, dets)  # every frame goes through the tracker, confusing or not
        if other is not None:
            ours.append(jaccard(mask, gt))
            theirs.append(jaccard(plain.step(prob, dets), gt))
    assert len(ours) >= 5, "too few frames with a second car to confuse the map with"
    assert min(ours) > 0.95, ours
    assert np.mean(ours) > np.mean(theirs) + 0.05, (ours, theirs)
