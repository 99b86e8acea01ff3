"""The command-line options that describe a job (masks, objects, range, outputs), and the Job they build.

``--object NAME`` starts an object; the ``--mask [FRAME:]FILE`` flags after it are its keyframes
(masks before any ``--object`` belong to one unnamed object). ``--index-mask [FRAME:]FILE`` gives
several objects at once: each non-zero value of the PNG is an object id, and the n-th ``--object``
has id n, so ``--object swan --object dog --index-mask 0:anno.png`` names ids 1 and 2. A mask
with no ``FRAME:`` is for ``--mask-frame`` (default 0). ``--scribbles [FRAME:]FG.png[,BG.png]`` is a keyframe
made from strokes instead of a mask (plugin.inputs runs GrabCut on them).
Standard library only, so ``--help`` stays instant; plugin.jobs validates what they build.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from .formats import KINDS
from .options import refine_from, settings_from

_FRAME_FILE = re.compile(r"^(\d+):(.+)$")


def frame_and_file(text: str) -> tuple[int | None, str]:
    """``"12:m.png"`` → ``(12, "m.png")``; ``"m.png"`` (or an existing file whose name has a colon) → ``(None, ...)``."""
    found = _FRAME_FILE.match(text)
    if found is None or Path(text).exists():
        return None, text
    return int(found.group(1)), found.group(2)


class _ObjectAction(argparse.Action):
    """``--object NAME``: start a new object in ``namespace.objects``."""

    def __call__(self, parser, namespace, value, option_string=None) -> None:
        namespace.objects = [*(namespace.objects or []), {"name": value, "masks": []}]


class _MaskAction(argparse.Action):
    """``--mask [FRAME:]FILE``: a keyframe of the latest ``--object`` (of an unnamed one before any)."""

    def __call__(self, parser, namespace, value, option_string=None) -> None:
        _add_keyframe(namespace, frame_and_file(value))


def _add_keyframe(namespace: argparse.Namespace, keyframe: tuple[int | None, Any]) -> None:
    """Append ``(frame, mask path or scribble paths)`` to the latest object (an unnamed one before any)."""
    objects = list(namespace.objects or [{"name": "", "masks": []}])
    objects[-1] = {**objects[-1], "masks": [*objects[-1]["masks"], keyframe]}
    namespace.objects = objects


class _ScribblesAction(argparse.Action):
    """``--scribbles [FRAME:]FG.png[,BG.png]``: a keyframe of the latest object made from strokes (GrabCut)."""

    def __call__(self, parser, namespace, value, option_string=None) -> None:
        frame, files = frame_and_file(value)
        strokes = tuple(f for f in files.split(",") if f)
        if not 1 <= len(strokes) <= 2:
            parser.error(f"--scribbles {value}: give FG.png or FG.png,BG.png")
        _add_keyframe(namespace, (frame, strokes))


def add_mask_options(p: argparse.ArgumentParser) -> None:
    """Keyframes, objects and range (``segment``), each flag repeatable where it says so."""
    masks = p.add_argument_group("keyframes and objects")
    masks.add_argument("--mask", action=_MaskAction, dest="objects", metavar="[FRAME:]FILE",
                       help="mask image (white = object) drawn on clip frame FRAME (default --mask-frame); repeat "
                            "it for more keyframes of the same object: corrections where the matte went wrong")
    masks.add_argument("--scribbles", action=_ScribblesAction, dest="objects", metavar="[FRAME:]FG.png[,BG.png]",
                       help="instead of a mask: strokes (white on black) on the object and, optionally, on the "
                            "background; GrabCut makes the keyframe's mask from them")
    masks.add_argument("--object", action=_ObjectAction, dest="objects", metavar="NAME",
                       help="start a new object named NAME: the --mask flags after it are its keyframes; "
                            "outputs name it through {object} in their paths")
    masks.add_argument("--index-mask", action="append", default=[], type=frame_and_file, metavar="[FRAME:]FILE",
                       help="index/palette PNG (as DAVIS-2017 ships): each non-zero value is the id of one object "
                            "(the n-th --object has id n) with a keyframe on FRAME")
    masks.add_argument("--start", type=int, default=0, help="first frame to segment (default 0)")
    masks.add_argument("--end", type=int, help="last frame to segment, included (default: the last frame)")
    p.set_defaults(objects=None)


def add_input_options(p: argparse.ArgumentParser) -> None:
    """Mask options shared by ``segment``, ``pipe`` and ``batch``."""
    p.add_argument("--mask-frame", type=int, default=0, help="frame a mask given without FRAME: was drawn on (default 0)")
    p.add_argument("--resize-mask", action="store_true", help="scale masks to the frame size if they differ")
    p.add_argument("--refine-mask", action="store_true", help="snap the drawn masks to edges (GrabCut) first")


def add_output_options(p: argparse.ArgumentParser) -> None:
    """Output and input-rate options shared by ``segment`` and ``batch`` (as defaults there)."""
    p.add_argument("--fps", help="frame rate of image-sequence inputs, e.g. 24 or 24000/1001 (default 25)")
    p.add_argument("--background", default="black", help="under --composite: a colour (green, #00ff00), a clip, or "
                                                        "the clip itself changed: blur, pop (grey) or highlight (darker)")
    p.add_argument("--matte-depth", type=int, choices=(8, 16), default=8,
                   help="bits per level of folder (PNG) and .mkv (FFV1) mattes; 16 keeps soft edges' fine levels")


def shared_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The job fields every command-line job shares (a batch file's defaults); needs options.add_refine_options."""
    edge, refine = refine_from(args)
    return {
        "preset": args.preset, "settings": settings_from(args), "weights": args.weights, "device": args.device,
        "resize_mask": args.resize_mask, "refine_mask": args.refine_mask, "fps": args.fps, "background": args.background,
        "edge": edge, "refine": refine, "matte_depth": args.matte_depth,
    }


def job_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The job ``segment``'s options describe, as plugin.jobs.Job.from_dict takes it."""
    objects = [
        {"id": n, "name": group["name"],
         "keyframes": [{"frame": args.mask_frame if frame is None else frame,
                        **({"scribbles": list(path)} if isinstance(path, tuple) else {"mask": path})}
                       for frame, path in group["masks"]]}
        for n, group in enumerate(args.objects or [], 1)
    ]
    index_masks = [{"frame": args.mask_frame if frame is None else frame, "mask": path} for frame, path in args.index_mask]
    outputs = [{"kind": kind, "path": path} for kind in (*KINDS, "index") for path in getattr(args, kind)]
    return {"version": 2, "input": args.input, "objects": objects, "index_masks": index_masks, "outputs": outputs,
            "start": args.start, "end": args.end, **shared_fields(args)}
