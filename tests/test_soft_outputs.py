"""Soft alpha in every matte and alpha format: 8/16-bit PNG sequences, ProRes 4444, FFV1 (real ffmpeg)."""

from __future__ import annotations

import argparse
import subprocess
from fractions import Fraction

import cv2
import numpy as np
import pytest
from soft_frames import davis_frame

from hosts.ffmpeg.formats import resolve
from hosts.ffmpeg.options import add_refine_options, refine_from
from hosts.ffmpeg.sinks import FfmpegSink
from plugin.outputs import PngSequenceWriter
from vos_core.matte.alpha import get_refine, quantize, refine_alpha
from vos_core.media.ffmpeg_input import open_input, probe
from vos_core.media.ffmpeg_process import find_ffmpeg

W, H, FRAMES = 214, 120, 3


@pytest.fixture(scope="module")
def clip(davis_root, tmp_path_factory):
    """Three small DAVIS frames as a PNG sequence, and their soft alphas (H×W float32)."""
    root = tmp_path_factory.mktemp("soft_clip")
    alphas = []
    for i in range(FRAMES):
        frame, prob, mask = (cv2.resize(a, (W, H), interpolation=cv2.INTER_AREA) for a in davis_frame(davis_root, i))
        cv2.imwrite(str(root / f"{i:05d}.png"), frame[..., ::-1])
        alpha = refine_alpha(frame, prob, np.where(mask >= 128, 255, 0).astype(np.uint8), get_refine("soft"), 0.7)[0]
        alphas.append(alpha)
    assert np.mean([((a > 0) & (a < 1)).mean() for a in alphas]) > 0.01, "the alphas have soft edges"
    return root, np.stack(alphas)


def read_back(path, pix_fmt: str, vf: str | None = None) -> np.ndarray:
    """All frames of ``path`` as N×H×W float in 0..1, as ffmpeg decodes them (16-bit grey)."""
    out = subprocess.run([find_ffmpeg(), "-v", "error", "-i", str(path), *(["-vf", vf] if vf else []),
                          "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint16).reshape(-1, H, W) / 65535.0


@pytest.mark.parametrize("depth", [8, 16])
def test_png_sequence_round_trips_soft_alpha(tmp_path, clip, depth):
    _, alphas = clip
    with PngSequenceWriter(tmp_path / "mattes", depth) as writer:
        for i, alpha in enumerate(alphas):
            writer.write(i, alpha)
    read = np.stack([cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted((tmp_path / "mattes").glob("*.png"))])
    assert read.dtype == (np.uint8 if depth == 8 else np.uint16)
    np.testing.assert_array_equal(read, np.stack([quantize(a, depth) for a in alphas]))
    assert np.abs(read / (2.0**depth - 1) - alphas).max() <= 0.5 / (2**depth - 1) + 1e-6


@pytest.mark.parametrize("kind, name, bits", [
    ("alpha", "alpha.mov", 10),   # ProRes 4444
    ("alpha", "alpha.mkv", 10),   # FFV1 yuva444p10le
    ("matte", "matte.mkv", 8),    # FFV1 grey (8 bits: index maps of object ids share it)
    ("alpha", "alpha_png", 8),    # RGBA PNG sequence
])
def test_ffmpeg_outputs_carry_soft_alpha(tmp_path, clip, kind, name, bits):
    root, alphas = clip
    media = open_input(str(root))
    info = probe(media)
    path = tmp_path / name
    with FfmpegSink(resolve(kind, str(path)), path, media, info) as sink:
        for alpha in alphas:
            sink.write(alpha)
    target = path / "%05d.png" if path.is_dir() else path
    read = read_back(target, "gray16le", "alphaextract" if kind == "alpha" else None)
    assert read.shape == alphas.shape
    # Each format keeps ``bits`` of alpha: within 1.5 levels of what was written (half a level of
    # rounding, plus swscale's 16 → 10 bit conversion, which does not round to nearest).
    assert np.abs(read - alphas).max() <= 1.5 / (2**bits - 1)
    soft = (alphas > 0.05) & (alphas < 0.95)
    assert np.abs(read - alphas)[soft].mean() < 0.5 / (2**min(bits, 8) - 1)


def test_binary_mattes_still_come_out_exactly(tmp_path, clip):
    """The 16-bit pipe to ffmpeg leaves today's 8-bit mattes untouched."""
    root, alphas = clip
    media = open_input(str(root))
    mattes = [np.where(a > 0.5, 255, 0).astype(np.uint8) for a in alphas]
    path = tmp_path / "alpha.mkv"
    with FfmpegSink(resolve("alpha", str(path)), path, media, probe(media)) as sink:
        for matte in mattes:
            sink.write(matte)
    np.testing.assert_array_equal(read_back(path, "gray16le", "alphaextract") * 255, np.stack(mattes))


def test_command_line_refine_options_build_the_settings():
    parser = argparse.ArgumentParser()
    add_refine_options(parser)

    def settings(*argv: str):
        name, overrides = refine_from(parser.parse_args(argv))
        return get_refine(name).with_overrides(**overrides)

    assert settings() == get_refine("hard")
    assert settings("--edge", "soft") == get_refine("soft")
    assert settings("--feather", "2", "--reduce-chatter", "0.5", "--shift-edge", "-1") == get_refine("soft").with_overrides(
        feather=2.0, chatter=0.5, shift_edge=-1.0)


def test_deep_alpha_from_a_source_with_a_pixel_aspect(tmp_path, clip):
    """A source whose pixels are not square (DV/anamorphic: SAR 64:45) still gets 10-bit alpha, and
    the output keeps its pixel aspect: the mattes are tagged with the probed SAR before merging."""
    root, alphas = clip
    source = tmp_path / "anamorphic.mkv"
    subprocess.run([find_ffmpeg(), "-v", "error", "-framerate", "25", "-i", str(root / "%05d.png"),
                    "-vf", "setsar=64/45", "-c:v", "ffv1", str(source)], check=True)
    media = open_input(str(source))
    info = probe(media)
    assert info.sar == Fraction(64, 45)
    path = tmp_path / "alpha.mov"
    with FfmpegSink(resolve("alpha", str(path)), path, media, info) as sink:
        for alpha in alphas:
            sink.write(alpha)
    assert np.abs(read_back(path, "gray16le", "alphaextract") - alphas).max() <= 1.5 / 1023
    listing = subprocess.run([find_ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True,
                             check=False).stderr  # no output file: ffmpeg lists the input and exits 1
    assert "SAR 64:45" in listing


def test_sample_aspect_is_read_for_upright_frames():
    from vos_core.media.ffmpeg_input import sample_aspect

    line = "  Stream #0:0: Video: h264 (High), yuv420p, 720x576 [SAR 16:15 DAR 4:3], 25 fps, 25 tbr"
    assert sample_aspect(line, 0) == Fraction(16, 15)
    assert sample_aspect(line, 90) == Fraction(15, 16)  # a quarter turn swaps the pixel's sides
    assert sample_aspect(line.replace("[SAR 16:15 DAR 4:3]", "[SAR 0:1 DAR 0:1]"), 0) is None
    assert sample_aspect(line.replace(" [SAR 16:15 DAR 4:3]", ""), 0) is None
