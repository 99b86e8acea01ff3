"""Object-centred crops on real DAVIS frames: placement, paste-back, the whole-frame fallback,
fine-tuning on crops and parent training on 480p patches."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from vos_core import SegmentConfig, VideoPredictor, load_net, read_image, read_mask
from vos_core.config import CropSpec
from vos_core.eval.metrics import jaccard
from vos_core.network.crops import crop_warp, cut, object_crop, paste
from vos_core.network.oneshot import fine_tune
from vos_core.network.parent_training import ParentTrainConfig, train_parent
from vos_core.network.patches import FrameBank, PatchSpec, sample_patches
from vos_core.tracking.boxes import mask_box
from vos_core.weights import resolve_weights

SPEC = CropSpec()


#: libby's frame 40: the dog is ~120 px tall, small enough to crop.
SMALL = ("libby", 40)


def frame_and_mask(davis_root, seq: str, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return (read_image(davis_root / f"JPEGImages/480p/{seq}/{index:05d}.jpg"),
            read_mask(davis_root / f"Annotations/480p/{seq}/{index:05d}.png"))


def through_crop(mask: np.ndarray, warp: np.ndarray, side: int) -> np.ndarray:
    """What a network that maps the object perfectly returns for the crop, pasted back (0/255)."""
    patch = cv2.warpAffine(mask.astype(np.float32) / 255, warp, (side, side), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    return np.where(paste(patch, warp, mask.shape) > 0.5, 255, 0).astype(np.uint8)


def shifted_to_corner(mask: np.ndarray) -> np.ndarray:
    """``mask`` moved so that its box touches the frame's right and bottom edges (part cut off)."""
    _, _, x1, y1 = map(int, mask_box(mask))
    dx, dy = mask.shape[1] - x1 + 20, mask.shape[0] - y1 + 15  # 20 and 15 px past the edges
    return cv2.warpAffine(mask, np.float32([[1, 0, dx], [0, 1, dy]]), (mask.shape[1], mask.shape[0]),
                          flags=cv2.INTER_NEAREST)


