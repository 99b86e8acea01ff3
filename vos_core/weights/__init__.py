"""The weight files bundled with the package (this folder), and where weights are looked for.

Folders are searched in order: one given by the caller, else ``$VOS_WEIGHTS_DIR``; then this one.
Both the appearance network (``network/checkpoints.py``) and the detector
(``tracking/detection.py``) find their files here, so the search knows no network.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import WeightsError

PARENT_FILE = "parent_fp16.pth"
IMAGENET_FILE = "vgg16_imagenet_caffe_bgr_fp16.pth"
WEIGHTS_ENV = "VOS_WEIGHTS_DIR"
BUNDLED_DIR = Path(__file__).parent


def search_dirs(weights: str | Path | None = None) -> list[Path]:
    """Folders to look in: the given folder (or a given file's folder), else ``$VOS_WEIGHTS_DIR``;
    then the folder bundled with the package.

    An explicit path that does not exist is an error: a typo must not fall back to other weights.
    """
    if weights is not None:
        given = Path(weights)
        if not given.exists():
            raise WeightsError(f"weights not found: {weights} (no such file or folder)")
        first = [given if given.is_dir() else given.parent]
    elif os.environ.get(WEIGHTS_ENV):
        first = [Path(os.environ[WEIGHTS_ENV])]
        if not first[0].is_dir():
            raise WeightsError(f"{WEIGHTS_ENV}={first[0]} is not a folder")
    else:
        first = []
    return [*first, BUNDLED_DIR]


def resolve_weights(weights: str | Path | None = None) -> Path:
    """Pick the appearance-network weights file to load.

    ``weights`` may be a file or a folder; ``None`` means ``$VOS_WEIGHTS_DIR`` if set, else the
    parent network bundled with the package. In a folder the parent network wins over ImageNet
    VGG16. A folder given either way must hold one: other weights are never used instead.
    """
    if weights is not None and Path(weights).is_file():
        return Path(weights)
    places = search_dirs(weights)[:1] if weights is not None or os.environ.get(WEIGHTS_ENV) else search_dirs()
    for place in places:
        for name in (PARENT_FILE, IMAGENET_FILE):
            if (place / name).is_file():
                return place / name
    raise WeightsError(
        f"no network weights found (looked in: {', '.join(map(str, places))}). Pass a weights file or "
        f"folder, or set {WEIGHTS_ENV} to a folder holding {PARENT_FILE} or {IMAGENET_FILE}."
    )


def sha256_of(path: Path) -> str:
    """The file's SHA-256 as hex, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(path: Path) -> None:
    """Raise ``WeightsError`` if the ``.sha256`` sidecar beside ``path`` names another digest (no sidecar: unchecked)."""
    sidecar = path.with_name(path.name + ".sha256")
    if not sidecar.is_file():
        return
    expected = sidecar.read_text().split()[0].strip().lower()
    if sha256_of(path) != expected:
        raise WeightsError(f"{path} is corrupt (SHA-256 differs from {sidecar.name}); reinstall it")
