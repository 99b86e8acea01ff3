"""Bad input gives a clear VosError, never a crash deep inside the network."""

import numpy as np
import pytest
from PIL import Image

from vos_core import InputError, SegmentConfig, VideoPredictor, open_frames, read_mask, validate_mask
from vos_core.appearance import AppearanceNet


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
