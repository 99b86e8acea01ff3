"""Finding, loading and saving appearance-network weights.

Two kinds of file are understood, both float16 on disk and float32 in memory:
- an ImageNet VGG16 backbone (keys ``features.*`` only): side outputs and fusion start fresh;
- a trained parent network (``{"format": PARENT_FORMAT, "state_dict": ..., "meta": ...}``),
  whose SHA-256 is checked against the ``.sha256`` file beside it when there is one.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import torch

from .appearance import AppearanceNet
from .errors import WeightsError

PARENT_FORMAT = "vos-matte-parent/1"
PARENT_FILE = "parent_fp16.pth"
IMAGENET_FILE = "vgg16_imagenet_caffe_bgr_fp16.pth"
WEIGHTS_ENV = "VOS_WEIGHTS_DIR"
BUNDLED_DIR = Path(__file__).with_name("weights")


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
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify_checksum(path: Path) -> None:
    sidecar = path.with_name(path.name + ".sha256")
    if not sidecar.is_file():
        return
    expected = sidecar.read_text().split()[0].strip().lower()
    if sha256_of(path) != expected:
        raise WeightsError(f"{path} is corrupt (SHA-256 differs from {sidecar.name}); reinstall it")


def load_net(weights: str | Path | None = None) -> tuple[AppearanceNet, dict[str, Any]]:
    """Build an AppearanceNet from a weights file (see :func:`resolve_weights`).

    Returns the float32 network on the CPU and a description: ``{"path", "kind", "meta"}``.
    """
    path = resolve_weights(weights)
    _verify_checksum(path)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for truncated or foreign files
        raise WeightsError(f"cannot load weights {path}: {exc}") from None
    if isinstance(blob, dict) and blob.get("format") == PARENT_FORMAT:
        meta = blob.get("meta", {})
        net = AppearanceNet(int(meta.get("side_depth", 1)), bool(meta.get("deep_supervision", False)))
        state, kind, strict = blob["state_dict"], "parent", True
    elif isinstance(blob, dict) and blob and all(k.startswith("features.") for k in blob):
        net, state, kind, meta, strict = AppearanceNet(), blob, "imagenet", {}, False
    else:
        raise WeightsError(f"{path} is neither a parent network nor ImageNet VGG16 weights")
    state = {k: v.float() for k, v in state.items()}
    try:
        missing, unexpected = net.load_state_dict(state, strict=strict)
    except RuntimeError as exc:
        raise WeightsError(f"{path} does not fit the appearance network: {exc}") from None
    if unexpected or any(k.startswith("features.") for k in missing):
        raise WeightsError(f"{path} does not fit the appearance network (missing {missing[:3]})")
    return net, {"path": str(path), "kind": kind, "meta": meta}


def save_parent(net: AppearanceNet, path: str | Path, meta: dict[str, Any]) -> str:
    """Save ``net`` as a float16 parent checkpoint with a ``.sha256`` sidecar; return the digest.

    Both files are written under temporary names and renamed into place. The old sidecar goes
    first and the new one comes last, so an interruption at any point leaves either a complete
    pair or weights with no sidecar (loaded unverified), never a good file marked corrupt.
    """
    path = Path(path)
    sidecar = path.with_name(path.name + ".sha256")
    blob = {
        "format": PARENT_FORMAT,
        "state_dict": {k: v.detach().half().cpu() for k, v in net.state_dict().items()},
        "meta": {**meta, "side_depth": net.side_depth, "deep_supervision": net.deep_supervision},
    }
    tmp, tmp_sidecar = path.with_name(path.name + ".tmp"), sidecar.with_name(sidecar.name + ".tmp")
    torch.save(blob, tmp)
    digest = sha256_of(tmp)
    tmp_sidecar.write_text(f"{digest}  {path.name}\n")
    sidecar.unlink(missing_ok=True)
    tmp.replace(path)
    tmp_sidecar.replace(sidecar)
    return digest
