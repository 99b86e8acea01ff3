"""Bad input gives a clear VosError, never a crash deep inside the network."""

import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from vos_core import InputError, SegmentConfig, VideoPredictor, open_frames, read_mask, validate_mask
from vos_core.media.ffmpeg_input import decode, open_input, probe, read_frame
from vos_core.network.appearance import AppearanceNet


def test_grey_alpha_png_uses_first_channel(tmp_path):
    grey = np.zeros((6, 8), np.uint8)
    grey[2:4, 3:6] = 255
    alpha = np.full((6, 8), 255, np.uint8)  # alpha everywhere opaque: must not become the mask
    Image.fromarray(np.dstack([grey, alpha]), mode="LA").save(tmp_path / "la.png")
    mask = read_mask(tmp_path / "la.png")
    assert mask.shape == (6, 8) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 255}
    np.testing.assert_array_equal(mask, grey)


def test_davis_mask_reads_as_0_255(davis_root):
    mask = read_mask(davis_root / "Annotations/480p/blackswan/00000.png")
    assert mask.shape == (480, 854) and set(np.unique(mask)) == {0, 255}


def test_empty_full_and_wrong_size_masks_are_rejected():
    frame = np.zeros((10, 12, 3), np.uint8)
    with pytest.raises(InputError, match="empty"):
        validate_mask(np.zeros((10, 12), np.uint8), frame.shape)
    with pytest.raises(InputError, match="whole frame"):
        validate_mask(np.full((10, 12), 255, np.uint8), frame.shape)
    with pytest.raises(InputError, match=r"is 12×11 but the frame is 12×10"):
        validate_mask(np.full((11, 12), 255, np.uint8), frame.shape)


def test_unreadable_files_raise_input_error(tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    with pytest.raises(InputError, match="cannot read mask"):
        read_mask(junk)
    with pytest.raises(InputError, match="not found"):
        read_mask(tmp_path / "missing.png")
    with pytest.raises(InputError, match="is not a video ffmpeg can read"):
        open_frames(junk.rename(tmp_path / "junk.mp4"))
    with pytest.raises(InputError, match="not found"):
        open_frames(tmp_path / "nowhere.mp4")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(InputError, match="no image files in the folder"):
        open_frames(tmp_path / "empty_dir")


def test_predictor_rejects_frames_of_another_size():
    predictor = VideoPredictor(AppearanceNet(), SegmentConfig(finetune_iters=0, infer_height=32))
    session = predictor.new_session()
    frame = np.zeros((40, 48, 3), np.uint8)
    mask = np.zeros((40, 48), np.uint8)
    mask[10:20, 10:20] = 255
    predictor.add_mask(session, 0, frame, mask)
    with pytest.raises(InputError, match="frame 1 is 50×40"):
        list(predictor.propagate(session, [frame, np.zeros((40, 50, 3), np.uint8)]))
    with pytest.raises(InputError, match="empty"):
        predictor.add_mask(session, 0, frame, np.zeros((40, 48), np.uint8), obj_id=2)


@pytest.fixture
def corrupt_frames(tmp_path, davis_root):
    """Eight blackswan frames whose 00003.jpg holds text."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(8):
        shutil.copy(davis_root / f"JPEGImages/480p/blackswan/{i:05d}.jpg", folder)
    (folder / "00003.jpg").write_text("not a picture")
    return folder


def test_a_frame_that_fails_to_decode_is_named_even_when_decoding_stops_early(corrupt_frames):
    """ffmpeg dropped the frame; the count check ran only at the end, so a range ending earlier got
    every later frame one place early."""
    media = open_input(str(corrupt_frames))
    info = probe(media)
    frames = decode(media, info)
    got = [next(frames) for _ in range(3)]
    alone = open_input(str(corrupt_frames / "00002.jpg"))
    np.testing.assert_array_equal(got[2], next(decode(alone, probe(alone))))
    with pytest.raises(InputError, match=rf"^decoding .* failed at frame 3 \({corrupt_frames / '00003.jpg'}\): "):
        next(frames)
    frames.close()
    # One frame of a folder is read from its own file: a bad frame elsewhere cannot shift it.
    later = open_input(str(corrupt_frames / "00005.jpg"))
    np.testing.assert_array_equal(read_frame(media, info, 5), next(decode(later, probe(later))))
    with pytest.raises(InputError, match="a frame up to frame 3 fails to decode"):
        read_frame(media, info, 3)


def test_segmenting_a_range_past_a_corrupt_frame_is_an_error_naming_it(corrupt_frames, tmp_path, davis_root):
    """The issue's run: --end 5 exited 0 with outputs 3-5 equal to a clean run's 4-6."""
    out = tmp_path / "mattes"
    run = subprocess.run([sys.executable, "-m", "hosts.ffmpeg.cli", "segment", str(corrupt_frames), "--mask",
                          str(davis_root / "Annotations/480p/blackswan/00000.png"), "--end", "5", "-o", str(out),
                          "--iters", "0", "--infer-height", "64", "--detector", "none"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stderr
    assert f"failed at frame 3 ({corrupt_frames / '00003.jpg'})" in run.stderr.splitlines()[-1]
    assert not out.exists()
