"""DAVIS evaluation of the whole pipeline: one-shot on frame 0, then every frame scored.

Frames stream through (ground truth is read frame by frame), so memory stays flat in clip
length. As the DAVIS-2017 toolkit does, the first (annotated) and last frames are not scored.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from vos_core import SegmentConfig, Session, VideoPredictor, load_net, read_mask
from vos_core.eval.davis import DavisSequence, load_sequences, split_names
from vos_core.eval.metrics import Statistics, f_measure, jaccard, summarize
from vos_core.tracking.detection import load_detector


@dataclass(frozen=True)
class SequenceReport:
    name: str
    frames: int
    J: Statistics
    F: Statistics
    finetune_s: float
    infer_s_per_frame: float
    classes: tuple[str, ...] = ()  # detector classes chosen on frame 0 (empty: uncategorized)
    missed_frames: int = 0  # frames where no box could be selected

    @property
    def JF(self) -> float:
        return (self.J.mean + self.F.mean) / 2


def fitted_session(predictor: VideoPredictor, seq: DavisSequence) -> tuple[Session, float]:
    """A session annotated with frame 0 of ``seq`` and fine-tuned; with the fine-tuning seconds."""
    session = predictor.new_session()
    predictor.add_mask(session, 0, seq.frames[0], read_mask(seq.masks[0]))
    start = time.perf_counter()
    for _ in predictor.fit(session):
        pass
    return session, time.perf_counter() - start


def evaluate_sequence(
    predictor: VideoPredictor, seq: DavisSequence, variants: dict[str, SegmentConfig] | None = None
) -> dict[str, SequenceReport]:
    """Fine-tune on frame 0 of ``seq``, segment every frame and score frames 1..N-2.

    ``variants`` name filtering configs scored on the same maps and detections (an ablation
    costs one fine-tuning); by default the predictor's own config, under the name "". With
    crops, the variant that is the predictor's own config (else the first) places them: every
    variant filters the same maps, as without crops.
    """
    base, finetune_s = fitted_session(predictor, seq)
    sessions = {name: predictor.clone_session(base, cfg) for name, cfg in variants.items()} if variants else {"": base}
    scores: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in sessions}
    missed = dict.fromkeys(sessions, 0)
    n = len(seq.masks)
    # Timed: what a real run does per frame (decode, maps, detections, filters); not the scoring.
    # With variants, each one's filters are timed, so the time is that of one run per variant.
    infer_s = dict.fromkeys(sessions, 0.0)
    clock = time.perf_counter()
    placer = next((sessions[name] for name, cfg in (variants or {}).items() if cfg == predictor.config),
                  next(iter(sessions.values())))
    for index, frame in enumerate(seq.frames):
        maps = predictor.maps(placer, index, frame)
        detections = predictor.detect(frame, *sessions.values())
        shared_s = time.perf_counter() - clock
        gt = read_mask(seq.masks[index]) if 0 < index < n - 1 else None
        for name, session in sessions.items():
            clock = time.perf_counter()
            matte = predictor.finish_frame(session, index, frame, maps, detections).matte
            infer_s[name] += shared_s + time.perf_counter() - clock
            missed[name] += int(any(o.tracker.state.missed > 0 for o in session.objects.values()))
            if gt is not None:
                scores[name][0].append(jaccard(matte, gt))
                scores[name][1].append(f_measure(matte, gt))
        clock = time.perf_counter()
    return {
        name: SequenceReport(seq.name, n, summarize(j), summarize(f), finetune_s, infer_s[name] / n,
                             sessions[name].objects[1].tracker.state.labels, missed[name])
        for name, (j, f) in scores.items()
    }


def evaluate(
    davis_root: str | Path,
    config: SegmentConfig,
    sequences: list[str] | None = None,
    split: str = "dev",
    resolution: str = "480p",
    weights: str | Path | None = None,
    device: torch.device | str = "cpu",
    variants: dict[str, SegmentConfig] | None = None,
) -> Iterator[dict[str, SequenceReport]]:
    """Evaluate on the named sequences (or the split's); yields per sequence ``{variant: report}``."""
    names = sequences or split_names(davis_root, split)
    net, _ = load_net(weights)
    needs_detector = any(c.detector != "none" and c.postprocess != "threshold" for c in (variants or {"": config}).values())
    detector = load_detector(config.detector, weights, str(device)) if needs_detector else None
    for seq in load_sequences(davis_root, names, resolution=resolution):
        yield evaluate_sequence(VideoPredictor(net, config, device, detector), seq, variants)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summary(reports: list[SequenceReport]) -> dict:
    """Means over sequences, DAVIS style (each sequence weighs the same)."""
    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else float("nan")

    return {
        "J_mean": mean([r.J.mean for r in reports]),
        "J_recall": mean([r.J.recall for r in reports]),
        "J_decay": mean([r.J.decay for r in reports]),
        "F_mean": mean([r.F.mean for r in reports]),
        "F_recall": mean([r.F.recall for r in reports]),
        "F_decay": mean([r.F.decay for r in reports]),
        "JF_mean": mean([r.JF for r in reports]),
        "finetune_s_mean": mean([r.finetune_s for r in reports]),
        "infer_s_per_frame_mean": mean([r.infer_s_per_frame for r in reports]),
    }


def results_dict(reports: list[SequenceReport]) -> dict:
    """``{"summary", "sequences"}`` for JSON output."""
    return {"summary": summary(reports), "sequences": [{**asdict(r), "JF": r.JF} for r in reports]}


def write_json(path: str | Path, data: dict) -> None:
    """Write JSON atomically (temp file, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)


def format_table(reports: list[SequenceReport]) -> str:
    """A plain-text table: one row per sequence and a mean row."""
    rows = [f"{'sequence':<18} {'frames':>6} {'J':>6} {'J rec':>6} {'J dec':>6} {'F':>6} {'J&F':>6} {'tune s':>7} {'s/frame':>7}"]
    for r in reports:
        rows.append(f"{r.name:<18} {r.frames:>6} {r.J.mean:6.3f} {r.J.recall:6.3f} {r.J.decay:6.3f} "
                    f"{r.F.mean:6.3f} {r.JF:6.3f} {r.finetune_s:7.1f} {r.infer_s_per_frame:7.3f}")
    s = summary(reports)
    rows.append(f"{'mean':<18} {sum(r.frames for r in reports):>6} {s['J_mean']:6.3f} {s['J_recall']:6.3f} "
                f"{s['J_decay']:6.3f} {s['F_mean']:6.3f} {s['JF_mean']:6.3f} {s['finetune_s_mean']:7.1f} "
                f"{s['infer_s_per_frame_mean']:7.3f}")
    return "\n".join(rows)
