"""``vos-matte batch --engine ray`` on a private local Ray cluster, with small real DAVIS clips.

Each run starts its own cluster (a few seconds); shots are six 214×120 blackswan frames
(tests/small_clip.py) at 64 lines with the detector off. Only the engine-equivalence test
fine-tunes (slow); the others use 0 iterations (the parent network as is). Ray is in the [dev]
extra, so CI runs these: a missing Ray fails them rather than skipping.
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from small_clip import write_small_clip

from hosts.ffmpeg import cli
from hosts.ffmpeg.formats import UsageError, resolve
from hosts.ffmpeg.ray_batch import _Shot, absolute_job, check_distinct_outputs, note_done, remove_partials
from hosts.ffmpeg.sinks import FfmpegSink
from plugin.batch_manifest import MANIFEST_NAME, up_to_date
from plugin.jobs import Job, MaskRef
from vos_core import read_mask
from vos_core.media.ffmpeg_input import MediaInput, VideoInfo

REPO = Path(__file__).resolve().parents[1]
TINY = ["--infer-height", "64", "--detector", "none", "--threads", "1", "--tasks-per-node", "2"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory, davis_root) -> list[Path]:
    """Three small clips, each annotated on another frame (so their outputs differ)."""
    root = tmp_path_factory.mktemp("ray-clips")
    return [write_small_clip(root / f"clip{i}", davis_root, mask_frame=i) for i in range(3)]


def jobs_file(path: Path, clips: list[Path], out: Path, **overrides) -> Path:
    """A JSON jobs file: one shot per clip writing a PNG-folder matte ``out/shotN``; ``overrides``
    maps a shot index to extra job fields."""
    jobs = [{"input": str(clip / "frames/%05d.jpg"), "mask": str(clip / "mask.png"), "mask_frame": n,
             "matte": str(out / f"shot{n}"), **overrides.get(f"shot{n}", {})} for n, clip in enumerate(clips)]
    path.write_text(json.dumps(jobs))
    return path


def run_batch(jobs: Path, capsys, *options: str) -> tuple[int, list[dict]]:
    """The CLI in this process, ``--progress json``: exit status and the events it printed."""
    code = cli.main(["--progress", "json", "batch", str(jobs), *TINY, *options])
    lines = capsys.readouterr().err.splitlines()
    return code, [json.loads(line) for line in lines if line.startswith("{")]


def mattes(folder: Path) -> list[np.ndarray]:
    return [read_mask(png) for png in sorted(folder.glob("*.png"))]


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".partial" in p.name or p.name.startswith(f".{MANIFEST_NAME}.")]


def test_failing_shot_is_retried_then_reported_while_the_others_finish(tmp_path, clips, capsys, restore_signals):
    out = tmp_path / "out"
    jobs = jobs_file(tmp_path / "jobs.json", clips, out, shot1={"mask": str(tmp_path / "no-such-mask.png")})

    code, events = run_batch(jobs, capsys, "--engine", "ray", "--iters", "0", "--retries", "2")

    assert code == 1
    done = {e["shot"] for e in events if e["event"] == "done"}
    assert done == {1, 3}
    for n in (0, 2):
        frames = mattes(out / f"shot{n}")
        assert len(frames) == 6 and all(f.shape == (120, 214) for f in frames)
        assert all(0 < (f > 0).mean() < 0.5 for f in frames)  # the swan, not empty nor everything
    retries = [e for e in events if e["event"] == "retry"]
    assert [(e["shot"], e["attempt"]) for e in retries] == [(2, 1), (2, 2)]
    (error,) = [e for e in events if e["event"] == "error"]
    assert error["shot"] == 2 and error["attempt"] == 3 and "no-such-mask.png" in error["message"]
    assert not (out / "shot1").exists()
    # per-shot progress carries the shot id; the batch's own progress reaches 3 of 3
    assert {e["shot"] for e in events if e["event"] == "progress" and "shot" in e} >= {1, 3}
    batch = [e for e in events if e["event"] == "progress" and e["stage"] == "shots"]
    assert batch[-1]["done"] == batch[-1]["total"] == 3
    assert not leftovers(out)


def test_rerun_skips_done_shots_and_runs_changed_ones(tmp_path, clips, capsys, restore_signals):
    out = tmp_path / "out"
    jobs = jobs_file(tmp_path / "jobs.json", clips[:2], out)
    code, events = run_batch(jobs, capsys, "--engine", "ray", "--iters", "0")
    assert code == 0 and {e["shot"] for e in events if e["event"] == "done"} == {1, 2}
    written = {n: (out / f"shot{n}" / "00000.png").stat().st_mtime_ns for n in (0, 1)}

    code, events = run_batch(jobs, capsys, "--engine", "ray", "--iters", "0")
    assert code == 0
    assert {e["shot"] for e in events if e["event"] == "skipped"} == {1, 2}
    assert not [e for e in events if e["event"] in ("clip", "done")]

    # A changed setting, then a removed output, each re-run only that shot.
    jobs_file(jobs, clips[:2], out, shot1={"settings": {"threshold": 0.6}})
    code, events = run_batch(jobs, capsys, "--engine", "ray", "--iters", "0")
    assert code == 0
    assert [e["shot"] for e in events if e["event"] == "done"] == [2]
    assert [e["shot"] for e in events if e["event"] == "skipped"] == [1]
    (out / "shot0" / "00003.png").unlink()
    code, events = run_batch(jobs, capsys, "--engine", "ray", "--iters", "0")
    assert [e["shot"] for e in events if e["event"] == "done"] == [1]
    assert (out / "shot0" / "00000.png").stat().st_mtime_ns != written[0]
    assert (out / "shot1" / "00000.png").stat().st_mtime_ns != written[1]  # the threshold run rewrote it
    assert len(mattes(out / "shot0")) == 6


@pytest.mark.slow
def test_ray_outputs_equal_the_local_engines(tmp_path, clips, capsys, restore_signals, monkeypatch):
    import cv2
    import torch

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # so it is restored after: --threads sets it

    threads = torch.get_num_threads(), cv2.getNumThreads()
    runs = {}
    try:
        for engine in ("local", "ray"):
            monkeypatch.setenv("VOS_CACHE_DIR", str(tmp_path / f"fits-{engine}"))  # each engine fine-tunes
            jobs = jobs_file(tmp_path / f"{engine}.json", clips[:2], tmp_path / engine)
            code, events = run_batch(jobs, capsys, "--engine", engine, "--iters", "10")
            assert code == 0, events
            runs[engine] = [mattes(tmp_path / engine / f"shot{n}") for n in (0, 1)]
    finally:
        torch.set_num_threads(threads[0])  # --threads 1 of the local engine set them for this process
        cv2.setNumThreads(threads[1])
    for local, ray in zip(runs["local"], runs["ray"]):
        assert len(local) == len(ray) == 6
        for a, b in zip(local, ray):
            np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(*runs["ray"]))  # the two shots differ


def test_ctrl_c_cancels_every_shot_and_leaves_nothing_partial(tmp_path, clips):
    out = tmp_path / "out"
    jobs = [{"input": str(clip / "frames/%05d.jpg"), "mask": str(clip / "mask.png"), "mask_frame": n,
             "matte": str(out / f"shot{n}.mkv"), "alpha": str(out / f"alpha{n}")} for n, clip in enumerate(clips)]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    # Many iterations: the shots are still fine-tuning, their partial outputs open, when Ctrl-C comes.
    proc = subprocess.Popen(
        [sys.executable, "-m", "hosts.ffmpeg.cli", "--progress", "json", "batch", str(tmp_path / "jobs.json"),
         *TINY, "--engine", "ray", "--iters", "5000"],
        cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    running = set()
    deadline = time.monotonic() + 240
    for line in proc.stderr:
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("event") == "progress" and event.get("stage") == "finetune":
            running.add(event["shot"])
        if len(running) == 2 or time.monotonic() > deadline:
            break
    assert len(running) == 2, "two shots should be fine-tuning at once (--tasks-per-node 2)"
    assert list(out.glob(".*.partial*"))  # what the cancel must remove
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]

    assert proc.returncode == 130, rest
    assert '"event":"cancelled"' in rest
    assert list(out.iterdir()) == []  # no output, no partial, no manifest
    # the private cluster went down with the driver: nothing is left in its session
    time.sleep(2)
    left = subprocess.run(["ps", "-o", "pid=,args=", "-s", str(proc.pid)], check=False, capture_output=True,
                          text=True).stdout
    assert left.strip() == "", left


def test_default_engine_and_plugin_do_not_import_ray():
    code = ("import sys, hosts.ffmpeg.cli, hosts.ffmpeg.batch, plugin.pipeline, plugin.worker, plugin.jobs; "
            "hosts.ffmpeg.cli.build_parser(); sys.exit('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False, cwd=REPO).returncode == 0


def test_jobs_made_absolute_keep_scribbles_and_a_background_clip(tmp_path):
    """Scribble keyframes were dropped (the mask became the driver's folder) and a clip background
    stayed relative, so a worker elsewhere composited over nothing."""
    (tmp_path / "backdrop.mp4").write_bytes(b"")
    job = Job.from_dict({"input": "clip.mp4", "background": "backdrop.mp4",
                         "objects": [{"id": 1, "keyframes": [{"frame": 3, "scribbles": ["fg.png", "bg.png"]},
                                                             {"frame": 0, "mask": "m.png"}]}],
                         "outputs": [{"kind": "composite", "path": "out/c.mp4"}]})
    made = absolute_job(job, tmp_path)
    assert made.objects[0].keyframes == (MaskRef(3, "", (str(tmp_path / "fg.png"), str(tmp_path / "bg.png"))),
                                         MaskRef(0, str(tmp_path / "m.png")))
    assert made.background == str(tmp_path / "backdrop.mp4")
    assert absolute_job(replace(job, background="green"), tmp_path).background == "green"


def test_two_shots_writing_one_output_are_refused_before_any_runs(tmp_path):
    jobs = [absolute_job(Job.from_dict({"input": f"c{n}.mp4", "mask": "m.png", "output": out}), tmp_path)
            for n, out in enumerate(["a/m.mkv", "b/m.mkv", "a/./m.mkv"], 1)]
    with pytest.raises(UsageError, match=rf"^shots 1 and 3 both write {tmp_path / 'a' / 'm.mkv'}: give each its own"):
        check_distinct_outputs(jobs)
    check_distinct_outputs(jobs[:2])


@pytest.mark.parametrize("entry", [[1], {"fingerprint": "d", "outputs": ["o.mkv"]}, {"fingerprint": "d", "outputs": 3}])
def test_a_malformed_manifest_entry_means_the_shot_runs_again(tmp_path, entry):
    """One such entry was an AttributeError that cancelled every shot."""
    job = Job.from_dict({"input": "c.mp4", "mask": "m.png", "output": str(tmp_path / "o.mkv")})
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"o.mkv": entry}))
    assert up_to_date(job, "d") is None


def test_a_manifest_that_cannot_be_written_is_a_notice_not_the_end_of_the_batch(tmp_path):
    job = Job.from_dict({"input": "c.mp4", "mask": "m.png", "output": str(tmp_path / "gone" / "o.mkv")})
    events = []
    note_done(_Shot(2, job, "d"), {"outputs": [job.outputs[0].path], "frames": 3}, lambda k, f: events.append((k, f)))
    assert [(k, f["shot"]) for k, f in events] == [("notice", 2)]
    assert events[0][1]["message"].startswith("shot 2 cannot be noted as done in the batch manifest beside ")


def test_a_cancel_sweeps_only_the_partial_outputs_of_its_own_shot(tmp_path):
    """The sweep took every ``.NAME.partial*``: those of another run writing the same name, and through
    ``{object}`` those of other outputs the pattern matched."""
    out = tmp_path / "out"
    job = Job.from_dict({"input": "c.mp4", "mask": "m.png", "matte": str(out / "{object}.mkv"),
                         "alpha": str(out / "alpha_{object}")})
    tag = "1-0a1b2c3d"  # shot 1 of run 0a1b2c3d
    info = VideoInfo(32, 24, 3, Fraction(1, 25), Fraction(25))
    # where shot 1's sinks write (what a killed task leaves): a video file and a PNG folder
    ours = [FfmpegSink(resolve(kind, str(path)), path, MediaInput("c.mp4"), info, tag=tag).partial
            for kind, path in (("matte", out / "1.mkv"), ("alpha", out / "alpha_1"))]
    out.mkdir()
    ours[0].touch()
    ours[1].mkdir()
    (ours[1] / "00000.png").touch()
    others = {".1.mkv.partial.mkv",  # vos-matte segment writing the same output now
              ".1.mkv.partial-1-99887766.mkv",  # shot 1 of another Ray run
              ".2.mkv.partial-12-0a1b2c3d.mkv",  # shot 12 of this run, another object's name
              ".alpha_2.partial-3-0a1b2c3d"}  # shot 3 of this run
    for name in others:
        (out / name).touch()

    remove_partials(job, tag)

    assert {p.name for p in out.iterdir()} == others


def listening_addresses(session: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The local addresses of the TCP sockets listening in processes of ``session`` (Linux /proc)."""
    inodes = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) == session:  # field 6: the session id
                inodes |= {os.readlink(fd) for fd in (stat.parent / "fd").iterdir()}
        except OSError:  # a process that ended meanwhile
            continue
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and f"socket:[{fields[9]}]" in inodes:  # 0A: LISTEN
                raw = bytes.fromhex(fields[1].split(":")[0])
                # /proc writes the address as 32-bit words in host (little-endian) order
                address = ipaddress.ip_address(b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)))
                addresses.append(getattr(address, "ipv4_mapped", None) or address)
    return addresses


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the listening sockets from Linux's /proc")
def test_the_private_cluster_listens_on_the_loopback_only():
    """It listened on every interface: anyone on the network could run code in it."""
    code = ("import json, sys; from hosts.ffmpeg.ray_batch import RayOptions, connect, import_ray; "
            "options = RayOptions(tasks_per_node=1); ray = import_ray(options); connect(ray, options); "
            "print(json.dumps([n['NodeManagerAddress'] for n in ray.nodes()]), flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        nodes = json.loads(proc.stdout.readline())
        listening = listening_addresses(proc.pid)
    finally:
        proc.communicate(timeout=120)  # end of stdin: the driver exits and its cluster stops
    assert nodes == ["127.0.0.1"]
    assert listening and all(address.is_loopback for address in listening), listening
