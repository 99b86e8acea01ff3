"""Scaling of ``vos-matte batch``: the same 8-shot batch on the local engine and on Ray.

Eight DAVIS-2016 dev clips, their first ``--frames`` frames at half size (427×240), annotated on
frame 0, ``fast`` preset with ``--iters`` fine-tuning steps and ``--infer-height`` lines. The real
CLI runs the batch (``--progress json``) four times, each into fresh output folders, with 1 torch
thread per shot:
- ``local``: the default engine, shots one after another in one process;
- ``ray_1_worker`` / ``ray_2_workers``: a private local Ray cluster, ``--tasks-per-node`` 1 or 2;
- ``ray_two_nodes``: two Ray nodes on this machine (``ray start --head --num-cpus 1`` and
  ``ray start --address … --num-cpus 1``), the batch sent with ``--address``; the node and worker
  process of every shot are recorded to show the shots spread over both.
Per run: wall time (process start to exit, Ray start-up included), shots/hour, overhead per shot
against the local engine (``(wall - local wall) / shots``; negative when the run is faster), each
shot's node, worker pid and own seconds. Every process starts with OMP_NUM_THREADS=1 (see RAY_ENV).
Writes benchmarks/results/batch_scale.json.

    .venv/bin/python benchmarks/batch_scale.py [--frames 12] [--iters 20] [--infer-height 160]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import cv2

from vos_core import read_image, read_mask
from vos_core.media.masks import resize_mask

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
RAY = Path(sys.executable).with_name("ray")
SIZE = (427, 240)
SHOTS = 8
PORT = 6397
# Ray 2.60 turns token authentication on for `ray start --head`; every process then needs it.
# OMP_NUM_THREADS=1 from process start for every run, as Ray gives its workers (equal footing).
RAY_ENV = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0", "OMP_NUM_THREADS": "1"}


def write_shots(root: Path, frames: int) -> list[dict]:
    """The first ``frames`` frames of the first SHOTS dev clips at SIZE, and frame 0's mask; their jobs."""
    jobs = []
    for seq in (DAVIS / "ImageSets/dev.txt").read_text().split()[:SHOTS]:
        folder = root / "clips" / seq
        folder.mkdir(parents=True)
        for i in range(frames):
            frame = read_image(DAVIS / f"JPEGImages/480p/{seq}/{i:05d}.jpg")
            cv2.imwrite(str(folder / f"{i:05d}.jpg"), cv2.resize(frame, SIZE, interpolation=cv2.INTER_AREA)[..., ::-1])
        mask = resize_mask(read_mask(DAVIS / f"Annotations/480p/{seq}/00000.png"), *SIZE)
        cv2.imwrite(str(folder.with_suffix(".png")), mask)
        jobs.append({"input": str(folder / "%05d.jpg"), "mask": str(folder.with_suffix(".png")), "matte": seq})
    return jobs


def run_batch(root: Path, name: str, jobs: list[dict], args: argparse.Namespace, *engine: str) -> dict:
    """One batch through the CLI into ``root/name/``: wall time, shots/hour and each shot's record."""
    out = root / name
    out.mkdir()
    jobs_file = root / f"{name}.json"
    jobs_file.write_text(json.dumps([{**job, "matte": str(out / job["matte"])} for job in jobs]))
    cli = [sys.executable, "-m", "hosts.ffmpeg.cli", "--progress", "json", "batch", str(jobs_file), "--preset", "fast",
           "--iters", str(args.iters), "--infer-height", str(args.infer_height), "--threads", "1", *engine]
    started = time.perf_counter()
    # A fresh fit cache per run: else later runs reuse the networks the first one fine-tuned.
    env = {**RAY_ENV, "VOS_CACHE_DIR": str(root / f"fits-{name}")}
    run = subprocess.run(cli, check=False, cwd=REPO, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    events = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    if run.returncode != 0:
        raise SystemExit(f"{name} failed ({run.returncode}): {run.stderr[-3000:]}")
    done = [e for e in events if e["event"] == "done"]
    shots = [{"shot": e.get("shot", n), "clip": Path(e["output"]).name, "seconds": round(e["seconds"], 2),
              "node": e.get("node"), "pid": e.get("pid")} for n, e in enumerate(done, 1)]
    return {"engine": " ".join(engine), "wall_s": round(wall, 1), "shots_done": len(done),
            "shots_per_hour": round(len(done) / wall * 3600, 1), "shots": sorted(shots, key=lambda s: s["shot"])}


@contextmanager
def two_nodes():
    """A head and a second node on this machine, 1 CPU each, stopped (by their own pids) afterwards."""
    common = ["--num-cpus", "1", "--block", "--disable-usage-stats"]
    head = subprocess.Popen([RAY, "start", "--head", "--port", str(PORT), "--include-dashboard=false", *common],
                            env=RAY_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nodes = [head]
    try:
        time.sleep(10)
        nodes.append(subprocess.Popen([RAY, "start", "--address", f"127.0.0.1:{PORT}", *common],
                                      env=RAY_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(10)
        yield f"127.0.0.1:{PORT}"
    finally:
        for node in reversed(nodes):  # --block: a terminated `ray start` stops its node's processes
            node.terminate()
            node.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--infer-height", type=int, default=160)
    parser.add_argument("--out", default=str(REPO / "benchmarks/results/batch_scale.json"))
    args = parser.parse_args()
    load_before = os.getloadavg()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        jobs = write_shots(root, args.frames)
        runs = {"local": run_batch(root, "local", jobs, args, "--engine", "local")}
        runs["ray_1_worker"] = run_batch(root, "ray1", jobs, args, "--engine", "ray", "--tasks-per-node", "1")
        runs["ray_2_workers"] = run_batch(root, "ray2", jobs, args, "--engine", "ray", "--tasks-per-node", "2")
        with two_nodes() as address:
            runs["ray_two_nodes"] = run_batch(root, "nodes", jobs, args, "--engine", "ray", "--address", address)
    local = runs["local"]["wall_s"]
    for run in runs.values():
        run["overhead_per_shot_s"] = round((run["wall_s"] - local) / SHOTS, 2)
        run["speedup_vs_local"] = round(local / run["wall_s"], 2)
        run["shots_per_worker_process"] = dict(Counter(str(s["pid"]) for s in run["shots"] if s["pid"]))
    runs["ray_two_nodes"]["shots_per_node"] = dict(Counter(s["node"] for s in runs["ray_two_nodes"]["shots"]))
    result = {
        "benchmark": "batch_scale",
        "command": "benchmarks/batch_scale.py " + " ".join(sys.argv[1:]),
        "shots": SHOTS, "frames_per_shot": args.frames, "frame_size": list(SIZE), "preset": "fast",
        "settings": {"finetune_iters": args.iters, "infer_height": args.infer_height}, "threads_per_shot": 1,
        "clips": [Path(job["matte"]).name for job in jobs],
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "shared": True, "loadavg_1m_before": round(load_before[0], 2),
                    "loadavg_1m_after": round(os.getloadavg()[0], 2),
                    "note": "2 cores shared with other engineers' jobs: timings are noisy, run once"},
        "runs": runs,
        "total_s": round(time.perf_counter() - started, 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: {m: v[m] for m in ("wall_s", "shots_per_hour", "overhead_per_shot_s")}
                      for k, v in runs.items()}, indent=2))


if __name__ == "__main__":
    main()
