"""The appearance network: what it maps on real frames, its variants, weights files, loss."""

import numpy as np
import pytest
import torch
from shared_data import REPO, load_script

from vos_core import WeightsError, load_net, read_image, read_mask
from vos_core.eval.metrics import jaccard
from vos_core.network.appearance import AppearanceNet, to_input
from vos_core.network.checkpoints import save_parent
from vos_core.network.loss import class_balanced_bce
from vos_core.network.training import make_optimizer, train_step


@pytest.fixture
def backbone_only(parent_weights, tmp_path):
    """A file in the ImageNet VGG16 layout (``features.*`` convolutions only): the bundled parent's backbone."""
    net, _ = load_net(parent_weights)
    path = tmp_path / "vgg16_layout.pth"
    torch.save({k: v.half() for k, v in net.state_dict().items() if k.startswith("features.")}, path)
    return path


def test_output_is_one_full_size_channel_that_moves_with_the_frame(davis_root, backbone_only):
    net, info = load_net(backbone_only)  # initialised heads, as before any training
    assert info["kind"] == "imagenet"
    frame = read_image(davis_root / "JPEGImages/480p/blackswan/00000.jpg")[::4, ::4]  # 120×214
    with torch.no_grad():
        logits = net.eval()(to_input(frame))
        # The same scene seen 16 px (the network's stride) further right, at half size.
        half = read_image(davis_root / "JPEGImages/480p/blackswan/00000.jpg")[::2, ::2]  # 240×427
        left, right = (net(to_input(np.ascontiguousarray(half[:, x:x + 400]))) for x in (0, 16))
    assert logits.shape == (1, 1, 120, 214)
    assert torch.isfinite(logits).all() and logits.std() > 1
    # Away from the borders the map moves with the picture: a map tied to positions (a misplaced
    # crop, a global term) or a constant one fails this.
    moved = (left[..., 16:] - right[..., :-16])[..., 40:-40, 40:-40].abs()
    assert moved.max() < 0.05 * left.std(), (moved.max(), left.std())


@pytest.mark.parametrize("seq", ["camel", "cows", "dog"])
def test_the_bundled_parent_lights_up_the_object_and_not_the_rest(davis_root, seq):
    """Before any fine-tuning the parent's map (240 lines, as it was trained) is high on the annotated
    object and low elsewhere (measured: inside 0.94-0.98, outside 0.03-0.05, J 0.79-0.84)."""
    net, info = load_net()
    assert info["kind"] == "parent"
    frame = read_image(davis_root / f"JPEGImages/480p/{seq}/00010.jpg")[::2, ::2]  # 240×427
    truth = read_mask(davis_root / f"Annotations/480p/{seq}/00010.png")[::2, ::2] > 0
    with torch.no_grad():
        prob = torch.sigmoid(net.eval()(to_input(frame)))[0, 0].numpy()
    assert prob.shape == truth.shape
    assert prob[truth].mean() > 0.85 and prob[~truth].mean() < 0.1, (prob[truth].mean(), prob[~truth].mean())
    assert jaccard(prob > 0.7, truth) > 0.7


def test_osvos_variant_scores_every_stage_and_trains_on_all_of_them(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    mask = np.zeros((48, 64), np.uint8)
    mask[10:30, 20:40] = 255
    paper, osvos = AppearanceNet(), AppearanceNet(side_depth=16, deep_supervision=True)
    x = to_input(image)
    assert paper.forward_with_sides(x)[1] == []  # the paper's net: fused output only
    fused, sides = osvos.forward_with_sides(x)
    assert len(sides) == 5 and all(s.shape == fused.shape == (1, 1, 48, 64) for s in sides)

    # Deep supervision: the training loss is the fused loss plus every stage's loss.
    y = torch.from_numpy(mask > 0).float()[None, None]
    with torch.no_grad():
        expected = sum(class_balanced_bce(s, y) for s in sides) + class_balanced_bce(fused, y)
    before = osvos.side_scores[0].weight.detach().clone()
    loss = train_step(osvos, make_optimizer(osvos, 1e-3), image, mask, "cpu")
    assert loss == pytest.approx(expected.item(), rel=1e-5)
    assert not torch.equal(before, osvos.side_scores[0].weight)  # the scoring heads are trained too

    save_parent(osvos, tmp_path / "parent_fp16.pth", {"iterations": 1})
    loaded, info = load_net(tmp_path)
    assert info["meta"]["deep_supervision"] and loaded.side_depth == 16 and len(loaded.side_scores) == 5


def test_heads_without_weights_start_the_same_every_time(backbone_only):
    torch.manual_seed(1)
    a, info = load_net(backbone_only)
    assert info["kind"] == "imagenet"  # the heads are not in the file: they are initialised
    torch.manual_seed(2)
    b, _ = load_net(backbone_only)
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]), key


