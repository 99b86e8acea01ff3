"""J and F against all-inclusive CPU seconds, over a grid of settings (DAVIS-2016, dev split).

Two kinds of settings, so the grid stays affordable on 2 cores:

- *tuning* settings change the network's maps (fine-tuning iterations, train/infer height,
  frozen stages, augmented copies). Each costs a fine-tuning and a network pass over every
  frame; the maps (at the network's resolution, float16) and the timings are cached per
  sequence under ``--cache`` and reused by later runs (resumable: delete a folder to redo it).
- *filter* settings only change what is done with the maps (temporal prior, upsampling,
  post-process and its thresholds, box/temporal filters). They are scored on the cached maps
  through the predictor's own ``finish_frame``, so the scores are those of the real pipeline.

Seconds per 70 frames = fine-tuning + 70 × (network + detector + filters per 480p frame), 2 torch
threads. Fine-tuning and network times are first those measured with the maps; ``--time`` then
measures every tuning setting back to back in one process on a quiet machine and replaces them, so
the rows compare (the ``timed`` field says which). Output: ``benchmarks/results/accuracy_curve.json`` and
``.md`` (a table sorted by seconds, the Pareto front marked).

    .venv/bin/python benchmarks/accuracy_curve.py [--tune NAME,...] [--filters NAME,...] [--sequences a,b]
    .venv/bin/python benchmarks/accuracy_curve.py --time
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from plugin.evaluate import fitted_session, write_json
from vos_core import SegmentConfig, VideoPredictor, load_net, read_mask
from vos_core.config import ABLATION
from vos_core.eval.davis import DavisSequence, load_sequence, split_names
from vos_core.eval.metrics import f_measure, jaccard
from vos_core.network.appearance import compute_dtype
from vos_core.tracking.detection import Detection, load_detector
from vos_core.weights import sha256_of

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
RESULTS = REPO / "benchmarks" / "results"
FRAMES_PER_SHOT = 70

# Tuning settings: overrides of the default SegmentConfig that change the maps (learning rate 5e-3 unless named).
_H240 = {"train_height": 240, "infer_height": 240}
_IT50_F2 = {"finetune_iters": 50, **_H240, "frozen_stages": 2}
_BALANCED = {**_IT50_F2, "augment_copies": 50, "mirror_average": True}  # the balanced preset's maps
TUNE_GRID: dict[str, dict] = {
    "it50_h240_f2": _IT50_F2,
    "it100_h240_f2": {**_IT50_F2, "finetune_iters": 100},
    "it100_h240_f3": {"finetune_iters": 100, **_H240, "frozen_stages": 3},
    "it100_h240_f3_lr2": {"finetune_iters": 100, **_H240, "frozen_stages": 3, "learning_rate": 1e-2},
    "it200_h240_f3": {"finetune_iters": 200, **_H240, "frozen_stages": 3},
    "it100_h240_f4": {"finetune_iters": 100, **_H240, "frozen_stages": 4},
    "it100_h360_f4": {"finetune_iters": 100, "train_height": 360, "infer_height": 360, "frozen_stages": 4},
    "it50_h240_f2_mirror": {**_IT50_F2, "mirror_average": True},
    "it100_h240_f2_mirror": {**_IT50_F2, "finetune_iters": 100, "mirror_average": True},
    "it50_h240_f1_mirror": {**_IT50_F2, "frozen_stages": 1, "mirror_average": True},
    "it50_h240_f2_c50": {**_IT50_F2, "augment_copies": 50},
    "it50_h240_f2_c50_mirror": _BALANCED,
    # Wider resize range for the copies (objects that grow or shrink over the clip).
    "it50_h240_f2_c50_mirror_sc0520": {**_BALANCED, "augment_scale": (0.5, 2.0)},
    "it50_h240_f2_c50_mirror_sc0615": {**_BALANCED, "augment_scale": (0.6, 1.5)},
    # Fewer steps, or a lower or higher learning rate: 100 steps scored below 50.
    "it30_h240_f2_c30_mirror": {**_BALANCED, "finetune_iters": 30, "augment_copies": 30},
    "it50_h240_f2_c50_mirror_lr15": {**_BALANCED, "learning_rate": 7.5e-3},
    "it50_h240_f2_c50_mirror_lrhalf": {**_BALANCED, "learning_rate": 2.5e-3},
    "it100_h240_f2_c100": {**_IT50_F2, "finetune_iters": 100, "augment_copies": 100},
    "it50_h240_f2_fp32": {**_IT50_F2, "precision": "float32"},
    "it50_h360_f2_fp32": {**_IT50_F2, "train_height": 360, "infer_height": 360, "precision": "float32"},
    # Settings under another augmentation seed: how much of a difference is the draw.
    "it50_h240_f2_s1": {**_IT50_F2, "seed": 1},
    "it50_h240_f2_c50_s1": {**_IT50_F2, "augment_copies": 50, "seed": 1},
    "it50_h240_f2_c50_mirror_s1": {**_BALANCED, "seed": 1},
}

# Filter settings: overrides applied on top of a tuning setting (threshold 0.7 unless named).
FILTER_GRID: dict[str, dict] = {
    "appearance": ABLATION["appearance"],
    "box_clip+temporal": ABLATION["box_clip+temporal"],
    "full@0.5": {**ABLATION["full"], "threshold": 0.5},
    "full": ABLATION["full"],
    "full+flow_prior": ABLATION["full+flow_prior"],
    "full+guided": {**ABLATION["full"], "upsample": "guided"},
}


@dataclass
class CachedMaps:
    """One sequence under one tuning setting: network maps and what they cost."""

    maps: np.ndarray  # N×h×w float16, 0..1
    finetune_s: float
    net_s_per_frame: float


def cached_maps(seq: DavisSequence, config: SegmentConfig, net: torch.nn.Module, folder: Path) -> CachedMaps:
    """Fine-tune on frame 0 and run the network on every frame, or read the result from ``folder``."""
    path = folder / f"{seq.name}.npz"
    if not path.is_file():
        predictor = VideoPredictor(net, config)
        session, finetune_s = fitted_session(predictor, seq)
        start = time.perf_counter()
        maps = np.stack([predictor.maps(session, i, frame)[1] for i, frame in enumerate(seq.frames)])
        net_s = (time.perf_counter() - start) / len(maps)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{seq.name}.tmp.npz"
        np.savez(tmp, maps=maps.astype(np.float16), finetune_s=finetune_s, net_s=net_s)
        tmp.replace(path)
    data = np.load(path)
    return CachedMaps(data["maps"], float(data["finetune_s"]), float(data["net_s"]))


def cached_detections(seq: DavisSequence, detector, folder: Path) -> tuple[list[list[Detection]], float]:
    """The detector's output on every frame and its seconds per frame, cached in ``folder``."""
    path = folder / f"{seq.name}.json"
    if not path.is_file():
        start = time.perf_counter()
        dets = [detector.detect(frame) for frame in seq.frames]
        data = {"seconds_per_frame": (time.perf_counter() - start) / len(dets),
                "frames": [[[*d.box, d.class_id, d.score, d.label] for d in frame] for frame in dets]}
        folder.mkdir(parents=True, exist_ok=True)
        write_json(path, data)
    data = json.loads(path.read_text())
    frames = [[Detection(tuple(d[:4]), int(d[4]), float(d[5]), d[6]) for d in frame] for frame in data["frames"]]
    return frames, float(data["seconds_per_frame"])


