"""Corrections: the fitted-network cache and re-running only the frames a new keyframe changes."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from small_clip import write_small_clip

from plugin.correction import RunRecord, correction_span, covering
from plugin.fit_cache import FitCache
from plugin.jobs import Job, MaskRef, ObjectSpec, Output
from plugin.pipeline import run_job
from vos_core import read_image, read_mask
from vos_core.media.masks import resize_mask
from vos_core.propagation import Keyframe


def record(keyframes: dict[str, dict[str, str]], key: str = "k", start: int = 0, end: int = 30) -> RunRecord:
    return RunRecord(key, start, end, keyframes)


def test_the_span_grows_to_every_objects_keyframes_around_it():
    """The span 10..20 of object 1's correction: object 2's frames there come from its keyframes 5 and
    25, object 3's from 7; 5..10 then needs object 3's 2 and object 1's 0."""
    assert covering(10, 20, [[0, 10, 20], [5, 25], [2, 7]]) == (0, 25)
    assert covering(10, 20, [[10, 20], [5, 25], [7]]) == (5, 25)
    assert covering(10, 20, [[0, 10, 20], [30]]) == (10, 30)  # nothing before: it tracks backward from 30
    assert covering(10, 20, [[10, 20], [15]]) == (10, 20)


def test_span_is_between_the_new_keyframes_neighbours():
    old = record({"1": {"0": "a", "20": "b"}, "2": {"0": "c"}})
    new = record({"1": {"0": "a", "10": "x", "20": "b"}, "2": {"0": "c"}})
    assert correction_span(old, new) == (0, 20)
    new = record({"1": {"0": "a", "20": "b", "25": "x"}, "2": {"0": "c"}})
    assert correction_span(old, new) == (20, 30)


def test_anything_but_added_keyframes_runs_whole():
    old = record({"1": {"0": "a", "20": "b"}})
    assert correction_span(None, old) is None
    assert correction_span(old, old) is None  # nothing to redo: the caller runs it whole
    assert correction_span(old, record({"1": {"0": "a", "20": "REDRAWN"}})) is None
    assert correction_span(old, record({"1": {"0": "a"}})) is None
    assert correction_span(old, record({"1": {"0": "a", "20": "b", "5": "x"}}, key="other settings")) is None
    assert correction_span(old, record({"1": {"0": "a", "20": "b", "40": "x"}})) is None  # outside the range


def test_fit_cache_exact_then_superset_then_miss(tmp_path):
    cache = FitCache(tmp_path)
    mask = np.zeros((8, 8), np.uint8)
    one = [Keyframe(0, mask)]
    two = [Keyframe(0, mask), Keyframe(5, mask + 255)]
    cache.store("clip", one, {"w": torch.ones(2)})
    state, more = cache.lookup("clip", one, refit_iters=7)
    assert more == 0 and torch.equal(state["w"], torch.ones(2))
    assert cache.lookup("clip", two, refit_iters=7)[1] == 7
    assert cache.lookup("clip", [Keyframe(5, mask)], 7) is None  # not a superset of the entry
    assert cache.lookup("other clip", one, 7) is None


@pytest.mark.slow
def test_correction_reruns_only_between_neighbours(tmp_path, davis_root):
    n, size = 12, (214, 120)
    frames = tmp_path / "frames"
    frames.mkdir()
    masks = {}
    for i in range(n):
        cv2.imwrite(str(frames / f"{i:05d}.png"),
                    cv2.resize(read_image(davis_root / f"JPEGImages/480p/blackswan/{i:05d}.jpg"), size)[..., ::-1])
    for i in (0, 6, 11):
        masks[i] = tmp_path / f"mask{i}.png"
        cv2.imwrite(str(masks[i]), resize_mask(read_mask(davis_root / f"Annotations/480p/blackswan/{i:05d}.png"), *size))
    out = tmp_path / "matte"
    settings = {"finetune_iters": 10, "refit_iters": 3, "train_height": 96, "infer_height": 96, "detector": "none"}

    def job(keys):
        return Job(input=str(frames), outputs=(Output("matte", str(out)),),
                   objects=(ObjectSpec(1, tuple(MaskRef(k, str(masks[k])) for k in keys)),), settings=settings)

    events = []
    cache = FitCache(tmp_path / "cache")
    run_job(job([0, 11]), lambda kind, fields: events.append((kind, fields)), fit_cache=cache)
    before = {p.name: p.read_bytes() for p in out.glob("*.png")}
    assert len(before) == n
    events.clear()
    run_job(job([0, 6, 11]), lambda kind, fields: events.append((kind, fields)), fit_cache=cache)
    done = dict(events)["done"]
    # Frames 0..11 are all between keyframe 6's neighbours 0 and 11: nothing kept, but the
    # network only trained refit_iters more steps from the cached one.
    steps = [f for kind, f in events if kind == "progress" and f["stage"] == "finetune"]
    assert done["kept"] == 0 and steps[-1]["total"] == 3
    assert np.array_equal(read_mask(out / "00006.png"), read_mask(masks[6]))
    after = {p.name: p.read_bytes() for p in out.glob("*.png")}
    assert after.keys() == before.keys() and (out / ".vos-run.json").is_file()
    # Now a keyframe at 3: only 0..6 is redone, 7..11 kept as they were.
    masks[3] = tmp_path / "mask3.png"
    cv2.imwrite(str(masks[3]), resize_mask(read_mask(davis_root / "Annotations/480p/blackswan/00003.png"), *size))
    events.clear()
    run_job(job([0, 3, 6, 11]), lambda kind, fields: events.append((kind, fields)), fit_cache=cache)
    done = dict(events)["done"]
    assert done["kept"] == 5 and done["frames"] == 7
    final = {p.name: p.read_bytes() for p in out.glob("*.png")}
    assert all(final[f"{i:05d}.png"] == after[f"{i:05d}.png"] for i in range(7, 12))
    assert np.array_equal(read_mask(out / "00003.png"), read_mask(masks[3]))
    assert not list(Path(tmp_path).glob(".matte.*"))  # no partial or old folder left