def test_caffe_input_convention():
    image = np.zeros((2, 3, 3), np.uint8)
    image[..., 0] = 200  # red
    x = to_input(image)
    # Channel order BGR, mean-subtracted 0..255 values.
    assert x[0, 2, 0, 0].item() == pytest.approx(200 - 123.68, abs=1e-3)
    assert x[0, 0, 0, 0].item() == pytest.approx(-103.939, abs=1e-3)


def test_class_balanced_loss_weighs_classes_equally():
    target = torch.zeros(1, 1, 10, 10)
    target[..., :1, :1] = 1  # 1 object pixel among 100
    # A net that is equally unsure everywhere: each class then contributes the same total.
    loss = class_balanced_bce(torch.zeros(1, 1, 10, 10), target)
    assert loss.item() == pytest.approx((0.99 * np.log(2) * 1 + 0.01 * np.log(2) * 99) / 100)


def test_parent_round_trip_and_checksum(tmp_path):
    net = AppearanceNet()
    path = tmp_path / "parent_fp16.pth"
    save_parent(net, path, {"iterations": 1})
    loaded, info = load_net(tmp_path)  # a folder: the parent file is found by name
    assert info["kind"] == "parent" and info["meta"]["iterations"] == 1
    ref = net.fuse.weight.detach().half().float()
    assert torch.equal(loaded.fuse.weight, ref) and loaded.fuse.weight.dtype == torch.float32
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="corrupt"):
        load_net(path)


def test_missing_and_foreign_weights(tmp_path):
    with pytest.raises(WeightsError, match="no network weights found"):
        load_net(tmp_path)
    foreign = tmp_path / "foreign.pth"
    torch.save({"something": torch.zeros(1)}, foreign)
    with pytest.raises(WeightsError, match="neither a parent network nor ImageNet"):
        load_net(foreign)


def test_a_parent_between_two_parents_holds_their_weighted_mean_and_its_lineage(tmp_path):
    soup = load_script(REPO / "benchmarks" / "parent_soup.py", "parent_soup")
    new, old = AppearanceNet(seed=1), AppearanceNet(seed=2)
    with torch.no_grad():
        new.features[0].weight.fill_(1.0)
        old.features[0].weight.fill_(-1.0)
    save_parent(new, tmp_path / "new.pth", {"iterations": 2})
    save_parent(old, tmp_path / "old.pth", {"iterations": 1})
    digest = soup.write_soup(tmp_path / "new.pth", tmp_path / "old.pth", 0.75, tmp_path / "mix.pth")
    mix, info = load_net(tmp_path / "mix.pth")  # the sidecar written beside it verifies
    assert info["kind"] == "parent" and digest == soup.sha256_of(tmp_path / "mix.pth")
    assert torch.allclose(mix.features[0].weight, torch.full_like(mix.features[0].weight, 0.5))
    expected = 0.75 * new.side[2].weight.half().float() + 0.25 * old.side[2].weight.half().float()
    assert torch.allclose(mix.side[2].weight, expected, atol=1e-3)
    lineage = info["meta"]["average_of"]
    assert lineage == {soup.sha256_of(tmp_path / "new.pth"): 0.75, soup.sha256_of(tmp_path / "old.pth"): 0.25}
    with pytest.raises(SystemExit, match="alpha"):
        soup.write_soup(tmp_path / "new.pth", tmp_path / "old.pth", 1.5, tmp_path / "bad.pth")
