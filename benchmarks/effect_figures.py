"""The README's figures for the app features, from a real DAVIS-2016 clip and its ground-truth mattes.

Writes small JPEGs (427×240, under 300 KB in all) to ``docs/figures/``: the source frame, each
effect of plugin.effects, the 9:16 reframe of the same frame, and the scribble annotation (strokes
and the mask GrabCut makes of them) on the clip's first frame.

    .venv/bin/python benchmarks/effect_figures.py [--clip dog --frame 30]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np

from plugin.effects import EFFECTS, apply_effect
from vos_core import read_image, read_mask
from vos_core.app.reframe import ReframeSettings, crop, reframe, track_object
from vos_core.app.scribbles import scribble_mask, synthetic_strokes
from vos_core.eval.davis import load_sequence

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
OUT = REPO / "docs" / "figures"
HEIGHT = 240
QUALITY = 80


def save(name: str, rgb: np.ndarray) -> Path:
    """Write ``rgb`` scaled to HEIGHT lines as docs/figures/NAME.jpg."""
    width = round(rgb.shape[1] * HEIGHT / rgb.shape[0])
    path = OUT / f"{name}.jpg"
    small = cv2.resize(rgb, (width, HEIGHT), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(path), small[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clip", default="dog")
    parser.add_argument("--frame", type=int, default=30)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    seq = load_sequence(DAVIS, args.clip)
    frame, matte = read_image(seq.frames.paths[args.frame]), read_mask(seq.masks[args.frame])
    written = [save("source", frame)]
    written += [save(f"effect_{name}", apply_effect(name, frame, matte)) for name in EFFECTS]
    path = reframe(track_object(read_mask(p) for p in seq.masks), ReframeSettings(aspect=9 / 16))
    written.append(save("reframe_9x16", crop(frame, path.windows[args.frame])))
    first, truth = read_image(seq.frames.paths[0]), read_mask(seq.masks[0])
    fg, bg = synthetic_strokes(truth)
    mask = scribble_mask(first, fg, bg)
    shown = first.copy()
    edge = cv2.dilate(cv2.Canny(mask, 1, 1), np.ones((3, 3), np.uint8)) > 0
    shown[edge] = (255, 255, 255)
    shown[fg > 0], shown[bg > 0] = (40, 220, 40), (230, 40, 40)
    written.append(save("scribbles", shown))
    total = sum(p.stat().st_size for p in written)
    print("\n".join(f"{p.relative_to(REPO)} {p.stat().st_size // 1024} KB" for p in written), f"\ntotal {total // 1024} KB")


if __name__ == "__main__":
    main()
