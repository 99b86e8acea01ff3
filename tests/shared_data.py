"""Where the tests' real data lives, and what a test does when it is absent (shared by both conftests).

DAVIS-2016 is looked for in ``$VOS_SHARED_DIR/davis2016`` when that is set, else ``../shared/davis2016``
beside the repository, else the folder ``installers/fetch_davis.py`` fills by default
(``~/.cache/vos-matte/shared/davis2016``). When it is absent a test that needs it is skipped, naming the
fetch command; under CI (``CI=true``) it fails instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FETCHER = REPO / "installers" / "fetch_davis.py"


def load_script(path: Path, name: str):
    """The module of a script outside any package (``installers/``), loaded from its file."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fetch_davis = load_script(FETCHER, "fetch_davis")
#: The command named when DAVIS is absent.
FETCH_COMMAND = "python3 installers/fetch_davis.py"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def _has_davis(shared: Path) -> bool:
    return (shared / "davis2016" / "ImageSets" / "dev.txt").is_file()


def _candidates() -> list[Path]:
    if os.environ.get("VOS_SHARED_DIR"):
        return [Path(os.environ["VOS_SHARED_DIR"]).expanduser()]
    return [REPO.parent / "shared", fetch_davis.default_dest()]


def shared_dir() -> Path:
    """The shared folder: ``$VOS_SHARED_DIR``, else ``../shared`` if it holds DAVIS, else the fetcher's cache."""
    candidates = _candidates()
    return next((c for c in candidates if _has_davis(c)), candidates[0])


def imagenet_weights() -> Path:
    """Where the ImageNet VGG16 file is looked for (only one test compares against it)."""
    return shared_dir() / "weights" / "vgg16_imagenet_caffe_bgr_fp16.pth"


def missing(what: str, how: str) -> None:
    """Skip the running test (fail it under CI) because ``what`` is absent; ``how`` says how to get it."""
    message = f"{what}; {how}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: missing test data is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def require_davis(shared: Path | None = None) -> Path:
    """The DAVIS-2016 folder, or skip (fail under CI) naming the fetch command."""
    looked = _candidates() if shared is None else [shared]
    found = next((c for c in looked if _has_davis(c)), None)
    if found is None:
        missing(f"DAVIS-2016 not found in {' or '.join(str(c / 'davis2016') for c in looked)}",
                f"run `{FETCH_COMMAND}` (or set VOS_SHARED_DIR to a folder holding davis2016/)")
    return found / "davis2016"