def test_a_crop_magnifies_a_small_object_and_its_map_lands_on_the_object(davis_root):
    frame, mask = frame_and_mask(davis_root, *SMALL)
    warp = object_crop(mask_box(mask), mask.shape, 240, SPEC)
    assert warp is not None
    zoom = 1 / np.hypot(*warp[:, 0])  # network pixels per frame pixel
    assert zoom > 1.25 * 240 / 480, "no gain over the whole frame at 240 lines"
    x0, y0, x1, y1 = mask_box(mask)
    assert max(x1 - x0, y1 - y0) * zoom == pytest.approx(SPEC.object_size, rel=0.01)
    # The crop's centre pixel is the box's centre pixel of the frame.
    patch = cut(frame, warp, (SPEC.side, SPEC.side))
    centre = warp @ np.array([(SPEC.side - 1) / 2, (SPEC.side - 1) / 2, 1])
    np.testing.assert_allclose(patch[SPEC.side // 2, SPEC.side // 2], frame[round(centre[1]), round(centre[0])], atol=40)
    assert jaccard(through_crop(mask, warp, SPEC.side), mask) > 0.9


def test_a_crop_at_the_frames_edge_stays_in_the_frame_and_still_lands_on_the_object(davis_root):
    _, mask = frame_and_mask(davis_root, *SMALL)
    corner = shifted_to_corner(mask)
    warp = object_crop(mask_box(corner), corner.shape, 240, SPEC)
    assert warp is not None
    # Moved inside: the crop's far corner is the frame's last pixel, not beyond it.
    far = warp @ np.array([SPEC.side - 1, SPEC.side - 1, 1])
    np.testing.assert_allclose(far, [corner.shape[1] - 1, corner.shape[0] - 1], atol=1.0)
    assert jaccard(through_crop(corner, warp, SPEC.side), corner) > 0.9


def test_a_crop_larger_than_the_frame_is_padded_and_its_map_still_lands_on_the_object(davis_root):
    frame, mask = frame_and_mask(davis_root, "blackswan")
    # 1.5 frame pixels per network pixel: the 320-pixel crop spans 480 × 480 px of a 854×480 frame
    # in height and more than the frame in a taller window.
    warp = crop_warp((frame.shape[1] / 2, frame.shape[0] / 2), 2.0, (SPEC.side, SPEC.side), mask.shape)
    patch = cut(frame, warp, (SPEC.side, SPEC.side))
    assert (patch[0] == patch[0, 0]).all(), "rows above the frame are padding (one colour)"
    assert jaccard(through_crop(mask, warp, SPEC.side), mask) > 0.9
    # The box of an object filling the frame gives no crop at all: the whole frame is the view.
    assert object_crop((0.0, 0.0, float(frame.shape[1]), float(frame.shape[0])), mask.shape, 240, SPEC) is None
    assert object_crop(None, mask.shape, 240, SPEC) is None


def test_the_predictor_crops_small_objects_and_falls_back_to_whole_frames(davis_root):
    config = SegmentConfig(finetune_iters=0, detector="none", postprocess="threshold", crop_size=160)
    net, _ = load_net()
    predictor = VideoPredictor(net, config)
    shapes = {}
    for seq, index in (SMALL, ("blackswan", 0)):
        frame, mask = frame_and_mask(davis_root, seq, index)
        session = predictor.new_session()
        predictor.add_mask(session, 0, frame, mask)
        list(predictor.fit(session))
        later, _ = frame_and_mask(davis_root, seq, index + 1)
        first = predictor.maps(session, 0, frame)[1]
        predictor.finish_frame(session, 0, frame, {1: first}, [])
        shapes[seq] = predictor.maps(session, 1, later)[1].shape
        if seq == "libby":
            crop_map = predictor.maps(session, 1, later)[1]
            outside = np.ones(mask.shape, bool)
            x0, y0, x1, y1 = map(int, mask_box(mask))
            pad = int(SPEC.context * max(x1 - x0, y1 - y0)) + 40
            outside[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad] = False
            assert crop_map[outside].max() == 0, "a crop's map is zero outside the crop"
            session.objects[1].crop_box = None  # lost: the next frame is seen whole
            shapes["lost"] = predictor.maps(session, 1, later)[1].shape
    small = predictor.small_frame(later).shape[:2]
    assert shapes == {"libby": later.shape[:2], "blackswan": small, "lost": small}


@pytest.mark.slow
def test_fine_tuning_on_crops_lowers_the_loss(davis_root):
    frame, mask = frame_and_mask(davis_root, *SMALL)
    net, _ = load_net()
    config = SegmentConfig(finetune_iters=16, augment_copies=4, crop_size=160, precision="float32")
    steps = list(fine_tune(net, [(frame, mask)], config, "cpu"))
    first, last = [s.loss for s in steps[:4]], [s.loss for s in steps[-4:]]  # the same four copies
    assert np.mean(last) < 0.8 * np.mean(first), (first, last)


def test_crop_patches_show_the_object_at_the_crop_scale(davis_root):
    frame, mask = frame_and_mask(davis_root, *SMALL)
    bank = FrameBank([(frame, mask)], "cpu")
    spec = PatchSpec(max_rotation=0.0, shift=0.0, scale_range=(1.0, 1.0), mirror=False)
    x, y = sample_patches(bank, 2, True, np.random.default_rng(0), spec)
    assert x.shape == (2, 3, SPEC.side, SPEC.side) and y.shape == (2, 1, SPEC.side, SPEC.side)
    box = mask_box(y[0, 0].numpy())
    assert max(box[2] - box[0], box[3] - box[1]) == pytest.approx(SPEC.object_size, abs=3)
    # Without jitter the patch is exactly what inference cuts.
    warp = object_crop(mask_box(mask), mask.shape, 240, SPEC)
    expected = cut(frame, warp, (SPEC.side, SPEC.side))[..., ::-1].astype(np.float32)
    got = x[0].permute(1, 2, 0).numpy() + np.array([103.939, 116.779, 123.68], np.float32)
    assert np.abs(got - expected).mean() < 3.0


@pytest.mark.slow
def test_parent_training_on_480p_patches_resumes_where_it_stopped(davis_root, tmp_path):
    root = tmp_path / "davis"
    for kind, ext in (("JPEGImages", "jpg"), ("Annotations", "png")):
        for seq in ("libby", "dog"):
            folder = root / kind / "480p" / seq
            folder.mkdir(parents=True)
            for i in range(2):
                (folder / f"{i:05d}.{ext}").symlink_to(davis_root / kind / "480p" / seq / f"{i:05d}.{ext}")
    (root / "ImageSets").mkdir()
    (root / "ImageSets/train.txt").write_text("libby\ndog\n")
    config = ParentTrainConfig(iterations=4, checkpoint_every=2, batch=2, patches=PatchSpec(crop=CropSpec(object_size=64)),
                               precision="float32")

    def train(run, stop_after=None):
        progress = []
        for p in train_parent(root, run, resolve_weights(), config, resolution="480p", log_every=1):
            progress.append(p)
            if p.iteration == stop_after:
                break  # interrupted right after the checkpoint of iteration 2
        return progress

    straight = train(tmp_path / "straight")
    train(tmp_path / "resumed", stop_after=2)
    resumed = train(tmp_path / "resumed")  # picks up at iteration 2 from last.pt
    assert [p.iteration for p in resumed] == [3, 4]
    assert [p.loss for p in resumed] == pytest.approx([p.loss for p in straight[2:]], rel=1e-4)
    a, info = load_net(tmp_path / "straight/parent_iter4.pth")
    b, _ = load_net(tmp_path / "resumed/parent_iter4.pth")
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(p, q, msg=name)
    assert "480p" in info["meta"]["data"] and info["meta"]["train_config"]["batch"] == 2



@pytest.mark.slow
def test_keyframes_tracked_outward_get_crops_on_their_second_pass(davis_root, monkeypatch):
    """Keyframes on frames 40 and 46 of libby: frames before, between and after are tracked
    outward; the second pass places a crop on each from the first pass's mask there."""
    from vos_core.clip_store import ClipStore

    cropped: list[int] = []
    put_crop = ClipStore.put_crop
    monkeypatch.setattr(ClipStore, "put_crop", lambda self, oid, i, *a: cropped.append(i) or put_crop(self, oid, i, *a))
    config = SegmentConfig(finetune_iters=10, augment_copies=10, detector="none", crop_size=160)
    net, _ = load_net()
    predictor = VideoPredictor(net, config)
    frames = [frame_and_mask(davis_root, "libby", i)[0] for i in range(48)]
    masks = {i: frame_and_mask(davis_root, "libby", i)[1] for i in (40, 46)}
    session = predictor.new_session()
    for i, mask in masks.items():
        predictor.add_mask(session, i, frames[i], mask)
    results = list(predictor.propagate(session, frames, start=37, end=47))
    assert [r.index for r in results] == list(range(37, 48))
    for r in results:
        if r.index in masks:
            np.testing.assert_array_equal(r.masks[1], masks[r.index])
    # The keyframes (40, 46: store indices 3 and 9) and most other frames got a crop; a frame
    # whose first-pass mask is too large to crop, or empty, keeps its whole-frame map.
    assert {3, 9} <= set(cropped) and len(set(cropped)) >= 7 and len(cropped) == len(set(cropped))
    truth = [frame_and_mask(davis_root, "libby", r.index)[1] for r in results]
    assert np.mean([jaccard(r.masks[1], t) for r, t in zip(results, truth)]) > 0.5
