"""Soft alpha from a mask and its map (vos_core.matte.alpha) on real DAVIS frames."""

from __future__ import annotations

import numpy as np
import pytest
from soft_frames import davis_frame

from plugin.soft import SoftMatter
from vos_core import FrameResult, VosError
from vos_core.matte.alpha import EDGE_FILTERS, HARD, RefineSettings, get_refine, quantize, refine_alpha, signed_distance
from vos_core.matte.upsample import domain_transform_filter, mean_filter


def test_hard_is_the_binary_mask_bit_for_bit(davis_root):
    frame, prob, mask = davis_frame(davis_root, 10)
    alpha, weight = refine_alpha(frame, prob, mask, HARD, 0.7)
    np.testing.assert_array_equal(quantize(alpha, 8), mask)
    np.testing.assert_array_equal(quantize(alpha, 16), mask.astype(np.uint16) * 257)
    assert not weight.any()
    soft = SoftMatter(get_refine("hard"), 0.7)
    for i in range(3):
        frame, prob, mask = davis_frame(davis_root, i)
        np.testing.assert_array_equal(quantize(soft.matte(soft.process(FrameResult(i, {1: prob}, {1: mask}, frame=frame)))), mask)


@pytest.mark.parametrize("edge_filter", EDGE_FILTERS)
def test_soft_alpha_is_confined_to_the_edge_band(davis_root, edge_filter):
    settings = get_refine("soft").with_overrides(edge_filter=edge_filter)
    frame, prob, mask = davis_frame(davis_root, 10)
    alpha, weight = refine_alpha(frame, prob, mask, settings, 0.7)
    distance = signed_distance(mask)
    band = np.abs(distance) < 2 * settings.feather
    assert np.all(alpha[~band & (distance > 0)] == 1.0), "the interior is solid"
    assert np.all(alpha[~band & (distance < 0)] == 0.0), "the far background is solid"
    assert np.all(weight[~band] == 0.0)
    partial = (alpha > 0.02) & (alpha < 0.98)
    assert partial.sum() > 0.5 * (boundary := np.count_nonzero(np.abs(distance) <= 1)), "the edge is soft"
    assert np.count_nonzero((alpha > 0.5) != (mask > 0)) < boundary, "alpha 0.5 stays on the mask's edge"


