"""Several fine-tuned copies per object: each trained on its own augmentation seed, maps averaged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vos_core import SegmentConfig, VideoPredictor, load_net, read_image, read_mask
from vos_core.network.appearance import MapEnsemble

pytestmark = pytest.mark.slow  # fine-tunes twice


def test_an_ensemble_fits_each_copy_on_its_own_seed_and_averages_their_maps(davis_root):
    frame = read_image(davis_root / "JPEGImages/480p/dog/00000.jpg")
    mask = read_mask(davis_root / "Annotations/480p/dog/00000.png")
    net, _ = load_net()
    config = SegmentConfig(finetune_iters=2, augment_copies=2, detector="none", postprocess="threshold", ensemble=2)
    predictor = VideoPredictor(net, config)
    session = predictor.new_session()
    predictor.add_mask(session, 0, frame, mask)
    steps = [(s.step, s.total) for s in predictor.fit(session)]
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]  # one progress bar over both copies
    ensemble = session.objects[1].net
    assert isinstance(ensemble, MapEnsemble) and len(ensemble.members) == 2
    a, b = (dict(m.named_parameters())["features.28.weight"] for m in ensemble.members)
    assert not torch.equal(a, b), "the copies trained on different augmented copies"
    small = predictor.small_frame(frame)
    maps = [predictor.predict_map(m, small) for m in ensemble.members]
    np.testing.assert_allclose(predictor.predict_map(ensemble, small), (maps[0] + maps[1]) / 2, atol=1e-4)
    # The first copy is what a single fit with the same seed gives.
    single = VideoPredictor(net, SegmentConfig(**{**config.to_dict(), "ensemble": 1}))
    alone = single.new_session()
    single.add_mask(alone, 0, frame, mask)
    list(single.fit(alone))
    np.testing.assert_allclose(single.predict_map(alone.objects[1].net, small), maps[0], atol=1e-4)
