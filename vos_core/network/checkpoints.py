"""Loading and saving appearance-network weights.

Two kinds of file are understood, both float16 on disk and float32 in memory:
- an ImageNet VGG16 backbone (keys ``features.*`` only): side outputs and fusion start fresh;
- a trained parent network (``{"format": PARENT_FORMAT, "state_dict": ..., "meta": ...}``),
  whose SHA-256 is checked against the ``.sha256`` file beside it when there is one.
Which file is loaded is decided in ``vos_core/weights`` (the search folders).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..errors import WeightsError
from ..weights import resolve_weights, sha256_of, verify_checksum
from .appearance import AppearanceNet

PARENT_FORMAT = "vos-matte-parent/1"


def load_net(weights: str | Path | None = None) -> tuple[AppearanceNet, dict[str, Any]]:
    """Build an AppearanceNet from a weights file (see :func:`resolve_weights`).

    Returns the float32 network on the CPU and a description: ``{"path", "kind", "meta"}``.
    """
    path = resolve_weights(weights)
    verify_checksum(path)
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
