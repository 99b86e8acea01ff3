"""Shared fixtures: real DAVIS data and weights from ../shared (override with VOS_SHARED_DIR)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared"))
DAVIS = SHARED / "davis2016"
IMAGENET_WEIGHTS = SHARED / "weights" / "vgg16_imagenet_caffe_bgr_fp16.pth"


@pytest.fixture(scope="session")
def davis_root() -> Path:
    if not (DAVIS / "ImageSets" / "dev.txt").is_file():
        pytest.fail(f"DAVIS-2016 data not found at {DAVIS}; set VOS_SHARED_DIR to the shared/ folder")
    return DAVIS


@pytest.fixture(scope="session")
def imagenet_weights() -> Path:
    if not IMAGENET_WEIGHTS.is_file():
        pytest.fail(f"ImageNet VGG16 weights not found at {IMAGENET_WEIGHTS}")
    return IMAGENET_WEIGHTS


@pytest.fixture(autouse=True, scope="session")
def _private_fit_cache(tmp_path_factory) -> None:
    # Fitted networks are cached between runs (plugin/fit_cache.py); tests, and the workers they
    # start, keep theirs out of the user's ~/.cache.
    os.environ["VOS_CACHE_DIR"] = str(tmp_path_factory.mktemp("fit-cache"))


@pytest.fixture(autouse=True, scope="session")
def _two_threads() -> None:
    # CI has 2 cores; more threads only add contention.
    import torch

    torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture
def restore_signals():
    """The CLI's main() installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)

