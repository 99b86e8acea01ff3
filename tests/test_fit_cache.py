"""The fit cache: what keys an entry, and how it copes with damaged or concurrent entries."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from plugin.fit_cache import INFERENCE_SETTINGS, clip_key
from vos_core import SegmentConfig

#: A valid other value for the settings that :func:`changed`'s rule would make invalid.
ALTERNATES = {"precision": "float32", "crop_size": 64, "crop_context": 1.0, "detector": "none", "postprocess": "clip",
              "upsample": "guided", "threshold": 0.5, "high_threshold": 0.9}


def changed(config: SegmentConfig, name: str) -> SegmentConfig:
    """``config`` with setting ``name`` changed to another valid value."""
    return replace(config, **{name: ALTERNATES.get(name, other(getattr(config, name)))})


def other(value):
    """Another value of the same kind as ``value``."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, tuple):
        return tuple(v + 0.1 for v in value)
    if value is None:
        return 0.5
    return f"{value}-other"


def key(config: SegmentConfig, tmp_path) -> str:
    return clip_key(tmp_path / "clip.mp4", config, tmp_path / "parent.pth", 1)


@pytest.mark.parametrize("name", [f.name for f in fields(SegmentConfig) if f.name not in INFERENCE_SETTINGS])
def test_every_setting_fine_tuning_may_read_keys_the_cache(name, tmp_path):
    """augment_scale and precision were left out once: changing them reused the old network."""
    config = SegmentConfig()
    assert key(changed(config, name), tmp_path) != key(config, tmp_path)


def test_inference_settings_are_real_settings_and_do_not_key_the_cache(tmp_path):
    config = SegmentConfig()
    assert INFERENCE_SETTINGS <= {f.name for f in fields(SegmentConfig)}
    for name in INFERENCE_SETTINGS:
        assert key(changed(config, name), tmp_path) == key(config, tmp_path), name