def score_filters(
    seq: DavisSequence, maps: np.ndarray, detections: list[list[Detection]], config: SegmentConfig
) -> dict:
    """J and F (frames 1..N-2) and seconds per frame of the filters, on cached maps."""
    predictor = VideoPredictor(torch.nn.Identity(), config)  # the net is never called: maps are cached
    session = predictor.new_session()
    predictor.add_mask(session, 0, seq.frames[0], read_mask(seq.masks[0]))
    j, f, post_s = [], [], 0.0
    n = len(maps)
    for index, frame in enumerate(seq.frames):
        start = time.perf_counter()
        matte = predictor.finish_frame(session, index, frame, {1: maps[index].astype(np.float32)},
                                       detections[index]).matte
        post_s += time.perf_counter() - start
        if 0 < index < n - 1:
            gt = read_mask(seq.masks[index])
            j.append(jaccard(matte, gt))
            f.append(f_measure(matte, gt))
    return {"J": float(np.mean(j)), "F": float(np.mean(f)), "post_s_per_frame": post_s / n}


def run(tunes: list[str], filters: dict[str, dict], names: list[str], cache: Path, out: Path) -> dict:
    torch.set_num_threads(2)
    results = json.loads(out.read_text()) if out.is_file() else {"rows": {}}
    rows = results["rows"]
    sequences = [load_sequence(DAVIS, name) for name in names]
    net, info = load_net()
    # The maps depend on the parent and on what the network computes in: say which, for every row.
    results["meta"] = {"parent": Path(info["path"]).name, "parent_sha256": sha256_of(Path(info["path"])),
                       "precision": str(compute_dtype(SegmentConfig().precision, "cpu") or torch.float32)}
    detector = load_detector("yolox")
    dets = {seq.name: cached_detections(seq, detector, cache / "detections") for seq in sequences}
    for tune in tunes:
        base = SegmentConfig().with_overrides(**TUNE_GRID[tune])
        per_seq = {}
        for seq in sequences:
            print(f"[{time.strftime('%H:%M:%S')}] {tune} {seq.name}", flush=True)
            per_seq[seq.name] = cached_maps(seq, base, net, cache / tune)
        for fname, overrides in filters.items():
            key = f"{tune}/{fname}"
            config = base.with_overrides(**overrides)
            scores = {s.name: score_filters(s, per_seq[s.name].maps, dets[s.name][0], config) for s in sequences}
            rows[key] = {
                "tune": tune, "filter": fname, "config": config.to_dict(),
                "J": 100 * float(np.mean([s["J"] for s in scores.values()])),
                "F": 100 * float(np.mean([s["F"] for s in scores.values()])),
                # Measured with the maps (and so under whatever else ran then); --time replaces them.
                "finetune_s": float(np.mean([c.finetune_s for c in per_seq.values()])),
                "net_s_per_frame": float(np.mean([c.net_s_per_frame for c in per_seq.values()])),
                "detect_s_per_frame": float(np.mean([d[1] for d in dets.values()])) * (config.postprocess != "threshold"),
                "filter_s_per_frame": float(np.mean([s["post_s_per_frame"] for s in scores.values()])),
                "per_sequence_J": {n: 100 * s["J"] for n, s in scores.items()},
                "per_sequence_F": {n: 100 * s["F"] for n, s in scores.items()},
            }
            add_seconds(rows[key], results.get("timing", {}).get(tune))
            r = rows[key]
            print(f"  {key:<40} J {r['J']:5.1f} F {r['F']:5.1f} {r['seconds_per_70_frames']:6.1f} s/70", flush=True)
            write_json(out, results)
    return results


