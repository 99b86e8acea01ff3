"""Anti-chatter (motion-compensated smoothing of alpha) and the chatter measure, on DAVIS frames."""

from __future__ import annotations

import numpy as np
from soft_frames import davis_frame

from plugin.soft import SoftMatter
from vos_core import FrameResult
from vos_core.matte.alpha import get_refine, refine_alpha
from vos_core.matte.antichatter import AntiChatter, ChatterMeter


def test_a_static_scene_leaves_alpha_unchanged(davis_root):
    frame, prob, mask = davis_frame(davis_root, 10)
    alpha, weight = refine_alpha(frame, prob, mask, get_refine("soft"), 0.7)
    smoother, meter = AntiChatter(1.0), ChatterMeter()
    for _ in range(3):
        smoother.advance(frame)
        np.testing.assert_array_equal(smoother.smooth(1, alpha, weight), alpha)
        meter.add(frame, alpha)
    assert meter.per_frame == [0.0, 0.0]


def test_an_edge_flickering_on_a_static_scene_is_held_steady(davis_root):
    """The mask's edge steps one pixel in and out every frame over an unchanged picture."""
    frame, prob, mask = davis_frame(davis_root, 10)
    settings = get_refine("soft")
    chatter = {}
    for name, strength in (("off", 0.0), ("on", settings.chatter)):
        smoother, meter = AntiChatter(strength), ChatterMeter()
        for i in range(6):
            alpha, weight = refine_alpha(frame, prob, mask, settings.with_overrides(shift_edge=(-1.0) ** i), 0.7)
            smoother.advance(frame)
            meter.add(frame, smoother.smooth(1, alpha, weight))
        chatter[name] = meter.mean
    assert chatter["on"] < 0.6 * chatter["off"]


def test_motion_is_compensated_not_smeared(davis_root):
    """The picture and its mask move 4 pixels right per frame: the previous alpha, moved by the
    flow, lands on the current one, so smoothing changes little and the edge does not lag."""
    frame, prob, mask = davis_frame(davis_root, 10)
    settings = get_refine("soft")
    smoother = AntiChatter(1.0)
    for step in range(4):
        shifted = [np.roll(a, 4 * step, axis=1) for a in (frame, prob, mask)]
        alpha, weight = refine_alpha(*shifted, settings, 0.7)
        smoother.advance(shifted[0])
        smoothed = smoother.smooth(1, alpha, weight)
    edge = weight > 0
    assert np.abs(smoothed - alpha)[edge].mean() < 0.02
    assert np.abs(smoothed - np.roll(alpha, -4, axis=1))[edge].mean() > 0.05  # what no compensation would give


def test_soft_mattes_chatter_less_than_hard_ones_on_real_motion(davis_root):
    chatter = {}
    for name in ("hard", "soft"):
        stage, meter = SoftMatter(get_refine(name), 0.7), ChatterMeter()
        for i in range(8):
            frame, prob, mask = davis_frame(davis_root, i, "dog")
            meter.add(frame, stage.matte(stage.process(FrameResult(i, {1: prob}, {1: mask}, frame=frame))))
        chatter[name] = meter.mean
    assert chatter["soft"] < 0.8 * chatter["hard"]
