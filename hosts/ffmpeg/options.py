"""Options shared by the sub-commands that run the model."""

from __future__ import annotations

import argparse


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="fast", help="quality preset: fast, balanced or best (default: fast)")
    p.add_argument("--iters", type=int, dest="finetune_iters", help="one-shot fine-tuning iterations (overrides preset)")
    p.add_argument("--infer-height", type=int, help="network input height for inference (overrides preset)")
    p.add_argument("--threshold", type=float, help="map threshold in (0,1) (overrides preset)")
    p.add_argument("--detector", choices=("yolox", "faster-rcnn", "none"), help="object detector (overrides preset)")
    p.add_argument("--postprocess", choices=("threshold", "clip", "hysteresis"),
                   help="map → mask: plain threshold, box clipping, or the hysteresis CC filter (overrides preset)")
    p.add_argument("--no-temporal", dest="temporal", action="store_false", default=None,
                   help="do not constrain boxes by the previous frame's box")
    p.add_argument("--weights", help="weights file or folder (default: $VOS_WEIGHTS_DIR, then the bundled parent)")
    p.add_argument("--device", help="cpu, cuda, cuda:N or mps (default: a GPU when present)")


def settings_from(args: argparse.Namespace) -> dict:
    return {k: getattr(args, k) for k in ("finetune_iters", "infer_height", "threshold", "detector", "postprocess", "temporal") if getattr(args, k) is not None}
