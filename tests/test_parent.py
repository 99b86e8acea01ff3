"""The shipped parent network: it loads by default and beats ImageNet initialisation after a short fine-tune."""

import numpy as np
import pytest

from vos_core import SegmentConfig, VideoPredictor, load_net, read_image, read_mask
from vos_core.eval.metrics import jaccard
from vos_core.weights import BUNDLED_DIR, PARENT_FILE, resolve_weights

SEQS, LATER = ("dog", "breakdance"), (10, 20, 40)


def short_fine_tune_iou(weights, root, seq):
    frames, masks = root / "JPEGImages/480p" / seq, root / "Annotations/480p" / seq
    net, info = load_net(weights)
    # 240 lines: the resolution the parent was trained at.
    config = SegmentConfig(finetune_iters=10, train_height=240, infer_height=240, postprocess="threshold")
    predictor = VideoPredictor(net, config)
    session = predictor.new_session()
    first = read_image(frames / "00000.jpg")
    predictor.add_mask(session, 0, first, read_mask(masks / "00000.png"))
    later = [read_image(frames / f"{i:05d}.jpg") for i in LATER]
    results = list(predictor.propagate(session, [first, *later]))[1:]
    return info, np.mean([jaccard(r.matte, read_mask(masks / f"{i:05d}.png")) for r, i in zip(results, LATER)])


def test_parent_is_the_default_and_verified(monkeypatch):
    monkeypatch.delenv("VOS_WEIGHTS_DIR", raising=False)
    assert resolve_weights() == BUNDLED_DIR / PARENT_FILE
    _, info = load_net()
    assert info["kind"] == "parent" and info["meta"]["iterations"] > 0
    assert (BUNDLED_DIR / (PARENT_FILE + ".sha256")).is_file()  # load_net checked it


@pytest.mark.slow
def test_parent_beats_imagenet_after_a_short_fine_tune(davis_root, imagenet_weights):
    ours, imagenet = [], []
    for seq in SEQS:
        info, j = short_fine_tune_iou(BUNDLED_DIR / PARENT_FILE, davis_root, seq)
        assert info["kind"] == "parent"
        ours.append(j)
        imagenet.append(short_fine_tune_iou(imagenet_weights, davis_root, seq)[1])
    assert np.mean(ours) > np.mean(imagenet) + 0.1, (ours, imagenet)
