"""End-to-end throughput and peak memory of ``vos-matte segment`` at 480p, short clip vs 10× longer.

Encodes a DAVIS dev clip (854×480) to H.264, and the same clip looped ``--repeat`` times; runs
the real CLI on each (H.264 in, FFV1 matte + ProRes 4444 alpha out) and records wall time,
frames/s end to end (fine-tuning included) and while segmenting, and the peak RSS of the
vos-matte process tree's largest process (the Python process; ffmpeg children are smaller).
Flat memory means the long clip's peak RSS is close to the short one's.
Writes benchmarks/results/ffmpeg_throughput.json.

    .venv/bin/python benchmarks/ffmpeg_throughput.py [--weights FILE] [--preset fast] [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from vos_core.media.ffmpeg_process import find_ffmpeg

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"

# Runs argv in a fresh interpreter so RUSAGE_CHILDREN covers this one run only.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
run = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE, text=True)
print(json.dumps({"rc": run.returncode, "wall_s": time.perf_counter() - start, "stderr": run.stderr,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def encode(seq: str, out: Path, repeat: int) -> None:
    frames = DAVIS / "JPEGImages/480p" / seq
    subprocess.run(
        [find_ffmpeg(), "-v", "error", "-y", "-framerate", "25", "-pattern_type", "glob", "-i", str(frames / "*.jpg"),
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out.with_suffix(".once.mp4"))], check=True,
    )
    subprocess.run(
        [find_ffmpeg(), "-v", "error", "-y", "-stream_loop", str(repeat - 1), "-i", str(out.with_suffix(".once.mp4")),
         "-c", "copy", str(out)], check=True,
    )


def measure(clip: Path, mask: Path, out: Path, args: argparse.Namespace) -> dict:
    cli = [sys.executable, "-m", "hosts.ffmpeg.cli", "--progress", "json", "segment", str(clip), "--mask", str(mask),
           "-o", str(out / "matte.mkv"), "--alpha", str(out / "alpha.mov"), "--preset", args.preset]
    cli += ["--weights", args.weights] if args.weights else []
    result = json.loads(subprocess.run([sys.executable, "-c", _MEASURE, *cli], capture_output=True, text=True,
                                       check=True).stdout)
    if result["rc"] != 0:
        raise SystemExit(f"vos-matte failed on {clip}: {result['stderr'][-2000:]}")
    events = [json.loads(line) for line in result["stderr"].splitlines() if line.startswith("{")]
    segment = [e for e in events if e["event"] == "progress" and e["stage"] == "segment"][-1]
    finetune = [e for e in events if e["event"] == "progress" and e["stage"] == "finetune"]
    frames = segment["done"]
    return {
        "frames": frames,
        "wall_s": round(result["wall_s"], 1),
        "fps_end_to_end": round(frames / result["wall_s"], 3),
        "fps_segmenting": round(segment["fps"], 3),
        "finetune_s": round(finetune[-1]["elapsed_s"], 1) if finetune else 0.0,
        "peak_rss_mb": round(result["peak_rss_mb"], 1),
        "device": next(e["device"] for e in events if e["event"] == "started"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", help="weights file (default: the CLI's lookup)")
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--sequence", default="blackswan", help="DAVIS dev sequence to encode")
    parser.add_argument("--repeat", type=int, default=10, help="how many times longer the long clip is")
    parser.add_argument("--out", default=str(REPO / "benchmarks/results/ffmpeg_throughput.json"))
    args = parser.parse_args()
    mask = DAVIS / "Annotations/480p" / args.sequence / "00000.png"
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, repeat in (("short", 1), ("long", args.repeat)):
            clip = Path(tmp) / f"{name}.mp4"
            encode(args.sequence, clip, repeat)
            runs[name] = measure(clip, mask, Path(tmp) / name, args)
            print(name, runs[name], file=sys.stderr)
    report = {
        "benchmark": "vos-matte segment, H.264 854x480 in, FFV1 matte + ProRes 4444 alpha out",
        "sequence": args.sequence, "preset": args.preset, "weights": args.weights,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS")},
        **runs,
        "rss_growth_long_vs_short_mb": round(runs["long"]["peak_rss_mb"] - runs["short"]["peak_rss_mb"], 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
