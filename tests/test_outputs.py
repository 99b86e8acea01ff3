"""Committing finished outputs: replacing older results (only ours), and recovering from an interrupted commit."""

from __future__ import annotations

import shutil
from fractions import Fraction

import numpy as np
import pytest

from hosts.ffmpeg.formats import resolve
from hosts.ffmpeg.sinks import FfmpegSink
from plugin.outputs import MARKER, PngSequenceWriter
from vos_core import VosError, read_mask
from vos_core.media.ffmpeg_input import MediaInput, VideoInfo

MATTES = [np.pad(np.full((8, 8), 255, np.uint8), ((4 + i, 12 - i), (8, 16))) for i in range(3)]  # 24×32


def leftover(folder, with_result: bool) -> None:
    """What an interrupted commit leaves: ``.NAME.old`` holding the older result, NAME present or not."""
    old = folder.with_name(f".{folder.name}.old")
    old.mkdir(parents=True)
    (old / "00000.png").write_bytes(b"older result")
    if with_result:
        folder.mkdir()
        (folder / MARKER).touch()
        (folder / "00000.png").write_bytes(b"result of the interrupted commit")


def assert_committed(folder) -> None:
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, *(f"{i:05d}.png" for i in range(3))]
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


def ffmpeg_sink(folder) -> FfmpegSink:
    info = VideoInfo(32, 24, len(MATTES), Fraction(1, 25), Fraction(25))
    return FfmpegSink(resolve("matte", str(folder)), folder, MediaInput("unused.mp4"), info)


@pytest.mark.parametrize("with_result", [True, False])
def test_ffmpeg_sink_commits_after_an_interrupted_commit(tmp_path, with_result):
    folder = tmp_path / "mattes"
    leftover(folder, with_result)
    with ffmpeg_sink(folder) as sink:
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


def users_folder(folder, content: str) -> dict[str, bytes]:
    """A folder the user gave as the output that is not a result of ours; returns what it holds."""
    folder.mkdir()
    if content == "notes":
        (folder / "important.txt").write_text("keep me")
        (folder / "sub").mkdir()
        (folder / "sub" / "00000.png").write_bytes(b"the user's")
    else:  # the user's own PNG sequence, named as ours are, but with no marker
        for i in range(3):
            (folder / f"{i:05d}.png").write_bytes(b"the user's frame")
    return held(folder)


def held(folder) -> dict[str, bytes]:
    """Every path under ``folder`` with its bytes (empty for folders)."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"" for p in folder.rglob("*")}


@pytest.mark.parametrize("content", ["notes", "frames without the marker"])
@pytest.mark.parametrize("writer", ["png", "ffmpeg"])
def test_a_folder_that_is_not_our_result_is_refused_and_kept(tmp_path, writer, content):
    """Refused when the writer opens, before any segmenting."""
    folder = tmp_path / "victim"
    before = users_folder(folder, content)
    make = PngSequenceWriter if writer == "png" else ffmpeg_sink
    with pytest.raises(VosError, match=rf"^{folder} (holds important.txt, which vos-matte did not write|has no "
                                       rf"{MARKER} marker).*: empty it or choose another output folder$"), make(folder):
        pass
    assert held(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["victim"], "hidden leftovers remain"


def test_a_file_where_the_folder_goes_is_refused_and_kept(tmp_path):
    path = tmp_path / "victim"
    path.write_text("keep me")
    with pytest.raises(VosError, match="exists and is not a folder of mattes"), PngSequenceWriter(path):
        pass
    assert path.read_text() == "keep me"


def test_a_file_added_to_our_result_during_the_run_stops_the_commit(tmp_path):
    """The check runs again at the swap: what the user put in meanwhile is not deleted either."""
    folder = tmp_path / "mattes"
    with PngSequenceWriter(folder) as writer:
        writer.write(0, MATTES[0])
    with pytest.raises(VosError, match="holds notes.txt"), PngSequenceWriter(folder) as writer:
        writer.write(0, MATTES[1])
        (folder / "notes.txt").write_text("keep me")
    assert (folder / "notes.txt").read_text() == "keep me"
    np.testing.assert_array_equal(read_mask(folder / "00000.png"), MATTES[0])
    assert [p.name for p in tmp_path.iterdir()] == ["mattes"], "the partial folder remains"