def add_seconds(row: dict, timing: dict | None) -> None:
    """Seconds per 70 frames of a row; fine-tuning and network times from ``timing`` when given."""
    if timing:
        row.update(finetune_s=timing["finetune_s"], net_s_per_frame=timing["net_s_per_frame"], timed="back to back")
    else:
        row["timed"] = "with the maps"
    row["s_per_frame"] = row["net_s_per_frame"] + row["detect_s_per_frame"] + row["filter_s_per_frame"]
    row["seconds_per_70_frames"] = row["finetune_s"] + FRAMES_PER_SHOT * row["s_per_frame"]


def time_tunes(tunes: list[str], out: Path, frames: int = 20) -> dict:
    """Fine-tuning seconds and network seconds per 480p frame of each tuning setting, one after the
    other in this process (so the rows compare), on *blackswan*: the cost depends on the frame size
    (854×480 for every DAVIS clip) and the settings, not on the content. Updates ``out``'s rows."""
    torch.set_num_threads(2)
    results = json.loads(out.read_text())
    seq = load_sequence(DAVIS, "blackswan")
    net, _ = load_net()
    timing = results.setdefault("timing", {})
    for tune in tunes:
        predictor = VideoPredictor(net, SegmentConfig().with_overrides(**TUNE_GRID[tune]))
        session, finetune_s = fitted_session(predictor, seq)
        start = time.perf_counter()
        for i in range(frames):
            predictor.maps(session, i, seq.frames[i])
        timing[tune] = {"finetune_s": finetune_s, "net_s_per_frame": (time.perf_counter() - start) / frames}
        print(f"{tune:<20} fine-tune {finetune_s:5.1f} s, network {timing[tune]['net_s_per_frame']:.3f} s/frame", flush=True)
    for row in results["rows"].values():
        add_seconds(row, timing.get(row["tune"]))
    write_json(out, results)
    return results


