"""The README figure for soft mattes: a real DAVIS frame's edge, hard against soft, and a strip of
consecutive frames, made the way ``soft_matte.py`` scores them (cached 'balanced' maps, the real
filters, then ``plugin.soft.SoftMatter``).

    .venv/bin/python benchmarks/soft_matte_figure.py [--sequence blackswan] [--frame 20]

Writes ``docs/figures/soft_matte_edge.jpg`` (frame crop | hard cut-out | soft cut-out, over a checkerboard,
enlarged 3×) and ``docs/figures/soft_matte_strip.jpg`` (the alpha of the same crop on consecutive frames:
hard on the top row, soft below).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from soft_matte import REPO, matted_frames, sequence_inputs

from vos_core import get_preset
from vos_core.matte.alpha import MATTE_PRESETS

CROP = 80  # pixels of the 480p frame
ZOOM = 3
STRIP = 5  # consecutive frames in the strip


def checker(shape: tuple[int, int], square: int = 8) -> np.ndarray:
    """H×W×3 uint8 grey checkerboard, so what alpha lets through shows."""
    yy, xx = np.indices(shape)
    return np.where(((yy // square + xx // square) % 2)[..., None] == 0, 200, 120).astype(np.uint8).repeat(3, axis=2)


def over(frame: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``frame`` (H×W×3 uint8) laid over a checkerboard through ``alpha`` (H×W float32 0..1)."""
    a = alpha[..., None]
    return np.rint(frame * a + checker(alpha.shape) * (1 - a)).astype(np.uint8)


def edge_crop(mask: np.ndarray) -> tuple[slice, slice]:
    """A CROP×CROP window centred on the top-most point of the mask's outline (heads, hair, ears)."""
    ys, xs = np.nonzero(mask)
    top = ys.argmin()
    y = int(np.clip(ys[top] - CROP // 3, 0, mask.shape[0] - CROP))
    x = int(np.clip(xs[top] - CROP // 2, 0, mask.shape[1] - CROP))
    return slice(y, y + CROP), slice(x, x + CROP)


def enlarge(image: np.ndarray, zoom: int = ZOOM) -> np.ndarray:
    return cv2.resize(image, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sequence", default="blackswan")
    parser.add_argument("--frame", type=int, default=20, help="the edge figure's frame; the strip starts there")
    parser.add_argument("--cache", default=str(REPO / ".cache" / "accuracy_curve"))
    parser.add_argument("--out", default=str(REPO / "docs" / "figures"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seq, maps, detections = sequence_inputs(args.sequence, Path(args.cache))
    window = None
    strip: dict[str, list[np.ndarray]] = {"hard": [], "soft": []}
    for result, alphas, _ in matted_frames(seq, maps, detections, get_preset("balanced"), MATTE_PRESETS):
        if result.index < args.frame:
            continue
        if window is None:
            window = edge_crop(result.matte)
            frame = result.frame[window]
            panels = [frame, over(frame, alphas["hard"][window]), over(frame, alphas["soft"][window])]
            edge = np.concatenate([enlarge(p) for p in panels], axis=1)
            cv2.imwrite(str(out / "soft_matte_edge.jpg"), edge[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
        for name, frames in strip.items():
            frames.append(enlarge(np.rint(alphas[name][window] * 255).astype(np.uint8), 2))
        if len(strip["hard"]) == STRIP:
            break
    rows = [np.concatenate(strip[name], axis=1) for name in ("hard", "soft")]
    cv2.imwrite(str(out / "soft_matte_strip.jpg"), np.concatenate(rows, axis=0), [cv2.IMWRITE_JPEG_QUALITY, 88])


if __name__ == "__main__":
    main()
