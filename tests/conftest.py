"""Shared fixtures: real DAVIS data (see shared_data.py: VOS_SHARED_DIR, ../shared or the fetcher's cache)
and the bundled parent network. Absent data skips the tests that need it, naming the fetch command; under
CI=true it fails them."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from shared_data import imagenet_weights as imagenet_path
from shared_data import missing, require_davis

from vos_core.weights import BUNDLED_DIR, PARENT_FILE

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def davis_root() -> Path:
    return require_davis()


@pytest.fixture(scope="session")
def parent_weights() -> Path:
    """The bundled parent network (in the repository: every clone has it)."""
    return BUNDLED_DIR / PARENT_FILE


@pytest.fixture(scope="session")
def imagenet_weights() -> Path:
    """The ImageNet VGG16 file, for the one test that compares against it; skipped (failed under CI) if absent."""
    path = imagenet_path()
    if not path.is_file():
        missing(f"ImageNet VGG16 weights not found at {path}",
                "put vgg16_imagenet_caffe_bgr_fp16.pth in the shared folder's weights/ (only the comparison "
                "of the parent with ImageNet needs it)")
    return path


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

