"""One-shot fine-tuning settings reach the training: the copies' resize range."""

import copy

import pytest

from vos_core import SegmentConfig, load_net, read_image, read_mask
from vos_core.errors import VosError
from vos_core.network.oneshot import fine_tune


def test_the_scale_range_comes_from_json_as_a_list_and_is_checked():
    assert SegmentConfig().with_overrides(augment_scale=[0.5, 2]).augment_scale == (0.5, 2.0)
    for bad in [(1.2, 0.8), (0.0, 1.0), (1.0,), 1.5, "ab", ("a", 1)]:
        with pytest.raises(VosError, match="augment_scale"):
            SegmentConfig(augment_scale=bad)


@pytest.fixture(scope="module")
def annotated(davis_root):
    return (read_image(davis_root / "JPEGImages/480p/blackswan/00000.jpg"),
            read_mask(davis_root / "Annotations/480p/blackswan/00000.png"))


@pytest.mark.parametrize("scale", [0.5, 1.5])
def test_fine_tuning_copies_follow_the_configs_scale(annotated, scale):
    net = copy.deepcopy(load_net()[0])
    heights = []
    hook = net.features[0].register_forward_hook(lambda _m, args, _o: heights.append(args[0].shape[-2]))
    config = SegmentConfig(finetune_iters=2, augment_copies=2, train_height=120, augment_scale=(scale, scale))
    list(fine_tune(net, [annotated], config, "cpu"))
    hook.remove()
    assert heights == [round(120 * scale)] * 2

