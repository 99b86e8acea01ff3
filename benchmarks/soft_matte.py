"""Soft mattes against hard ones on DAVIS-2016 dev: J, F and chatter (issue 12).

The network's maps are not recomputed: the 'balanced' preset's maps cached by
``accuracy_curve.py`` (``.cache/accuracy_curve/it50_h240_f2``) go through the predictor's own
``finish_frame`` (the real filters) and then through ``plugin.soft.SoftMatter`` for each refine
setting, a frame at a time, as a host would run them.

Per setting (means over the sequences, frames 1..N-2 for J and F as the DAVIS toolkit scores):

- ``J``, ``F``: region and boundary scores (×100) of ``alpha > 0.5`` against the ground truth;
- ``F_ramp``: the boundary F of the soft matte itself, the mean of F for ``alpha > τ`` with
  τ = 0.25, 0.5, 0.75 (a ramp that strays from the true edge loses here);
- ``chatter``: ``vos_core.matte.antichatter.ChatterMeter`` (no ground truth): mean |α_t − warp(α_{t−1})|
  near the edge where the flow is consistent, per frame, then per sequence, then the mean.

Output: ``benchmarks/results/soft_matte.json``, a list of ``{"setting", "J", "F", "chatter"}``
for "hard" and the default "soft" (``F_ramp``, timings, settings and per-sequence values in
``soft_matte_detail.json``). ``--sweep``
scores a JSON object ``{name: RefineSettings overrides}`` instead and writes ``--out``.

    .venv/bin/python benchmarks/soft_matte.py
    .venv/bin/python benchmarks/soft_matte.py --sweep '{"f2": {"feather": 2}}' --out benchmarks/results/soft_matte_sweep.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from accuracy_curve import DAVIS, RESULTS, TUNE_GRID, cached_detections, cached_maps

from plugin.evaluate import write_json
from plugin.soft import SoftMatter
from vos_core import FrameResult, SegmentConfig, VideoPredictor, get_preset, read_mask
from vos_core.eval.davis import DavisSequence, load_sequence, split_names
from vos_core.eval.metrics import f_measure, jaccard
from vos_core.matte.alpha import MATTE_PRESETS, RefineSettings
from vos_core.matte.antichatter import ChatterMeter

REPO = Path(__file__).resolve().parents[1]
TUNE = "it50_h240_f2"  # the 'balanced' preset's fine-tuning
RAMP_LEVELS = (0.25, 0.5, 0.75)


def matted_frames(
    seq: DavisSequence, maps: np.ndarray, detections: list, config: SegmentConfig, settings: dict[str, RefineSettings]
) -> Iterator[tuple[FrameResult, dict[str, np.ndarray], dict[str, float]]]:
    """Per frame of ``seq``: the pipeline's result from cached maps, each setting's alpha (H×W
    float32 0..1) and the seconds each setting's soft stage took."""
    predictor = VideoPredictor(torch.nn.Identity(), config)  # the net is never called: maps are cached
    session = predictor.new_session()
    predictor.add_mask(session, 0, seq.frames[0], read_mask(seq.masks[0]))
    stages = {name: SoftMatter(s, config.threshold) for name, s in settings.items()}
    for index, frame in enumerate(seq.frames):
        result = predictor.finish_frame(session, index, frame, {1: maps[index].astype(np.float32)}, detections[index])
        alphas, seconds = {}, {}
        for name, stage in stages.items():
            start = time.perf_counter()
            alphas[name] = stage.matte(stage.process(result))
            seconds[name] = time.perf_counter() - start
        yield result, alphas, seconds


