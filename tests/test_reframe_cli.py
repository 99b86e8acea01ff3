"""``vos-matte reframe`` on a real DAVIS clip with sound: the crop follows the object, audio is kept."""

import json

import numpy as np
import pytest
from matted_clip import SIZE, has_audio, write_matted_clip

from hosts.ffmpeg.cli import main
from vos_core.media.ffmpeg_input import decode, open_input, probe


@pytest.fixture(scope="module")
def clip(tmp_path_factory, davis_root):
    return write_matted_clip(tmp_path_factory.mktemp("reframe"), davis_root)


def test_reframe_to_9_16_crops_along_the_path_and_keeps_the_audio(clip, tmp_path, restore_signals):
    out, path = tmp_path / "vertical.mp4", tmp_path / "path.json"
    status = main(["--quiet", "reframe", str(clip["movie"]), "--mattes", str(clip["mattes"]), "--aspect", "9:16",
                   "-o", str(out), "--path", str(path)])
    assert status == 0
    info = probe(open_input(str(out)))
    assert (info.width, info.height, info.frames) == (134, 240, 20)
    assert has_audio(out)
    rows = json.loads(path.read_text())["frames"]
    assert len(rows) == 20 and all(0 <= r["x"] and r["x"] + r["w"] <= SIZE[0] for r in rows)
    source = list(decode(open_input(str(clip["movie"])), probe(open_input(str(clip["movie"])))))
    for row, frame in zip(rows, decode(open_input(str(out)), info)):
        expected = source[row["frame"]][row["y"]:row["y"] + row["h"], row["x"]:row["x"] + row["w"]]
        assert np.abs(frame.astype(int) - expected).mean() < 4  # the crop, through one more H.264 pass
        assert row["x"] <= row["object_cx"] < row["x"] + row["w"]


def test_reframe_path_only_as_csv_and_refuses_nothing_to_do(clip, tmp_path, capsys, restore_signals):
    csv = tmp_path / "path.csv"
    assert main(["--quiet", "reframe", str(clip["frames"]), "--mattes", str(clip["mattes"]), "--path", str(csv)]) == 0
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("frame,x,y,w,h") and len(lines) == 21
    assert main(["--quiet", "reframe", str(clip["frames"]), "--mattes", str(clip["mattes"])]) == 2
    assert "nothing to write" in capsys.readouterr().err


def test_reframe_refuses_mattes_of_another_clip(clip, tmp_path, davis_root, capsys, restore_signals):
    other = davis_root / "Annotations/480p/dog"  # full size, 60 frames
    assert main(["--quiet", "reframe", str(clip["frames"]), "--mattes", str(other), "--path", str(tmp_path / "p.json")]) == 1
    assert "do not match" in capsys.readouterr().err
