"""The one mask loader and the one decoder, on real DAVIS frames (blackswan at 1/4 size)."""

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest
from PIL import Image
from small_clip import write_small_clip

from plugin.inputs import load_job_inputs
from plugin.jobs import Job
from plugin.refine import grabcut_refine
from vos_core import InputError, open_frames, read_mask
from vos_core.media.masks import read_index_mask


@pytest.fixture(scope="module")
def clip(tmp_path_factory, davis_root):
    """Six 214×120 blackswan frames, the ground truth of frame 0, and an index PNG of frame 3 that
    splits the swan into two objects (ids 2 and 3: left and right of its box centre)."""
    root = write_small_clip(tmp_path_factory.mktemp("clip"), davis_root)
    truth = read_mask(davis_root / "Annotations/480p/blackswan/00003.png")
    truth = cv2.resize(truth, (214, 120), interpolation=cv2.INTER_NEAREST)
    xs = np.nonzero(truth)[1]
    middle = (xs.min() + xs.max()) // 2
    index = np.zeros(truth.shape, np.uint8)
    index[:, :middle][truth[:, :middle] > 0] = 2
    index[:, middle:][truth[:, middle:] > 0] = 3
    palette = Image.fromarray(index, mode="P")
    palette.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [0] * 756)
    palette.save(root / "index3.png")
    cv2.imwrite(str(root / "half_mask.png"), cv2.resize(read_mask(root / "mask.png"), (107, 60)))
    return root


def job(clip, **fields) -> Job:
    data = {"version": 2, "input": str(clip / "frames"), "outputs": [{"kind": "index", "path": "unused"}],
            "objects": [{"id": 1, "name": "swan", "keyframes": [{"frame": 0, "mask": str(clip / "mask.png")}]}]}
    return Job.from_dict({**data, **fields})


def test_masks_and_an_index_png_give_one_keyframe_list_per_object(clip):
    source, objects, labels = load_job_inputs(job(clip, index_masks=[{"frame": 3, "mask": str(clip / "index3.png")}]))
    assert len(source) == 6 and source.size == (214, 120)
    assert labels == {1: "swan", 2: "2", 3: "3"}
    assert [k.frame for k in objects[1]] == [0] and [k.frame for k in objects[2]] == [3]
    np.testing.assert_array_equal(objects[1][0].mask, read_mask(clip / "mask.png"))
    left, right = objects[2][0].mask, objects[3][0].mask
    assert left.dtype == np.uint8 and set(np.unique(left)) == {0, 255} and left.shape == (120, 214)
    assert not (left & right).any()  # an index PNG cannot give a pixel to two objects
    assert np.count_nonzero(left | right) == np.count_nonzero(np.asarray(Image.open(clip / "index3.png")))


def test_index_png_reads_every_id_and_refuses_colour_images(clip, tmp_path):
    assert sorted(read_index_mask(clip / "index3.png")) == [2, 3]
    cv2.imwrite(str(tmp_path / "rgb.png"), np.full((8, 8, 3), 200, np.uint8))
    with pytest.raises(InputError, match="save it as a palette or grey PNG"):
        read_index_mask(tmp_path / "rgb.png")


def test_a_mask_of_another_size_is_scaled_only_when_asked(clip):
    half = {"objects": [{"id": 1, "keyframes": [{"frame": 0, "mask": str(clip / "half_mask.png")}]}]}
    with pytest.raises(InputError, match=r"is 107×60 but the video is 214×120; pass --resize-mask"):
        load_job_inputs(job(clip, **half))
    _, objects, _ = load_job_inputs(job(clip, **half, resize_mask=True))
    scaled, drawn = objects[1][0].mask > 0, read_mask(clip / "mask.png") > 0
    assert (scaled & drawn).sum() / (scaled | drawn).sum() > 0.9


def test_refining_snaps_each_keyframe_to_its_own_frame(clip):
    source, refined, _ = load_job_inputs(job(clip, refine_mask=True, index_masks=[
        {"frame": 3, "mask": str(clip / "index3.png")}]))
    drawn = read_mask(clip / "mask.png")
    np.testing.assert_array_equal(refined[1][0].mask, grabcut_refine(source[0], drawn))
    assert not np.array_equal(refined[1][0].mask, drawn)
    assert not np.array_equal(grabcut_refine(source[3], drawn), refined[1][0].mask)


@pytest.mark.parametrize(("fields", "message"), [
    ({"objects": [{"id": 1, "keyframes": [{"frame": 6, "mask": "MASK"}]}]}, "is for frame 6, but .* has 6 frames"),
    ({"start": 2}, "object swan has no keyframe in frames 2..5"),
    ({"end": 9}, "the range 0..9 goes past the last frame"),
    ({"objects": [{"id": 4, "keyframes": []}], "index_masks": [{"frame": 3, "mask": "INDEX"}]},
     "object 4 has no keyframe"),
    ({"objects": [{"id": 2, "keyframes": [{"frame": 3, "mask": "MASK"}]}], "index_masks": [{"frame": 3, "mask": "INDEX"}]},
     "object 2 has two masks for frame 3"),
])
def test_job_input_problems_are_one_sentence(clip, fields, message):
    text = json.dumps(fields).replace("MASK", str(clip / "mask.png")).replace("INDEX", str(clip / "index3.png"))
    with pytest.raises(InputError, match=message):
        load_job_inputs(job(clip, **json.loads(text)))


def test_the_frame_source_is_re_iterable_and_indexable(clip):
    source = open_frames(clip / "frames")
    first, second = list(source), list(source)
    assert len(first) == len(source) == 6
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(source[4], first[4])


def test_a_decoded_count_unlike_the_probed_one_is_an_error(clip):
    source = open_frames(clip / "frames")
    wrong = replace(source, info=replace(source.info, frames=7))
    with pytest.raises(InputError, match="decoded to 6 frames but its container lists 7"):
        list(wrong)
