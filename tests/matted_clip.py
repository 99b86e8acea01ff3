"""A real clip with sound and its ground-truth mattes on disk, for the reframe and effects commands."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2

from vos_core import read_image, read_mask
from vos_core.media.ffmpeg_process import find_ffmpeg
from vos_core.media.masks import resize_mask

SIZE = (428, 240)  # DAVIS 854×480 halved, even sides for H.264


def write_matted_clip(root: Path, davis_root: Path, name: str = "dog", frames: int = 20) -> dict[str, Path]:
    """``frames`` frames of DAVIS ``name`` at SIZE as a PNG folder and an H.264 + AAC movie (a sine tone),
    and their ground-truth masks as a matte folder ``00000.png``...: ``{"frames", "movie", "mattes"}``."""
    paths = {"frames": root / "frames", "mattes": root / "mattes", "movie": root / f"{name}.mp4"}
    paths["frames"].mkdir(parents=True)
    paths["mattes"].mkdir()
    for i in range(frames):
        frame = read_image(davis_root / f"JPEGImages/480p/{name}/{i:05d}.jpg")
        cv2.imwrite(str(paths["frames"] / f"{i:05d}.png"), cv2.resize(frame, SIZE, interpolation=cv2.INTER_AREA)[..., ::-1])
        mask = read_mask(davis_root / f"Annotations/480p/{name}/{i:05d}.png")
        cv2.imwrite(str(paths["mattes"] / f"{i:05d}.png"), resize_mask(mask, *SIZE))
    subprocess.run([
        find_ffmpeg(), "-loglevel", "error", "-y", "-framerate", "25", "-i", str(paths["frames"] / "%05d.png"),
        "-f", "lavfi", "-i", "sine=f=440", "-shortest", "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p",
        "-c:a", "aac", str(paths["movie"]),
    ], check=True)
    return paths


def has_audio(path: Path) -> bool:
    """True if ffmpeg lists an audio stream in ``path``."""
    listing = subprocess.run([find_ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True,
                             check=False).stderr
    return "Audio:" in listing
