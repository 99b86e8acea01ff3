"""Networks loaded once per process: a batch worker runs many shots with the same weights.

``segment_stream`` asks here instead of loading from disk for every clip. An entry is keyed by
the weights file's identity (resolved path, size, modification time), so a file replaced on disk
is loaded again; only the last two of each are kept (a VGG16 is ~60 MB). The parent network is
never trained in place (each object fine-tunes a copy), which is what makes sharing it safe.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from vos_core import load_net
from vos_core.network.appearance import AppearanceNet
from vos_core.tracking.detection import Detector, load_detector
from vos_core.weights import resolve_weights, search_dirs

from .fit_cache import file_identity


def cached_net(weights: str | Path | None = None) -> tuple[AppearanceNet, dict[str, Any]]:
    """:func:`vos_core.load_net`, loaded once per weights file and process."""
    return _net(*file_identity(resolve_weights(weights)))


def cached_detector(name: str, weights: str | Path | None = None, device: str = "cpu") -> Detector | None:
    """:func:`vos_core.tracking.detection.load_detector`, built once per model folders, device and process."""
    places = tuple(tuple(file_identity(d)) for d in search_dirs(weights))
    return _detector(name, None if weights is None else str(weights), device, places)


@lru_cache(maxsize=2)
def _net(path: str, size: int, mtime_ns: int) -> tuple[AppearanceNet, dict[str, Any]]:
    return load_net(path)


@lru_cache(maxsize=2)
def _detector(name: str, weights: str | None, device: str, places: tuple) -> Detector | None:
    # ``places`` (the folders searched, with $VOS_WEIGHTS_DIR's) only keys the entry.
    del places
    return load_detector(name, weights, device)