def markdown(results: dict) -> str:
    """Rows sorted by seconds; a star marks the Pareto front (no row both faster and better in J)."""
    rows = sorted(results["rows"].values(), key=lambda r: r["seconds_per_70_frames"])
    meta = results.get("meta", {})
    lines = [("DAVIS-2016 dev (10 sequences, scored at 480p). Tuning `itN_hH_fK`: N one-shot steps, train and "
             "infer height H, K frozen stages (`_lr2`: learning rate ×2, `_mirror`: maps averaged with the "
             "mirrored frame's, `_cN`: N augmented copies instead of 16, `_s1`: augmentation seed 1, `_fp32`: "
             "float32 where the others use bfloat16). Filters as in the paper's ablation, threshold 0.7 unless "
             "`@t`. ★: no faster row has a higher J. Seconds: 2 threads, fine-tuning and network timed back to "
             "back (`--time`); † timed with the maps, under whatever else ran then."
             + (f" Parent `{meta['parent']}` (SHA-256 {meta['parent_sha256'][:12]}…), network in {meta['precision']}."
                if meta else "")), "",
             "| | tuning | filters | s / 70 frames | J | F | fine-tune s | s / frame |", "|---|---|---|---|---|---|---|---|"]
    best = -1.0
    for r in rows:
        front = r["J"] > best
        best = max(best, r["J"])
        lines.append(f"| {'★' if front else ''} | {r['tune']} | {r['filter']} | {r['seconds_per_70_frames']:.0f}"
                     f"{'' if r.get('timed') == 'back to back' else ' †'} | "
                     f"{r['J']:.1f} | {r['F']:.1f} | {r['finetune_s']:.0f} | {r['s_per_frame']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", default=",".join(TUNE_GRID), help="tuning settings to run")
    parser.add_argument("--filters", default=",".join(FILTER_GRID),
                        help="filter settings to score, or a JSON object {name: overrides}")
    parser.add_argument("--sequences", help="comma-separated (default: the dev split)")
    parser.add_argument("--cache", default=str(REPO / ".cache" / "accuracy_curve"))
    parser.add_argument("--out", default=str(RESULTS / "accuracy_curve.json"))
    parser.add_argument("--time", action="store_true",
                        help="only time each tuning setting back to back (quiet machine) and update the rows' seconds")
    args = parser.parse_args()
    filters = (json.loads(args.filters) if args.filters.lstrip().startswith("{")
               else {k: FILTER_GRID[k] for k in args.filters.split(",")})
    names = args.sequences.split(",") if args.sequences else split_names(DAVIS, "dev")
    out = Path(args.out)
    if args.time:
        results = time_tunes(args.tune.split(","), out)
    else:
        results = run(args.tune.split(","), filters, names, Path(args.cache), out)
    out.with_suffix(".md").write_text(markdown(results))


if __name__ == "__main__":
    main()