def score_sequence(
    seq: DavisSequence, maps: np.ndarray, detections: list, config: SegmentConfig, settings: dict[str, RefineSettings]
) -> dict[str, dict[str, float]]:
    """J, F, F_ramp and chatter of every refine setting on one sequence (one pass over its frames)."""
    meters = {name: ChatterMeter() for name in settings}
    scores: dict[str, dict[str, list[float]]] = {name: {"J": [], "F": [], "F_ramp": []} for name in settings}
    total = dict.fromkeys(settings, 0.0)
    n = len(maps)
    for result, alphas, seconds in matted_frames(seq, maps, detections, config, settings):
        gt = read_mask(seq.masks[result.index]) if 0 < result.index < n - 1 else None
        for name, alpha in alphas.items():
            total[name] += seconds[name]
            meters[name].add(result.frame, alpha)
            if gt is not None:
                scores[name]["J"].append(jaccard(alpha > 0.5, gt))
                scores[name]["F"].append(f_measure(alpha > 0.5, gt))
                scores[name]["F_ramp"].append(float(np.mean([f_measure(alpha > t, gt) for t in RAMP_LEVELS])))
    return {
        name: {**{k: 100 * float(np.mean(v)) for k, v in scores[name].items()},
               "chatter": meters[name].mean, "s_per_frame": total[name] / n}
        for name in settings
    }


def sequence_inputs(name: str, cache: Path) -> tuple[DavisSequence, np.ndarray, list]:
    """A dev sequence, its cached 'balanced' maps and its cached detections."""
    seq = load_sequence(DAVIS, name)
    if not (cache / TUNE / f"{name}.npz").is_file():
        raise SystemExit(f"no cached maps for {name} under {cache / TUNE}: run accuracy_curve.py --tune {TUNE} first")
    maps = cached_maps(seq, get_preset("balanced"), None, cache / TUNE).maps  # cached: the net is not needed
    return seq, maps, cached_detections(seq, None, cache / "detections")[0]


def run(settings: dict[str, RefineSettings], names: list[str], cache: Path) -> tuple[list[dict], dict]:
    """Rows ``{"setting", "J", "F", "chatter", "F_ramp", ...}`` and per-sequence detail."""
    torch.set_num_threads(2)
    config = get_preset("balanced")
    assert config.with_overrides(**TUNE_GRID[TUNE]) == config, "the cached maps are not the balanced preset's"
    per_seq = {}
    for name in names:
        print(f"[{time.strftime('%H:%M:%S')}] {name}", flush=True)
        per_seq[name] = score_sequence(*sequence_inputs(name, cache), config, settings)
    rows = []
    for setting, refine in settings.items():
        values = [per_seq[s][setting] for s in names]
        row = {"setting": setting, **{k: float(np.mean([v[k] for v in values])) for k in values[0]},
               "refine": refine.to_dict()}
        rows.append(row)
        print(f"  {setting:<16} J {row['J']:5.2f} F {row['F']:5.2f} F_ramp {row['F_ramp']:5.2f} "
              f"chatter {row['chatter']:.4f} {1000 * row['s_per_frame']:.0f} ms/frame", flush=True)
    return rows, per_seq


SUMMARY_FIELDS = ("setting", "J", "F", "chatter")  # soft_matte.json, as issue 12 asks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweep", help="JSON object {name: RefineSettings overrides} to score instead of hard/soft")
    parser.add_argument("--sequences", help="comma-separated (default: the dev split)")
    parser.add_argument("--cache", default=str(REPO / ".cache" / "accuracy_curve"))
    parser.add_argument("--out", default=str(RESULTS / "soft_matte.json"))
    args = parser.parse_args()
    settings = ({"hard": MATTE_PRESETS["hard"], **{k: RefineSettings().with_overrides(**v)
                                                  for k, v in json.loads(args.sweep).items()}}
                if args.sweep else dict(MATTE_PRESETS))
    names = args.sequences.split(",") if args.sequences else split_names(DAVIS, "dev")
    rows, per_seq = run(settings, names, Path(args.cache))
    out = Path(args.out)
    # The summary holds exactly the fields issue 12 names; the rest goes beside it.
    write_json(out, [{k: row[k] for k in SUMMARY_FIELDS} for row in rows])
    write_json(out.with_name(f"{out.stem}_detail.json"),
               {"tune": TUNE, "preset": "balanced", "rows": rows, "sequences": per_seq})


if __name__ == "__main__":
    main()
