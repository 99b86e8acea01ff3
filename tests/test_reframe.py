"""Object track, smoothed camera path and crop windows (vos_core.app.reframe), on hand-made and DAVIS mattes."""

import numpy as np
import pytest

from vos_core import InputError, read_mask
from vos_core.app.reframe import (
    ReframeSettings,
    crop_size,
    observe,
    parse_aspect,
    reframe,
    smooth_path,
    track_object,
    whittaker,
)
from vos_core.eval.davis import load_sequence


def _disc_matte(cx: float, cy: float, r: float = 10, size=(120, 160)) -> np.ndarray:
    yy, xx = np.mgrid[: size[0], : size[1]]
    return np.where((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r, 255, 0).astype(np.uint8)


def test_whittaker_matches_the_dense_solution_and_keeps_straight_lines():
    rng = np.random.default_rng(1)
    for n in (3, 4, 7, 40):
        y, w = rng.normal(size=n), rng.uniform(0.5, 2, n)
        d2 = np.diff(np.eye(n), 2, axis=0)
        dense = np.linalg.solve(np.diag(w) + 50 * d2.T @ d2, w * y)
        assert np.allclose(whittaker(y, 50, w), dense)
    line = 3.0 * np.arange(20) + 5
    assert np.allclose(whittaker(line, 1e6), line)  # constant velocity costs nothing


def test_observation_ignores_specks_and_missing_objects():
    matte = _disc_matte(80, 60)
    matte[2, 2] = matte[110, 150] = 255  # two stray pixels in opposite corners
    seen = observe(matte)
    assert abs(seen.cx - 80) < 2 and abs(seen.cy - 60) < 2
    assert 68 <= seen.left < 72 and 88 < seen.right <= 92  # the extent is the disc's, not the corners'
    assert observe(np.zeros((120, 160), np.uint8)) is None
    assert observe(_disc_matte(80, 60).astype(np.float32) / 255).cx == pytest.approx(seen.cx, abs=2)


def test_track_fills_missing_frames_and_drops_a_one_frame_jump():
    mattes = [_disc_matte(30 + 4 * i, 60) for i in range(10)]
    mattes[3] = np.zeros_like(mattes[3])  # object lost
    mattes[6] = _disc_matte(140, 15)  # matte latched onto something else for one frame
    track = track_object(mattes)
    assert not track.present[3] and not track.present[6] and track.present.sum() == 8
    assert np.allclose(track.centres[:, 0], 30 + 4 * np.arange(10), atol=1)


def test_track_refuses_clips_without_the_object():
    with pytest.raises(InputError, match="missing from every matte"):
        track_object([np.zeros((20, 20), np.uint8)] * 3)


def test_aspects_and_crop_sizes():
    assert parse_aspect("9:16") == pytest.approx(9 / 16) and parse_aspect("source") is None
    with pytest.raises(InputError):
        parse_aspect("wide")
    assert crop_size(854, 480, ReframeSettings(aspect=9 / 16)) == (270, 480)
    assert crop_size(854, 480, ReframeSettings(aspect=1.0)) == (480, 480)
    assert crop_size(854, 480, ReframeSettings(zoom=1.25)) == (682, 384)


def test_path_stays_within_bounds_while_smoothing():
    rng = np.random.default_rng(0)
    target = np.cumsum(rng.normal(0, 8, 200)) + 300
    low, high = np.full(200, 100.0), np.full(200, 500.0)
    path = smooth_path(target, low, high, period=30)
    assert (path >= low).all() and (path <= high).all()
    assert np.abs(np.diff(path, 2)).mean() < 0.2 * np.abs(np.diff(target, 2)).mean()


@pytest.mark.parametrize("aspect", ["9:16", "1:1", "4:5", "source"])
def test_davis_windows_stay_in_frame_keep_the_object_and_smooth_its_motion(davis_root, aspect):
    seq = load_sequence(davis_root, "car-roundabout")
    track = track_object(read_mask(p) for p in seq.masks)
    settings = ReframeSettings(aspect=parse_aspect(aspect), zoom=1.25 if aspect == "source" else 1.0)
    path = reframe(track, settings)
    x, y, w, h = path.windows.T
    assert (x >= 0).all() and (y >= 0).all() and (x + w <= track.width).all() and (y + h <= track.height).all()
    assert len({(int(a), int(b)) for a, b in zip(w, h)}) == 1  # one crop size for the clip
    cx, cy = track.centres.T
    assert ((cx >= x) & (cx < x + w) & (cy >= y) & (cy < y + h)).all()  # the object's centre is always shown
    camera_jitter = np.abs(np.diff(path.centres, 2, axis=0)).mean()  # before rounding to whole pixels
    assert camera_jitter < np.abs(np.diff(track.centres, 2, axis=0)).mean()
    rows = path.rows()
    assert len(rows) == len(seq.masks) and rows[0]["w"] == w[0]
    assert path.to_csv().splitlines()[0].startswith("frame,x,y,w,h")
