"""The JSON-lines worker, driven the way hosts drive it (plugin.client)."""

import json
import sys
from pathlib import Path

import pytest
from small_clip import write_small_clip

from plugin.client import WorkerProcess, run_blocking
from vos_core import read_mask


@pytest.fixture(scope="module")
def clip(tmp_path_factory, davis_root):
    """Six blackswan frames at 1/4 size as an image folder, and the first-frame mask."""
    return write_small_clip(tmp_path_factory.mktemp("clip"), davis_root)


def write_job(path, clip, output, iters, weights):
    job = {"input": str(clip / "frames"), "mask": str(clip / "mask.png"), "output": str(output),
           "settings": {"finetune_iters": iters, "infer_height": 120}, "weights": str(weights)}
    path.write_text(json.dumps(job))
    return str(path)


@pytest.mark.slow
def test_worker_reports_progress_and_writes_mattes(clip, parent_weights, tmp_path):
    out = tmp_path / "mattes"
    code, events = run_blocking(sys.executable, write_job(tmp_path / "job.json", clip, out, 3, parent_weights))
    kinds = [e["event"] for e in events]
    assert code == 0, events
    assert kinds[0] == "started" and kinds[-1] == "done"
    assert events[0]["device"].startswith("cpu") and events[0]["frames"] == 6
    segment = [e for e in events if e["event"] == "progress" and e["stage"] == "segment"]
    assert [e["done"] for e in segment] == list(range(1, 7)) and segment[-1]["total"] == 6
    assert segment[-1]["eta_s"] == 0
    assert sorted(p.name for p in out.glob("*.png")) == [f"{i:05d}.png" for i in range(6)]
    assert read_mask(out / "00003.png").shape == (120, 214)


def test_worker_error_is_one_readable_event(clip, parent_weights, tmp_path):
    job = json.loads(Path(write_job(tmp_path / "job.json", clip, tmp_path / "o", 3, parent_weights)).read_text())
    job["mask"] = str(tmp_path / "no_such_mask.png")
    (tmp_path / "bad.json").write_text(json.dumps(job))
    code, events = run_blocking(sys.executable, str(tmp_path / "bad.json"))
    assert code == 1
    assert events[-1]["event"] == "error" and "mask file not found" in events[-1]["message"]
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_cancel_leaves_no_output(clip, parent_weights, tmp_path):
    out = tmp_path / "mattes"
    worker = WorkerProcess(sys.executable, write_job(tmp_path / "job.json", clip, out, 1000, parent_weights))
    event = {}
    while event.get("event") != "progress":
        event = worker.next_event(timeout=120)
        assert event is not None and event["event"] != "error", worker.stderr_tail
    worker.cancel()
    assert worker.wait(timeout=60) == 143
    assert worker.drain()[-1]["event"] == "cancelled"
    assert not out.exists()
    assert not any(tmp_path.glob(".mattes*"))
