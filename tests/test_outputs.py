"""Committing finished outputs: replacing older results, and recovering from an interrupted commit."""

from __future__ import annotations

import shutil
from fractions import Fraction

import numpy as np
import pytest

from hosts.ffmpeg.formats import resolve
from hosts.ffmpeg.sinks import FfmpegSink
from plugin.outputs import PngSequenceWriter
from vos_core import VosError, read_mask
from vos_core.media import MediaInput, VideoInfo

MATTES = [np.pad(np.full((8, 8), 255, np.uint8), ((4 + i, 12 - i), (8, 16))) for i in range(3)]  # 24×32


def leftover(folder, with_result: bool) -> None:
    """What an interrupted commit leaves: ``.NAME.old`` holding the older result, NAME present or not."""
    old = folder.with_name(f".{folder.name}.old")
    old.mkdir(parents=True)
    (old / "00000.png").write_bytes(b"older result")
    if with_result:
        folder.mkdir()
        (folder / "00000.png").write_bytes(b"result of the interrupted commit")


def assert_committed(folder) -> None:
    assert sorted(p.name for p in folder.iterdir()) == [f"{i:05d}.png" for i in range(3)]
    for i, matte in enumerate(MATTES):
        np.testing.assert_array_equal(read_mask(folder / f"{i:05d}.png"), matte)
    assert [p.name for p in folder.parent.iterdir()] == [folder.name], "hidden leftovers remain"


@pytest.mark.parametrize("with_result", [True, False])
def test_png_writer_commits_after_an_interrupted_commit(tmp_path, with_result):
    folder = tmp_path / "mattes"
    leftover(folder, with_result)
    with PngSequenceWriter(folder) as writer:
        for i, matte in enumerate(MATTES):
            writer.write(i, matte)
    assert_committed(folder)


@pytest.mark.parametrize("with_result", [True, False])
def test_ffmpeg_sink_commits_after_an_interrupted_commit(tmp_path, with_result):
    folder = tmp_path / "mattes"
    leftover(folder, with_result)
    info = VideoInfo(32, 24, len(MATTES), Fraction(1, 25), Fraction(25))
    with FfmpegSink(resolve("matte", str(folder)), folder, MediaInput("unused.mp4"), info) as sink:
        for matte in MATTES:
            sink.write(matte)
    assert_committed(folder)


def test_a_leftover_that_cannot_be_removed_is_named(tmp_path, monkeypatch):
    folder = tmp_path / "mattes"
    leftover(folder, True)

    rmtree = shutil.rmtree

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".old"):
            raise PermissionError(13, "Permission denied", str(path))
        rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", refuse)
    writer = PngSequenceWriter(folder)
    with pytest.raises(VosError, match=rf"{tmp_path / '.mattes.old'} is left over from an interrupted run .* "
                                       "delete it, then run again"), writer:
        writer.write(0, MATTES[0])
    assert (folder / "00000.png").read_bytes() == b"result of the interrupted commit"
