"""The README's figure: confidence against true IoU, frame by frame, over one DAVIS-2016 dev clip.

The confidence is the leave-one-clip-out model's (selection and fit on the other nine dev clips,
as ``benchmarks/confidence.py`` scores it), replayed on the cached preset-fast maps; low runs are
shaded and the suggested correction frame marked. Drawn with OpenCV (no plotting library here).

    .venv/bin/python -m benchmarks.confidence_plot [--clip bmx-trees] [--out PNG]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from benchmarks.confidence import DAVIS, REPO, fit, predict, replay_signals, select, spearman
from vos_core import confidence as conf
from vos_core.eval.davis import load_sequence, split_names

WIDTH, HEIGHT, MARGIN = 720, 260, 40
BLUE, ORANGE, GREY, RED = (200, 110, 30), (20, 130, 240), (225, 225, 225), (40, 40, 200)


def held_out_confidence(name: str, clips: dict) -> np.ndarray:
    """Confidence on frames 1..N-1 of ``name`` from a model that never saw it."""
    rest = {k: v for k, v in clips.items() if k != name}
    model = fit(np.concatenate([v[0] for v in rest.values()]), np.concatenate([v[1] for v in rest.values()]),
                select(rest))
    return predict(model, clips[name][0])


def draw(iou: np.ndarray, confidence: np.ndarray, title: str) -> np.ndarray:
    """A WIDTH×HEIGHT BGR chart of both curves over frames 1..N-1 (value 0..1 upwards)."""
    image = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    n = len(iou)

    def x(i: float) -> int:
        return int(MARGIN + (WIDTH - 2 * MARGIN) * i / max(n - 1, 1))

    def y(v: float) -> int:
        return int(HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * v)

    track = conf.ConfidenceTrack({1: {0}})
    track.frames = [conf.FrameConfidence(i + 1, {1: float(c)}, {1: ()}) for i, c in enumerate(confidence)]
    for first, last, _ in conf.low_runs(track):
        cv2.rectangle(image, (x(first - 1), y(1)), (x(last - 1), y(0)), GREY, -1)
    for v in (0, 0.5, 1):
        cv2.line(image, (MARGIN, y(v)), (WIDTH - MARGIN, y(v)), (180, 180, 180), 1)
        cv2.putText(image, f"{v:g}", (8, y(v) + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (80, 80, 80), 1, cv2.LINE_AA)
    for values, colour in ((iou, BLUE), (confidence, ORANGE)):
        points = np.array([(x(i), y(v)) for i, v in enumerate(values)], np.int32)
        cv2.polylines(image, [points], False, colour, 2, cv2.LINE_AA)
    for frame in conf.suggest_corrections(track):
        cv2.line(image, (x(frame - 1), y(1)), (x(frame - 1), y(0)), RED, 1)
        cv2.putText(image, f"suggested {frame}", (x(frame - 1) + 4, y(1) + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, RED, 1,
                    cv2.LINE_AA)
    cv2.putText(image, title, (MARGIN, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(image, "IoU with ground truth", (WIDTH - 390, HEIGHT - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.45, BLUE, 1,
                cv2.LINE_AA)
    cv2.putText(image, "confidence", (WIDTH - 200, HEIGHT - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.45, ORANGE, 1, cv2.LINE_AA)
    cv2.putText(image, "frame", (MARGIN, HEIGHT - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (80, 80, 80), 1, cv2.LINE_AA)
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clip", default="bmx-trees")
    parser.add_argument("--out", help="PNG path (default: docs/figures/confidence_<clip>.png)")
    args = parser.parse_args()
    clips = {name: replay_signals(load_sequence(DAVIS, name)) for name in split_names(DAVIS, "dev")}
    confidence = held_out_confidence(args.clip, clips)
    iou = clips[args.clip][1]
    title = (f"DAVIS-2016 {args.clip}, preset fast, frames 1-{len(iou)}: Spearman {spearman(confidence, iou):.2f} "
             "(held-out model); shaded: low runs")
    out = Path(args.out or REPO / "docs" / "figures" / f"confidence_{args.clip}.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), draw(iou, confidence, title), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(out)


if __name__ == "__main__":
    main()
