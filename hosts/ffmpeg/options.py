"""Options shared by the sub-commands that run the model."""

from __future__ import annotations

import argparse

from plugin.jobs import REFINE_FIELDS  # standard library only: --help stays instant


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="fast", help="quality preset: fast, balanced or best (default: fast)")
    p.add_argument("--iters", type=int, dest="finetune_iters", help="one-shot fine-tuning iterations (overrides preset)")
    p.add_argument("--infer-height", type=int, help="network input height for inference (overrides preset)")
    p.add_argument("--crop-size", type=int,
                   help="object size in network pixels inside a crop around the object; 0: whole frames only (overrides preset)")
    p.add_argument("--threshold", type=float, help="map threshold in (0,1) (overrides preset)")
    p.add_argument("--calibrate", type=float, dest="calibrate_threshold",
                   help="how far above --threshold each object's cut may rise where its keyframes ask; "
                        "0: cut every object at --threshold (preset: 0.2)")
    p.add_argument("--detector", choices=("yolox", "faster-rcnn", "none"), help="object detector (overrides preset)")
    p.add_argument("--postprocess", choices=("threshold", "clip", "hysteresis"),
                   help="map → mask: plain threshold, box clipping, or the hysteresis CC filter (overrides preset)")
    p.add_argument("--no-temporal", dest="temporal", action="store_false", default=None,
                   help="do not constrain boxes by the previous frame's box")
    p.add_argument("--weights", help="weights file or folder (default: $VOS_WEIGHTS_DIR, then the bundled parent)")
    p.add_argument("--device", help="cpu, cuda, cuda:N or mps (default: a GPU when present)")


def settings_from(args: argparse.Namespace) -> dict:
    return {k: getattr(args, k) for k in ("finetune_iters", "infer_height", "crop_size", "threshold", "calibrate_threshold",
                                        "detector", "postprocess", "temporal") if getattr(args, k) is not None}


def add_refine_options(p: argparse.ArgumentParser) -> None:
    """Soft-matte controls (vos_core.matte.alpha.RefineSettings); any of them implies ``--edge soft``."""
    g = p.add_argument_group("matte edge")
    g.add_argument("--edge", choices=("hard", "soft"),
                   help="hard: today's binary cut-out; soft: edge-aware alpha with anti-chatter (default hard)")
    g.add_argument("--feather", type=float, help="soft edge half-width in pixels (0 = hard edge)")
    g.add_argument("--contrast", type=float, help="0..1, steepens the soft edge")
    g.add_argument("--shift-edge", type=float, help="pixels to spread (+) or choke (-) the edge")
    g.add_argument("--smooth", type=float, help="pixels: rounds off a jagged outline")
    g.add_argument("--reduce-chatter", type=float, dest="chatter",
                   help="0..1, motion-compensated smoothing of the edge from frame to frame")


def refine_from(args: argparse.Namespace) -> tuple[str, dict]:
    """``(edge preset name, RefineSettings overrides)`` from the command line."""
    overrides = {k: getattr(args, k) for k in REFINE_FIELDS if getattr(args, k) is not None}
    return args.edge or ("soft" if overrides else "hard"), overrides
