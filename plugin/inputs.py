"""A job's inputs as the core takes them: the clip's frame source and each object's keyframes.

The one place masks are loaded for every host (CLI, batch, worker, Blender through the worker):
mask files and index PNGs are read (or masks made from scribbles), scaled to the frame if the job allows it, checked, and
optionally snapped to edges (GrabCut), giving per-object H×W uint8 0/255 keyframe masks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vos_core import InputError, read_image, read_mask
from vos_core.app.scribbles import scribble_mask
from vos_core.media.frames import VideoSource, open_frames
from vos_core.media.masks import fit_mask, read_index_mask
from vos_core.propagation import Keyframe

from .jobs import Job, MaskRef, object_labels
from .refine import grabcut_refine


def load_job_inputs(job: Job) -> tuple[VideoSource, dict[int, list[Keyframe]], dict[int, str]]:
    """Open the job's clip and load its masks: ``(source, {object id: keyframes by frame}, {object id: label})``.

    InputError, in one sentence, for an unreadable clip or mask, a mask on a frame the clip does
    not have, a range past the clip's end, or an object with no keyframe in the range.
    """
    source = open_frames(job.input, job.fps)
    last = len(source) - 1
    if job.end is not None and job.end > last or job.start > last:
        raise InputError(f"the range {job.start}..{job.end} goes past the last frame of {job.input} ({last})")
    objects = load_keyframes(job, source)
    labels = object_labels(job, list(objects))
    end = last if job.end is None else job.end
    for obj_id, keyframes in objects.items():
        if not any(job.start <= key.frame <= end for key in keyframes):
            raise InputError(f"object {labels[obj_id]} has no keyframe in frames {job.start}..{end}: "
                             "draw it on a frame inside the range")
    return source, objects, labels


def load_keyframes(job: Job, source: VideoSource) -> dict[int, list[Keyframe]]:
    """Every object's keyframes (sorted by frame) from its mask files and the job's index PNGs."""
    frames: dict[int, np.ndarray] = {}  # frames GrabCut needs, decoded once for all objects

    def frame_at(frame: int, what: str) -> np.ndarray:
        if frame >= len(source):
            raise InputError(f"{what} is for frame {frame}, but {job.input} has {len(source)} frames")
        if frame not in frames:
            frames[frame] = source[frame]
        return frames[frame]

    drawn = read_drawn_masks(job, frame_at)
    objects = {}
    for obj_id, masks in sorted(drawn.items()):
        keyframes = []
        for frame, (mask, what) in sorted(masks.items()):
            if frame >= len(source):
                raise InputError(f"{what} is for frame {frame}, but {job.input} has {len(source)} frames")
            mask = fit_mask(mask, source.size, job.resize_mask, what)
            if job.refine_mask:
                mask = grabcut_refine(frame_at(frame, what), mask)
            keyframes.append(Keyframe(frame, mask))
        objects[obj_id] = keyframes
    return objects


def read_drawn_masks(
    job: Job, frame_at: Callable[[int, str], np.ndarray]
) -> dict[int, dict[int, tuple[np.ndarray, str]]]:
    """``{object id: {frame: (mask as read, what to call it in errors)}}``; InputError for two masks of one frame.

    ``frame_at(frame, what)`` gives the clip's frame that scribbles are drawn on.
    """
    drawn: dict[int, dict[int, tuple[np.ndarray, str]]] = {}
    for obj in job.objects:
        drawn[obj.id] = {ref.frame: _drawn_mask(ref, frame_at) for ref in obj.keyframes}
    for ref in job.index_masks:
        for obj_id, mask in read_index_mask(ref.mask).items():
            masks = drawn.setdefault(obj_id, {})
            if ref.frame in masks:
                raise InputError(f"object {obj_id} has two masks for frame {ref.frame} ({masks[ref.frame][1]} and "
                                 f"index mask {ref.mask}): keep one")
            masks[ref.frame] = (mask, f"object {obj_id} of index mask {ref.mask}")
    missing = [obj.label for obj in job.objects if not drawn[obj.id]]
    if missing:
        raise InputError(f"object {missing[0]} has no keyframe: no mask or index mask holds its id")
    return drawn


def _drawn_mask(ref: MaskRef, frame_at: Callable[[int, str], np.ndarray]) -> tuple[np.ndarray, str]:
    """A keyframe's mask as read from its file, or as GrabCut makes it from its scribbles; with its name."""
    if not ref.scribbles:
        return read_mask(ref.mask), f"mask {ref.mask}"
    what = f"scribbles {', '.join(ref.scribbles)}"
    return scribble_mask(frame_at(ref.frame, what), *(read_image(path) for path in ref.scribbles)), what
