"""Weights files: explicit paths, the parent checkpoint's checksum sidecar, and resume state."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import vos_core.network.checkpoints as checkpoints_module
from vos_core import WeightsError, load_net, read_image, read_mask
from vos_core.network.appearance import AppearanceNet
from vos_core.network.checkpoints import save_parent
from vos_core.network.parent_training import ParentTrainConfig, train_parent
from vos_core.network.training import make_optimizer
from vos_core.weights import resolve_weights


def test_explicit_weights_path_that_does_not_exist_is_an_error_naming_it(tmp_path, parent_weights):
    typo = parent_weights.parent / "typo.pth"  # its folder holds real weights: they must not be used instead
    with pytest.raises(WeightsError, match=f"weights not found: {typo}"):
        load_net(typo)
    with pytest.raises(WeightsError, match="weights not found"):
        resolve_weights(tmp_path / "no_such_folder")


def test_weights_env_folder_that_does_not_exist_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("VOS_WEIGHTS_DIR", str(tmp_path / "gone"))
    with pytest.raises(WeightsError, match="VOS_WEIGHTS_DIR=.*gone is not a folder"):
        resolve_weights()


def test_weights_env_folder_without_weights_is_an_error_not_the_bundled_parent(monkeypatch, tmp_path):
    (tmp_path / "fasterrcnn_resnet50_fpn_coco.pth").write_bytes(b"a detector, not the appearance network")
    monkeypatch.setenv("VOS_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(WeightsError, match=rf"^no network weights found \(looked in: {tmp_path}\)"):
        resolve_weights()
    (tmp_path / "parent_fp16.pth").write_bytes(b"")
    assert resolve_weights() == tmp_path / "parent_fp16.pth"


class Interrupted(BaseException):
    """Stands for the process being killed between two file operations."""


def _interrupt_at(monkeypatch, k: int) -> list[str]:
    """Make the k-th file operation of save_parent (1-based) raise Interrupted; returns the call log."""
    calls: list[str] = []

    def wrap(name, fn):
        def wrapper(*args, **kwargs):
            calls.append(name)
            if len(calls) == k:
                raise Interrupted(name)
            return fn(*args, **kwargs)
        return wrapper

    for name in ("replace", "unlink", "write_text"):
        monkeypatch.setattr(Path, name, wrap(name, getattr(Path, name)))
    monkeypatch.setattr(checkpoints_module.torch, "save", wrap("torch.save", torch.save))
    monkeypatch.setattr(checkpoints_module, "sha256_of", wrap("sha256_of", checkpoints_module.sha256_of))
    return calls


def test_interrupted_save_never_leaves_a_good_file_marked_corrupt(monkeypatch, tmp_path):
    path = tmp_path / "parent_fp16.pth"
    old, new = AppearanceNet(), AppearanceNet()
    with torch.no_grad():
        new.fuse.weight.add_(1.0)
    save_parent(old, path, {"iterations": 1})
    k = 1
    while True:  # interrupt after 0, 1, 2... file operations until one save runs to the end
        with monkeypatch.context() as m:
            calls = _interrupt_at(m, k)
            try:
                save_parent(new, path, {"iterations": 2})
                finished = True
            except Interrupted:
                finished = False
        loaded, info = load_net(path)  # must not raise "corrupt"
        expected = new if info["meta"]["iterations"] == 2 else old
        assert torch.equal(loaded.fuse.weight, expected.fuse.weight.detach().half().float()), calls
        if finished:
            break
        save_parent(old, path, {"iterations": 1})
        k += 1
    assert k > 3, calls  # the save really was cut at several points
    assert (tmp_path / "parent_fp16.pth.sha256").read_text().split()[0] == checkpoints_module.sha256_of(path)


@pytest.fixture
def tiny_train_root(tmp_path, davis_root) -> Path:
    """A DAVIS-layout root with a two-frame 'train' split at 1/4 size."""
    root = tmp_path / "davis"
    for kind in ("JPEGImages", "Annotations"):
        (root / kind / "480p" / "swan").mkdir(parents=True)
    for i in range(2):
        frame = read_image(davis_root / f"JPEGImages/480p/blackswan/{i:05d}.jpg")[::4, ::4]
        mask = read_mask(davis_root / f"Annotations/480p/blackswan/{i:05d}.png")[::4, ::4]
        cv2.imwrite(str(root / f"JPEGImages/480p/swan/{i:05d}.jpg"), np.ascontiguousarray(frame[..., ::-1]))
        cv2.imwrite(str(root / f"Annotations/480p/swan/{i:05d}.png"), mask)
    (root / "ImageSets").mkdir()
    (root / "ImageSets/train.txt").write_text("swan\n")
    return root


class Payload:
    """Unpickling this runs code: what a planted resume file could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_resume_state_is_loaded_without_running_pickled_code(tiny_train_root, parent_weights, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    marker = tmp_path / "code_ran"
    torch.save({"net": Payload(marker), "iteration": 0}, run / "last.pt")
    with pytest.raises(WeightsError, match=f"cannot resume from {run / 'last.pt'}.*Remove it"):
        list(train_parent(tiny_train_root, run, parent_weights, ParentTrainConfig(iterations=1), resolution="480p"))
    assert not marker.exists()


def test_own_resume_state_loads_with_weights_only(tiny_train_root, parent_weights, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    net, _ = load_net(parent_weights)
    optimizer = make_optimizer(net, 1e-3)
    with torch.no_grad():
        net.fuse.weight.fill_(0.25)
    rng = np.random.default_rng(7)
    torch.save({"net": net.state_dict(), "optimizer": optimizer.state_dict(), "iteration": 5,
                "rng": rng.bit_generator.state}, run / "last.pt")
    # Already at the last iteration: resuming loads the state and has nothing left to train.
    assert list(train_parent(tiny_train_root, run, parent_weights, ParentTrainConfig(iterations=5),
                             resolution="480p")) == []
