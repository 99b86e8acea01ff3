"""The output formats on offer, keyed by what is written (matte, alpha, composite) and file suffix.

A path with no suffix is a folder that receives a PNG sequence (``00000.png``...).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

KINDS = ("matte", "alpha", "composite")
COPY_AUDIO = {"c:a": "copy"}


class UsageError(ValueError):
    """The command line asks for something we do not offer (exit status 2).

    Not a VosError so that this module, needed for ``--help``, does not import the core (torch).
    """


@dataclass(frozen=True)
class OutputFormat:
    """One way of writing a result: ffmpeg muxer, video encoder options and audio handling.

    ``audio`` is None where the container takes no audio (image sequences).
    """

    kind: str
    suffix: str
    label: str
    muxer: str
    video: dict[str, str]
    audio: dict[str, str] | None = field(default_factory=lambda: dict(COPY_AUDIO))

    @property
    def is_sequence(self) -> bool:
        return self.suffix == ""


_PRORES_HQ = {"c:v": "prores_ks", "profile:v": "3", "pix_fmt": "yuv422p10le"}
_PNG = {"c:v": "png"}

FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat("matte", ".mkv", "grey matte, FFV1 (lossless)", "matroska", {"c:v": "ffv1", "pix_fmt": "gray"}),
    OutputFormat("matte", ".mov", "grey matte, ProRes 422 HQ", "mov", _PRORES_HQ),
    OutputFormat("matte", "", "8-bit grey PNG sequence (folder)", "image2", {**_PNG, "pix_fmt": "gray"}, None),
    OutputFormat("alpha", ".mov", "RGB + 10-bit alpha, ProRes 4444", "mov",
                 {"c:v": "prores_ks", "profile:v": "4", "pix_fmt": "yuva444p10le"}),
    OutputFormat("alpha", ".webm", "RGB + alpha, VP9 (lossy)", "webm",
                 {"c:v": "libvpx-vp9", "pix_fmt": "yuva420p", "crf": "30", "b:v": "0", "row-mt": "1"},
                 {"c:a": "libopus"}),
    OutputFormat("alpha", ".mkv", "RGB + 10-bit alpha, FFV1 (lossless)", "matroska",
                 {"c:v": "ffv1", "pix_fmt": "yuva444p10le"}),
    OutputFormat("alpha", "", "RGBA PNG sequence (folder)", "image2", {**_PNG, "pix_fmt": "rgba"}, None),
    OutputFormat("composite", ".mp4", "composite, H.264", "mp4",
                 {"c:v": "libx264", "pix_fmt": "yuv420p", "crf": "18", "preset": "medium"}),
    OutputFormat("composite", ".mov", "composite, ProRes 422 HQ", "mov", _PRORES_HQ),
    OutputFormat("composite", ".mkv", "composite, FFV1 (lossless)", "matroska", {"c:v": "ffv1", "pix_fmt": "yuv444p"}),
    OutputFormat("composite", "", "RGB PNG sequence (folder)", "image2", {**_PNG, "pix_fmt": "rgb24"}, None),
)


def choices(kind: str) -> str:
    """The suffixes on offer for ``kind``, for help texts and error messages."""
    return ", ".join(f"{f.suffix or 'a folder'} ({f.label})" for f in FORMATS if f.kind == kind)


#: Grey formats that can hold 16-bit mattes (``--matte-depth 16``): PNG (big-endian, as PNG
#: stores it) and FFV1. ProRes already keeps 10 bits in luma.
_DEEP_GREY = {"": "gray16be", ".mkv": "gray16le"}


def resolve(kind: str, path: str, depth: int = 8) -> OutputFormat:
    """The format for writing ``kind`` to ``path`` (by suffix), or UsageError naming the options.

    ``depth`` 16 asks grey mattes for 16 bits where the format has them (PNG folders, FFV1).
    """
    suffix = Path(path).suffix.lower()
    for fmt in FORMATS:
        if fmt.kind == kind and fmt.suffix == suffix:
            if depth == 16 and kind == "matte" and suffix in _DEEP_GREY:
                label = fmt.label.replace("8-bit", "16-bit") if "8-bit" in fmt.label else f"16-bit {fmt.label}"
                return replace(fmt, label=label, video={**fmt.video, "pix_fmt": _DEEP_GREY[suffix]})
            return fmt
    raise UsageError(f"unknown output format {suffix!r} for --{kind} {path}; use {choices(kind)}")