def test_a_damaged_record_in_the_output_reruns_everything_and_says_so(tmp_path, davis_root):
    """A malformed .vos-run.json was an internal AttributeError on every later run of that clip."""
    clip = write_small_clip(tmp_path, davis_root)
    out = tmp_path / "matte"
    job = Job(input=str(clip / "frames"), outputs=(Output("matte", str(out)),),
              objects=(ObjectSpec(1, (MaskRef(0, str(clip / "mask.png")),)),),
              settings={"finetune_iters": 0, "infer_height": 64, "detector": "none"})
    run_job(job)
    (out / ".vos-run.json").write_text('{"key": "k", "start": 0, "end": 5, "keyframes": {"1": []}}')
    events = []
    run_job(job, lambda kind, fields: events.append((kind, fields)))
    assert ("notice", {"message": f"{out / '.vos-run.json'} is damaged, so every frame is segmented again"}) in events
    assert dict(events)["done"]["kept"] == 0 and RunRecord.read(out) is not None


def swan_masks(root: Path, davis_root: Path, frames: tuple[int, ...]) -> dict[int, str]:
    """The ground truth of ``frames`` at write_small_clip's size, as files."""
    paths = {}
    for i in frames:
        paths[i] = str(root / f"gt{i}.png")
        cv2.imwrite(paths[i], resize_mask(read_mask(davis_root / f"Annotations/480p/blackswan/{i:05d}.png"), 214, 120))
    return paths


def two_swans(clip: Path, out: Path, masks: dict[int, str], second: tuple[int, ...], settings: dict) -> Job:
    """Two objects drawn the same (every pixel contested): the first on frames 0 and 2, the second on ``second``."""
    objects = (ObjectSpec(1, (MaskRef(0, masks[0]), MaskRef(2, masks[2]))),
               ObjectSpec(2, tuple(MaskRef(f, masks[f]) for f in second)))
    return Job(input=str(clip / "frames"), outputs=(Output("matte", str(out / "{object}")),), objects=objects,
               settings={"infer_height": 64, "detector": "none", **settings})


def test_a_correction_of_one_object_keeps_the_overlap_rule(tmp_path, davis_root):
    """Only the changed object was segmented again, so it took pixels the kept one still held
    (hundreds of doubly owned pixels per frame): a correction must give what a whole run gives."""
    clip = write_small_clip(tmp_path, davis_root)
    masks = swan_masks(tmp_path, davis_root, (0, 2, 4))
    settings = {"finetune_iters": 0}
    run_job(two_swans(clip, tmp_path / "corrected", masks, (0, 2), settings))
    events = []
    run_job(two_swans(clip, tmp_path / "corrected", masks, (0, 2, 4), settings), lambda k, f: events.append((k, f)))
    assert dict(events)["done"]["kept"] == 2  # frames 0 and 1, before keyframe 4's left neighbour
    run_job(two_swans(clip, tmp_path / "whole", masks, (0, 2, 4), settings))
    for oid in ("1", "2"):
        for i in range(6):
            name = f"{i:05d}.png"
            assert (tmp_path / "corrected" / oid / name).read_bytes() == (tmp_path / "whole" / oid / name).read_bytes()
    both = read_mask(tmp_path / "corrected" / "1" / "00005.png") & read_mask(tmp_path / "corrected" / "2" / "00005.png")
    assert not both.any()


@pytest.mark.slow
def test_a_corrections_refit_is_no_longer_than_the_whole_fit(tmp_path, davis_root):
    """refit_iters (25) ran where the whole run fine-tuned 3 steps."""
    clip = write_small_clip(tmp_path, davis_root)
    masks = swan_masks(tmp_path, davis_root, (0, 2, 4))
    settings = {"finetune_iters": 2, "refit_iters": 25, "train_height": 64}
    cache, events = FitCache(tmp_path / "cache"), []
    run_job(two_swans(clip, tmp_path / "out", masks, (0, 2), settings), fit_cache=cache)
    run_job(two_swans(clip, tmp_path / "out", masks, (0, 2, 4), settings), lambda k, f: events.append((k, f)),
            fit_cache=cache)
    totals = {f["total"] for kind, f in events if kind == "progress" and f["stage"] == "finetune"}
    assert totals == {2}
