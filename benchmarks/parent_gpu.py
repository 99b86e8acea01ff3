"""Train parent networks on a GPU within one fixed wall-clock budget (the device lease).

    python benchmarks/parent_gpu.py --pack PACK --out OUT --seconds 330 --lr 3e-3 --lr 1e-2

``PACK`` holds the DAVIS-2016 480p training frames as one H.264 file per sequence
(``frames/<seq>.mp4``, frames in file order; the lease's upload is 64 MiB, the JPEGs 64 MB)
and the masks as released (``masks/<seq>/NNNNN.png``); ``benchmarks/pack_frames.py`` makes it.
The frames are unpacked into a DAVIS-layout folder, a short probe measures the speed of one
training step, and one ``train_parent`` run per ``--lr`` starts from the bundled parent, all
runs side by side on the one GPU, with as many iterations as fit the budget. Each run's last
checkpoint comes back in two parts (the lease returns files of at most 16 MiB; ``cat`` them),
with the loss log and a summary JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import cv2
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vos_core.network.parent_training import ParentTrainConfig, train_parent
from vos_core.weights import BUNDLED_DIR, PARENT_FILE

CONFIG = ParentTrainConfig(batch=16, lr_drop_at=0.7, precision="auto")


def unpack(pack: Path, root: Path) -> list[str]:
    """Decode ``pack`` into ``root`` (DAVIS layout, 480p, PNG frames); return the sequence names."""
    names = []
    for video in sorted((pack / "frames").glob("*.mp4")):
        seq = video.stem
        masks = sorted((pack / "masks" / seq).glob("*.png"))
        frames_dir, masks_dir = root / "JPEGImages/480p" / seq, root / "Annotations/480p" / seq
        frames_dir.mkdir(parents=True, exist_ok=True)
        masks_dir.mkdir(parents=True, exist_ok=True)
        cap = cv2.VideoCapture(str(video))
        for mask in masks:
            ok, bgr = cap.read()
            if not ok:
                raise SystemExit(f"{video} holds fewer frames than {len(masks)} masks")
            cv2.imwrite(str(frames_dir / f"{mask.stem}.png"), bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
            (masks_dir / mask.name).write_bytes(mask.read_bytes())
        names.append(seq)
    (root / "ImageSets").mkdir(parents=True, exist_ok=True)
    (root / "ImageSets/train.txt").write_text("\n".join(names) + "\n")
    return names


def probe(root: Path, config: ParentTrainConfig, device: str, steps: int = 20) -> float:
    """Seconds per training step of one run alone (crop and whole-frame steps mixed)."""
    run = root.parent / "probe"
    config = replace(config, iterations=steps + 5, checkpoint_every=10**9)
    t0, marks = time.perf_counter(), []
    for p in train_parent(root, run, BUNDLED_DIR / PARENT_FILE, config, resolution="480p", device=device, log_every=5):
        if device == "cuda":
            torch.cuda.synchronize()
        marks.append((p.iteration, time.perf_counter()))
    (first_it, first_t), (last_it, last_t) = marks[0], marks[-1]
    print(f"probe: {(last_t - first_t) / (last_it - first_it):.4f} s/step alone, startup {first_t - t0:.1f} s", flush=True)
    return (last_t - first_t) / (last_it - first_it)


def child(root: Path, run: Path, config: ParentTrainConfig, device: str, deadline: float) -> None:
    """One training run (in its own process), stopping at ``deadline`` (time.time()) at the latest."""
    torch.backends.cudnn.benchmark = True
    config = replace(config, checkpoint_every=max(1, config.iterations // 6))
    with open(_log_of(run), "w") as log:
        for p in train_parent(root, run, BUNDLED_DIR / PARENT_FILE, config, resolution="480p", device=device,
                              log_every=max(1, min(50, config.iterations // 20))):
            log.write(json.dumps(asdict(p)) + "\n")
            log.flush()
            if time.time() > deadline:
                log.write(json.dumps({"stopped_at_deadline": p.iteration}) + "\n")
                break


def _log_of(run: Path) -> Path:
    return run.parent / f"{run.name}.log"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=Path("/tmp/parent_gpu"))
    ap.add_argument("--seconds", type=float, default=330, help="training budget of the runs together")
    ap.add_argument("--lr", type=float, action="append", required=True, help="one run per value")
    ap.add_argument("--batch", type=int, default=CONFIG.batch)
    ap.add_argument("--object-size", type=int, default=CONFIG.patches.crop.object_size, help="crops' object size")
    ap.add_argument("--context", type=float, default=CONFIG.patches.crop.context, help="crops' context")
    ap.add_argument("--scale-range", type=float, nargs=2, default=CONFIG.patches.scale_range, help="patch size jitter")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--child", nargs=4, metavar=("RUN", "ITERS", "LR", "DEADLINE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    root = args.work / "davis"
    crop = replace(CONFIG.patches.crop, object_size=args.object_size, context=args.context)
    config = replace(CONFIG, batch=args.batch, patches=replace(CONFIG.patches, crop=crop, scale_range=tuple(args.scale_range)))
    if args.child:
        run, iters, lr, deadline = args.child
        child(root, Path(run), replace(config, iterations=int(iters), learning_rate=float(lr)), args.device,
              float(deadline))
        return
    torch.backends.cudnn.benchmark = True
    t0 = time.time()
    names = unpack(args.pack, root)
    device_name = torch.cuda.get_device_name() if args.device == "cuda" else args.device
    print(f"unpacked {len(names)} sequences in {time.time() - t0:.0f} s; {device_name}", flush=True)
    per_step = probe(root, config, args.device)
    # Runs side by side share the GPU: each gets about 1/len of it; 10% slack for the start.
    iterations = max(2, int(0.9 * args.seconds / (per_step * len(args.lr))))
    deadline = time.time() + args.seconds + 30
    print(f"{len(args.lr)} runs of {iterations} iterations (batch {config.batch})", flush=True)
    runs = [args.work / f"run_lr{lr:g}" for lr in args.lr]
    procs = [subprocess.Popen([sys.executable, __file__, "--pack", str(args.pack), "--out", str(args.out), "--work",
                               str(args.work), "--lr", "0", "--batch", str(config.batch), "--device", args.device,
                               "--object-size", str(args.object_size), "--context", str(args.context),
                               "--scale-range", *map(str, args.scale_range),
                               "--child", str(run), str(iterations), str(lr), str(deadline)])
             for run, lr in zip(runs, args.lr)]
    for proc in procs:
        proc.wait()
    summary = {"device": device_name, "probe_s_per_step": per_step, "iterations_planned": iterations,
               "batch": config.batch, "train_config": asdict(config), "wall_s": time.time() - t0, "runs": {}}
    args.out.mkdir(parents=True, exist_ok=True)
    for run, lr in zip(runs, args.lr):
        ckpts = sorted(run.glob("parent_iter*.pth"), key=lambda p: int(p.stem.removeprefix("parent_iter")))
        log = _log_of(run).read_text() if _log_of(run).exists() else ""
        summary["runs"][f"{lr:g}"] = {"checkpoint": ckpts[-1].name if ckpts else None,
                                      "log": [json.loads(line) for line in log.splitlines()]}
        if ckpts:
            blob = ckpts[-1].read_bytes()
            half = len(blob) // 2 + 1
            for k in range(2):
                (args.out / f"lr{lr:g}_{ckpts[-1].stem}.part{k}").write_bytes(blob[k * half:(k + 1) * half])
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}), flush=True)
    for lr, r in summary["runs"].items():
        print(lr, r["checkpoint"], [round(e.get("loss", 0), 4) for e in r["log"][::max(1, len(r["log"]) // 12)]])


if __name__ == "__main__":
    main()
