"""Speed and memory of the core on real 480p DAVIS frames, per preset.

Measures, for each preset: one-shot fine-tuning seconds, seconds per 480p frame of the full
per-frame pipeline (appearance map at the preset's inference height, detection, filters), and
the resident memory while streaming a long clip (the longest dev clip looped), to show that it
does not grow with clip length. Writes benchmarks/results/core_speed.json.

    .venv/bin/python benchmarks/core_speed.py [--weights FILE] [--presets fast,balanced,best] [--loops 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from pathlib import Path

import torch

from plugin.device import describe, pick_device
from vos_core import SegmentConfig, VideoPredictor, get_preset, load_net, read_mask
from vos_core.eval.davis import load_sequence
from vos_core.tracking.detection import load_detector

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"


def rss_mb() -> float:
    """Current resident set size in MiB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_preset(name: str, weights: str | None, device: torch.device, frames: int) -> dict:
    config = get_preset(name)
    net, info = load_net(weights)
    predictor = VideoPredictor(net, config, device, load_detector(config.detector, weights))
    seq = load_sequence(DAVIS, "blackswan")
    session = predictor.new_session()
    first = seq.frames[0]

    predictor.add_mask(session, 0, first, read_mask(seq.masks[0]))
    start = time.perf_counter()
    for _ in predictor.fit(session):
        pass
    finetune_s = time.perf_counter() - start
    clip = [seq.frames[i] for i in range(frames)]
    start = time.perf_counter()
    for _ in predictor.propagate(session, clip):
        pass
    return {
        "preset": name,
        "config": config.to_dict(),
        "weights": info["path"],
        "finetune_s": finetune_s,
        "finetune_s_per_iter": finetune_s / max(1, config.finetune_iters),
        "s_per_frame_480p": (time.perf_counter() - start) / frames,
        "frames_timed": frames,
    }


def measure_memory(weights: str | None, device: torch.device, loops: int) -> dict:
    """RSS while streaming the longest dev clip ``loops`` times (fine-tuning cut to 5 steps)."""
    config = get_preset("fast").with_overrides(finetune_iters=5)
    net, _ = load_net(weights)
    predictor = VideoPredictor(net, config, device, load_detector(config.detector, weights))
    seq = load_sequence(DAVIS, "cows")

    session = predictor.new_session()
    predictor.add_mask(session, 0, seq.frames[0], read_mask(seq.masks[0]))
    stream = itertools.chain.from_iterable(seq.frames for _ in range(loops))
    samples = {}
    for result in predictor.propagate(session, stream):
        samples[result.index + 1] = rss_mb()
    n = len(samples)
    checkpoints = sorted({10, len(seq.masks), n // 2, n})
    return {
        "clip": "cows",
        "frames_streamed": n,
        "rss_mb_after_frames": {k: round(samples[k], 1) for k in checkpoints},
        "growth_mb_from_frame_10_to_end": round(samples[n] - samples[10], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights")
    parser.add_argument("--device")
    parser.add_argument("--presets", default="fast,balanced,best")
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--loops", type=int, default=3)
    parser.add_argument("--out", default=str(REPO / "benchmarks/results/core_speed.json"))
    args = parser.parse_args()
    device = pick_device(args.device)
    results = {
        "device": describe(device, SegmentConfig.precision),
        "cpu": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "presets": [],
        "memory": None,
    }
    for name in args.presets.split(","):
        results["presets"].append(measure_preset(name, args.weights, device, args.frames))
        print(json.dumps(results["presets"][-1]), flush=True)
    results["memory"] = measure_memory(args.weights, device, args.loops)
    print(json.dumps(results["memory"]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
