"""Confidence track (vos_core/confidence.py): does it predict IoU, and does its suggestion help?

1. **Fit and correlation** (cheap: no network). The preset-fast maps of the 10 DAVIS-2016 dev
   clips cached by ``accuracy_curve.py`` (``it100_h240_f4``, keyframe frame 0) are replayed
   through the predictor's ``finish_frame``; per frame the confidence signals and the true IoU
   are kept (cached in ``.cache/confidence/signals/``). A logistic model with IoU as soft target
   is fitted; its signals are chosen by greedy forward selection. Everything reported is
   **leave-one-clip-out**: for each clip, selection and fit use the other nine only. Spearman
   per clip and pooled, and the precision / recall of "confidence < LOW" at finding frames with
   IoU < 0.5. ``--fit`` prints the constants fitted on all ten clips (pasted into the module).
2. **Gains** (expensive: ~25 s per run per clip). Preset fast, real pipeline: J with keyframe 0
   only (whose confidence track gives the suggested frame), then with one more ground-truth
   keyframe at the suggested frame, at the middle frame, at a random frame (3 seeds). Every run
   of a clip is scored on the same frames (1..N-2 minus every extra keyframe tried on that
   clip), so the added keyframe's own frame never counts. Per-clip results are cached under
   ``.cache/confidence/gains/`` (resumable).

    .venv/bin/python -m benchmarks.confidence [--fit] [--no-gains] [--sequences a,b] [--device cuda --tag fast-cuda]

Writes ``benchmarks/results/confidence.json`` (exactly ``spearman`` and the three gains) and
``confidence_detail.json`` (everything measured). 2 torch threads.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import torch

from benchmarks.accuracy_curve import cached_detections, cached_maps
from plugin.evaluate import write_json
from vos_core import VideoPredictor, get_preset, load_net, read_image, read_mask
from vos_core import confidence as conf
from vos_core.eval.davis import DavisSequence, load_sequence, split_names
from vos_core.eval.metrics import jaccard
from vos_core.tracking.detection import load_detector

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
RESULTS = REPO / "benchmarks" / "results"
CACHE = REPO / ".cache"
MAPS = CACHE / "accuracy_curve" / "it100_h240_f4"  # preset fast: 100 steps, stages 1–4 frozen, 240 lines
PRESET = "fast"
SEEDS = (0, 1, 2)
L2 = 1e-2
MIN_GAIN = 0.005  # forward selection stops when pooled Spearman rises less than this


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks (0-based, ties averaged)."""
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x), np.float64)
    r[order] = np.arange(len(x))
    _, inverse = np.unique(x, return_inverse=True)
    sums = np.bincount(inverse, r)
    return (sums / np.bincount(inverse))[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (0 when either side is constant)."""
    ra, rb = ranks(np.asarray(a, np.float64)), ranks(np.asarray(b, np.float64))
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def replay_signals(seq: DavisSequence) -> tuple[np.ndarray, np.ndarray]:
    """Signals (N-1 × len(SIGNALS)) and true IoU (N-1) of frames 1..N-1 on the cached fast maps."""
    path = CACHE / "confidence" / "signals" / f"{seq.name}.npz"
    if not path.is_file():
        config = get_preset(PRESET)
        maps = cached_maps(seq, config, None, MAPS).maps
        detections, _ = cached_detections(seq, None, CACHE / "accuracy_curve" / "detections")
        predictor = VideoPredictor(torch.nn.Identity(), config)  # maps are cached: the net is never called
        session = predictor.new_session()
        predictor.add_mask(session, 0, seq.frames[0], read_mask(seq.masks[0]))
        memory = conf._ObjectMemory()
        signals, iou = [], []
        for index, frame in enumerate(seq.frames):
            result = predictor.finish_frame(session, index, frame, {1: maps[index].astype(np.float32)},
                                            detections[index])
            s = conf.frame_signals(result.maps[1], result.masks[1], result.lost[1], memory)
            if index > 0:
                signals.append(s)
                iou.append(jaccard(result.masks[1], read_mask(seq.masks[index])))
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, signals=np.array(signals), iou=np.array(iou))
    data = np.load(path)
    return data["signals"], data["iou"]


def fit(x: np.ndarray, y: np.ndarray, columns: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Logistic regression with soft targets on standardised ``columns`` (Newton, L2).

    Returns means, scales, weights (full length, zero outside ``columns``) and bias.
    """
    means, scales = x.mean(0), np.where(x.std(0) > 0, x.std(0), 1.0)  # constant signals: weight 0
    z = np.c_[(x[:, columns] - means[columns]) / scales[columns], np.ones(len(x))]
    w = np.zeros(z.shape[1])
    penalty = L2 * len(x) * np.diag([1.0] * len(columns) + [0.0])
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (p - y) + penalty @ w
        hess = (z * (p * (1 - p))[:, None]).T @ z + penalty + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = np.zeros(x.shape[1])
    weights[columns] = w[:-1]
    return means, scales, weights, float(w[-1])


def predict(model, x: np.ndarray) -> np.ndarray:
    means, scales, weights, bias = model
    return 1 / (1 + np.exp(-(((x - means) / scales) @ weights + bias)))


def select(clips: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[int]:
    """Greedy forward selection of signals by pooled leave-one-clip-out Spearman over ``clips``."""
    chosen: list[int] = []
    best = -1.0
    while len(chosen) < len(conf.SIGNALS):
        trials = {}
        for c in set(range(len(conf.SIGNALS))) - set(chosen):
            trials[c] = loco_spearman(clips, [*chosen, c])
        c, value = max(trials.items(), key=lambda kv: kv[1])
        if value < best + MIN_GAIN:
            break
        chosen.append(c)
        best = value
    return chosen


def loco_spearman(clips: dict, columns: list[int]) -> float:
    """Pooled Spearman of leave-one-clip-out predictions with fixed ``columns``."""
    pred, truth = [], []
    for name, (x, y) in clips.items():
        rest = [v for k, v in clips.items() if k != name]
        model = fit(np.concatenate([v[0] for v in rest]), np.concatenate([v[1] for v in rest]), columns)
        pred.append(predict(model, x))
        truth.append(y)
    return spearman(np.concatenate(pred), np.concatenate(truth))


def correlation(clips: dict) -> dict:
    """Leave-one-clip-out (selection nested inside each fold): Spearman per clip and pooled, precision."""
    predictions, chosen = {}, {}
    for name, (x, _) in clips.items():
        rest = {k: v for k, v in clips.items() if k != name}
        columns = select(rest)
        model = fit(np.concatenate([v[0] for v in rest.values()]), np.concatenate([v[1] for v in rest.values()]), columns)
        predictions[name], chosen[name] = predict(model, x), [conf.SIGNALS[c] for c in columns]
        print(f"  {name:<16} signals {chosen[name]}  Spearman {spearman(predictions[name], clips[name][1]):+.3f}",
              flush=True)
    pred = np.concatenate(list(predictions.values()))
    iou = np.concatenate([clips[k][1] for k in predictions])
    flagged, bad = pred < conf.LOW, iou < 0.5
    per_clip = {k: round(spearman(predictions[k], clips[k][1]), 4) for k in predictions}
    return {
        "spearman_pooled": round(spearman(pred, iou), 4),
        "spearman_per_clip": per_clip,
        "spearman_per_clip_mean": round(float(np.mean(list(per_clip.values()))), 4),
        "threshold": conf.LOW,
        "precision_low_at_iou_below_0.5": round(float((flagged & bad).sum() / max(flagged.sum(), 1)), 4),
        "recall_low_at_iou_below_0.5": round(float((flagged & bad).sum() / max(bad.sum(), 1)), 4),
        "frames": len(iou), "frames_iou_below_0.5": int(bad.sum()), "frames_flagged": int(flagged.sum()),
        "signals_chosen_per_fold": chosen,
    }


def constants(clips: dict) -> str:
    """The module constants fitted on every clip, as Python source."""
    columns = select(clips)
    means, scales, weights, bias = fit(np.concatenate([v[0] for v in clips.values()]),
                                       np.concatenate([v[1] for v in clips.values()]), columns)

    def arr(v):
        return "np.array([" + ", ".join(f"{x:.4f}" for x in v) + "], np.float32)"
    return f"MEANS = {arr(means)}\nSCALES = {arr(scales)}\nWEIGHTS = {arr(weights)}\nBIAS = {bias:.4f}\n"


def run_keyframes(predictor, frames: list, masks: list, keys: list[int], track=None) -> np.ndarray:
    """Per-frame J of one run with ground-truth keyframes ``keys`` (feeding ``track`` if given)."""
    session = predictor.new_session()
    for k in keys:
        predictor.add_mask(session, k, frames[k], masks[k])
    j = np.zeros(len(frames))
    for result in predictor.propagate(session, frames):
        j[result.index] = jaccard(result.masks[1], masks[result.index])
        if track is not None:
            track.update(result)
    return j


def random_frames(name: str, n: int) -> dict[str, int]:
    """One random extra keyframe in 1..n-1 per seed, drawn independently per clip and seed."""
    return {f"random{s}": int(np.random.default_rng([s, zlib.crc32(name.encode())]).integers(1, n)) for s in SEEDS}


def clip_gains(make_predictor, seq: DavisSequence, tag: str) -> dict:
    """Per-frame J for keyframe 0 alone and with one extra keyframe (suggested, middle, random).

    Cached per clip; a cached clip whose extra keyframes differ from today's draws (or lack one)
    runs only those again.
    """
    path = CACHE / "confidence" / "gains" / tag / f"{seq.name}.json"
    result = json.loads(path.read_text()) if path.is_file() else None
    frames = masks = None
    if result is None:
        predictor = make_predictor()
        frames, masks = [read_image(p) for p in seq.frames.paths], [read_mask(p) for p in seq.masks]
        n = len(frames)
        track = conf.ConfidenceTrack({1: {0}})
        start = time.perf_counter()
        base = run_keyframes(predictor, frames, masks, [0], track)
        run_s = time.perf_counter() - start
        result = {"frames": n, "keyframes": {"suggested": conf.suggest_corrections(track)[0], "middle": n // 2},
                  "run_s": round(run_s, 1), "confidence": [f.lowest for f in track.frames], "J": {"base": base.tolist()}}
    wanted = {"suggested": result["keyframes"]["suggested"], "middle": result["frames"] // 2,
              **random_frames(seq.name, result["frames"])}
    todo = {name: k for name, k in wanted.items() if result["keyframes"].get(name) != k or name not in result["J"]}
    if todo and frames is None:
        frames, masks = [read_image(p) for p in seq.frames.paths], [read_mask(p) for p in seq.masks]
    for name, k in todo.items():
        print(f"  {seq.name}: extra keyframe {name} = {k}", flush=True)
        result["J"][name] = run_keyframes(make_predictor(), frames, masks, [0, k]).tolist()
    result["keyframes"] = wanted
    if todo:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result))
    return result


def gains(names: list[str], device: str, tag: str) -> dict:
    """Mean and per-clip J gains of the three extra-keyframe choices (cached per clip under ``tag``)."""
    torch.set_num_threads(2)

    @functools.cache
    def make_predictor() -> VideoPredictor:  # only when a clip is not cached yet
        config = get_preset(PRESET)
        return VideoPredictor(load_net(None)[0], config, device, load_detector(config.detector, None, device))

    per_clip, live_pred, live_iou = {}, [], []
    for name in names:
        print(f"[{time.strftime('%H:%M:%S')}] gains {name}", flush=True)
        r = clip_gains(make_predictor, load_sequence(DAVIS, name), tag)
        n = r["frames"]
        scored = sorted(set(range(1, n - 1)) - set(r["keyframes"].values()))
        j = {k: 100 * float(np.mean(np.asarray(v)[scored])) for k, v in r["J"].items()}
        per_clip[name] = {"J_base": round(j["base"], 2), "keyframes": r["keyframes"],
                          **{f"gain_{k}": round(j[k] - j["base"], 2) for k in ("suggested", "middle")},
                          "gain_random": round(float(np.mean([j[f"random{s}"] - j["base"] for s in SEEDS])), 2)}
        live_pred.append(np.asarray(r["confidence"])[1:])
        live_iou.append(np.asarray(r["J"]["base"])[1:])
    mean = {k: round(float(np.mean([c[k] for c in per_clip.values()])), 2)
            for k in ("gain_suggested", "gain_middle", "gain_random")}
    return {**mean, "device": device, "per_clip_gains": per_clip,
            "spearman_live_fitted_constants": round(spearman(np.concatenate(live_pred), np.concatenate(live_iou)), 4)}


SUMMARY_FIELDS = ("spearman", "gain_suggested", "gain_middle", "gain_random")  # confidence.json, as issue 17 asks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sequences", help="comma-separated (default: the dev split)")
    parser.add_argument("--fit", action="store_true", help="print the constants fitted on every clip and stop")
    parser.add_argument("--no-gains", action="store_true", help="only the correlation part (no network runs)")
    parser.add_argument("--gains-only", action="store_true", help="only run (and cache) the gains, write no results")
    parser.add_argument("--device", default="cpu", help="torch device of the gains runs")
    parser.add_argument("--tag", default=PRESET, help="cache folder of the gains runs (one per device)")
    parser.add_argument("--out", default=str(RESULTS / "confidence.json"))
    args = parser.parse_args()
    names = args.sequences.split(",") if args.sequences else split_names(DAVIS, "dev")
    if args.gains_only:
        gains(names, args.device, args.tag)
        return
    clips = {name: replay_signals(load_sequence(DAVIS, name)) for name in names}
    if args.fit:
        print(constants(clips))
        return
    out = Path(args.out)
    detail = out.with_name(f"{out.stem}_detail.json")
    results = json.loads(detail.read_text()) if detail.is_file() else {}
    corr = correlation(clips)
    results.update({"preset": PRESET, "split": "dev", "spearman": corr["spearman_pooled"], **corr,
                    "command": " ".join([".venv/bin/python -m benchmarks.confidence", *sys.argv[1:]]), "fit": "leave-one-clip-out, signal selection nested"})
    if not args.no_gains:
        results.update(gains(names, args.device, args.tag))
    # The summary holds exactly the fields issue 17 names; everything measured goes beside it.
    write_json(detail, results)
    write_json(out, {k: results[k] for k in SUMMARY_FIELDS if k in results})
    print(json.dumps({k: v for k, v in results.items() if not isinstance(v, dict)}, indent=1))


if __name__ == "__main__":
    main()
