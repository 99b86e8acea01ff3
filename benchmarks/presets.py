"""Each preset end to end on the DAVIS-2016 dev split: the paper's ablation and the full pipeline.

For every preset this runs ``vos-matte ablation`` (one fine-tuning per clip, the ablation's filter
configurations scored on the same maps; each configuration's per-frame time is that of a run
using it) and writes ``benchmarks/results/ablation_<preset>.{json,md}``. From the row that is the preset's own
configuration (``full``, or ``full+flow_prior`` for a preset that uses the prior) it writes
``benchmarks/results/presets.json``: a list of ``{"preset", "J", "F", "seconds_per_70_frames",
"split"}`` (J and F in percent; seconds = mean one-shot fine-tuning + 70 × mean seconds per 480p
frame, torch's default threads: 2 here), and ``presets_detail.json``: the same rows with the
per-sequence scores, settings, machine and command.

    .venv/bin/python benchmarks/presets.py [--presets fast,balanced,best] [--redo]

A preset whose ablation JSON exists is not run again unless ``--redo`` (resumable).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from vos_core import get_preset
from vos_core.config import ABLATION

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
RESULTS = REPO / "benchmarks" / "results"
FRAMES_PER_SHOT = 70
SUMMARY_FIELDS = ("preset", "J", "F", "seconds_per_70_frames", "split")  # presets.json, as issue 10 asks


def ablation_command(preset: str) -> list[str]:
    return [sys.executable, "-m", "hosts.ffmpeg.cli", "ablation", "--davis-root", str(DAVIS), "--split", "dev",
            "--preset", preset,
            "--out", str(RESULTS / f"ablation_{preset}.json"), "--markdown", str(RESULTS / f"ablation_{preset}.md")]


def own_row(preset: str) -> str:
    """The ablation row that is the preset itself (``full``; ``full+flow_prior`` for a preset with the prior)."""
    config = get_preset(preset)
    return next(name for name, overrides in ABLATION.items() if config.with_overrides(**overrides) == config)


def preset_row(preset: str) -> dict:
    """The presets.json entry of one preset: its ablation row with the preset's own settings."""
    data = json.loads((RESULTS / f"ablation_{preset}.json").read_text())
    full = data["variants"][own_row(preset)]
    s = full["summary"]
    return {
        "preset": preset,
        "J": round(100 * s["J_mean"], 2),
        "F": round(100 * s["F_mean"], 2),
        "seconds_per_70_frames": round(s["finetune_s_mean"] + FRAMES_PER_SHOT * s["infer_s_per_frame_mean"], 1),
        "split": "dev",
        "ablation_row": own_row(preset),
        "finetune_s_mean": round(s["finetune_s_mean"], 1),
        "s_per_frame_480p": round(s["infer_s_per_frame_mean"], 3),
        "per_sequence": {r["name"]: {"J": round(100 * r["J"]["mean"], 1), "F": round(100 * r["F"]["mean"], 1)}
                         for r in full["sequences"]},
        "config": data["meta"]["config"],
        "device": data["meta"]["device"],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "command": " ".join(ablation_command(preset)[1:]).replace(str(REPO) + "/", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", default="fast,balanced,best")
    parser.add_argument("--redo", action="store_true", help="run presets whose results already exist again")
    args = parser.parse_args()
    presets = args.presets.split(",")
    for preset in presets:
        if args.redo or not (RESULTS / f"ablation_{preset}.json").is_file():
            subprocess.run(ablation_command(preset), cwd=REPO, check=True)
    detail = RESULTS / "presets_detail.json"
    rows = {r["preset"]: r for r in (json.loads(detail.read_text()) if detail.is_file() else [])}
    rows.update({p: preset_row(p) for p in presets})
    ordered = [rows[p] for p in sorted(rows, key=["fast", "balanced", "best"].index)]
    detail.write_text(json.dumps(ordered, indent=2) + "\n")
    summary = [{k: row[k] for k in SUMMARY_FIELDS} for row in ordered]
    (RESULTS / "presets.json").write_text(json.dumps(summary, indent=2) + "\n")
    for row in ordered:
        print(f"{row['preset']:<9} J {row['J']:5.1f}  F {row['F']:5.1f}  {row['seconds_per_70_frames']:6.1f} s / 70 frames")


if __name__ == "__main__":
    main()