def straight_edge(threshold: float, frame_edge: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """A vertical edge: (frame, map, mask, first column inside the mask). The map rises linearly
    (1/16 per column) across it and the mask is its ``threshold`` level; the frame is flat grey, or
    steps from dark to light at column ``frame_edge``."""
    prob = np.clip(0.5 + (np.arange(80) - 40) / 16.0, 0, 1).astype(np.float32)[None].repeat(40, axis=0)
    mask = np.where(prob >= threshold, 255, 0).astype(np.uint8)
    frame = np.full((40, 80, 3), 100, np.uint8)
    if frame_edge is not None:
        frame[:, frame_edge:] = 180
    return frame, prob, mask, int(np.argmax(mask[0] > 0))


@pytest.mark.parametrize("edge_filter", EDGE_FILTERS)
@pytest.mark.parametrize("threshold", [0.3, 0.7])
def test_a_straight_edge_ramps_from_0_to_1_across_the_mask_edge_over_the_feather(edge_filter, threshold):
    """Alpha 0 outside, 1 inside, 0.5 where the mask's edge is (whatever threshold the map was cut
    at), rising monotonically over a band whose width follows the feather."""
    frame, prob, mask, edge = straight_edge(threshold)
    widths = []
    for feather in (2.0, 3.0, 6.0):
        settings = RefineSettings(feather=feather, chatter=0.0, edge_filter=edge_filter)
        row = refine_alpha(frame, prob, mask, settings, threshold)[0][20]
        assert np.all(np.diff(row) >= -1e-6), row
        # Exact up to the default feather; a wide one smooths the map's kink at the threshold (the
        # re-centring is steeper on one side) and moves alpha 0.5 by up to a pixel.
        slack = 1 if feather > 3 else 0
        assert abs(int(np.argmax(row >= 0.5)) - edge) <= slack, (feather, row[edge - 3:edge + 3])
        far = int(np.ceil(2 * feather))
        assert np.all(row[:edge - far] == 0.0) and np.all(row[edge + far:] == 1.0)
        partial = np.count_nonzero((row > 0.02) & (row < 0.98))
        assert 1.5 * feather <= partial <= 4 * feather, (feather, partial)
        widths.append(partial)
    assert widths[0] < widths[1] < widths[2]


@pytest.mark.parametrize("offset", [-2, 2])
def test_the_edge_aware_ramp_steps_where_the_frame_does(offset):
    """A frame edge 2 px off the mask's edge: the edge-aware filters put alpha's steepest step (about
    half the ramp) on the frame's edge; the plain feather ignores the frame."""
    _, prob, mask, edge = straight_edge(0.7)
    frame = straight_edge(0.7, frame_edge=edge + offset)[0]
    for edge_filter in EDGE_FILTERS:
        row = refine_alpha(frame, prob, mask, RefineSettings(chatter=0.0, edge_filter=edge_filter), 0.7)[0][20]
        steepest = int(np.argmax(np.diff(row))) + 1
        if edge_filter == "box":
            assert np.diff(row).max() < 0.2 and abs(steepest - edge) <= 1
        else:
            assert steepest == edge + offset and np.diff(row).max() > 0.4, (edge_filter, row[edge - 6:edge + 6])


def test_shift_edge_spreads_and_chokes_both_hard_and_soft(davis_root):
    frame, prob, mask = davis_frame(davis_root, 10)
    for base in (HARD, RefineSettings()):
        area = {s: (refine_alpha(frame, prob, mask, base.with_overrides(shift_edge=s), 0.7)[0] > 0.5).sum()
                for s in (-3.0, 0.0, 3.0)}
        assert area[-3.0] < area[0.0] < area[3.0]
    # A hard choke of 3 px removes about 3 px of the outline.
    choked = refine_alpha(frame, prob, mask, HARD.with_overrides(shift_edge=-3.0), 0.7)[0]
    outline = np.count_nonzero(np.abs(signed_distance(mask)) <= 1) / 2
    assert 2.0 * outline < (mask > 0).sum() - choked.sum() < 4.0 * outline


def test_contrast_steepens_and_feather_widens_the_ramp(davis_root):
    frame, prob, mask = davis_frame(davis_root, 10)

    def partial(settings: RefineSettings) -> int:
        alpha = refine_alpha(frame, prob, mask, settings, 0.7)[0]
        return np.count_nonzero((alpha > 0.05) & (alpha < 0.95))

    soft = RefineSettings(chatter=0.0)
    assert partial(soft.with_overrides(contrast=0.8)) < partial(soft)
    assert partial(soft.with_overrides(feather=2.0)) < partial(soft) < partial(soft.with_overrides(feather=8.0))


def test_settings_are_checked():
    with pytest.raises(VosError, match="contrast"):
        RefineSettings(contrast=1.0)
    with pytest.raises(VosError, match="feather"):
        RefineSettings(feather=-1)
    with pytest.raises(VosError, match="unknown refine setting"):
        RefineSettings().with_overrides(blur=2)
    with pytest.raises(VosError, match="edge_filter"):
        RefineSettings(edge_filter="bilateral")
    with pytest.raises(VosError, match="hard, soft"):
        get_refine("fuzzy")
    assert RefineSettings().with_overrides(feather=None) == RefineSettings()


def test_domain_transform_smooths_up_to_the_guides_edges_and_not_across():
    """A step in the guide at column 32 stops the smoothing there; a plain mean filter leaks across."""
    rng = np.random.default_rng(0)
    guide = np.zeros((48, 64, 3), np.float32)
    guide[:, 32:] = 1.0
    src = np.where(np.arange(64) >= 32, 1.0, 0.0).astype(np.float32)[None].repeat(48, axis=0)
    noisy = src + rng.normal(0, 0.1, src.shape).astype(np.float32)
    out = domain_transform_filter(guide, noisy, sigma_s=4.0, sigma_r=0.1)
    assert out.shape == src.shape and out.dtype == np.float32
    assert np.abs(out - src)[:, 28:36].max() < 0.1, "the step stays where the guide's edge is"
    assert np.std(out[:, :24] - src[:, :24]) < 0.5 * np.std(noisy[:, :24] - src[:, :24]), "flat parts are smoothed"
    assert np.abs(mean_filter(src, 4) - src)[:, 28:36].max() > 0.3
    np.testing.assert_allclose(domain_transform_filter(guide, np.full_like(src, 0.25), 4.0, 0.1), 0.25, atol=1e-5)
