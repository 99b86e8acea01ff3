"""``vos-matte``: the command-line host.

Sub-commands: ``segment`` (one clip), ``eval`` (DAVIS scores), ``train-parent`` (offline
training). Heavy libraries are imported inside the commands so ``--help`` is instant.
Exit status: 0 ok, 1 failed, 2 usage, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="fast", help="quality preset: fast, balanced or best (default: fast)")
    p.add_argument("--iters", type=int, dest="finetune_iters", help="one-shot fine-tuning iterations (overrides preset)")
    p.add_argument("--infer-height", type=int, help="network input height for inference (overrides preset)")
    p.add_argument("--threshold", type=float, help="map threshold in (0,1) (overrides preset)")
    p.add_argument("--weights", help="weights file or folder (default: $VOS_WEIGHTS_DIR, then the bundled parent)")
    p.add_argument("--device", help="cpu, cuda, cuda:N or mps (default: a GPU when present)")


def _settings(args: argparse.Namespace) -> dict:
    return {k: getattr(args, k) for k in ("finetune_iters", "infer_height", "threshold") if getattr(args, k) is not None}


def _cmd_segment(args: argparse.Namespace, report: Callable, cancelled: Callable[[], bool]) -> int:
    from plugin.jobs import SegmentJob
    from plugin.pipeline import run_job

    job = SegmentJob(
        input=args.input, mask=args.mask, output=args.output, mask_frame=args.mask_frame, preset=args.preset,
        settings=_settings(args), weights=args.weights, device=args.device, resize_mask=args.resize_mask,
    )
    run_job(job, report, cancelled)
    return EXIT_OK


def _cmd_eval(args: argparse.Namespace, report: Callable, cancelled: Callable[[], bool]) -> int:
    import time

    from plugin.device import describe, pick_device
    from plugin.evaluate import evaluate, format_table, peak_rss_mb, write_results
    from plugin.pipeline import Cancelled
    from vos_core import get_preset

    config = get_preset(args.preset).with_overrides(**_settings(args))
    device = pick_device(args.device)
    names = args.sequences.split(",") if args.sequences else None
    reports = []
    start = time.perf_counter()
    for rep in evaluate(args.davis_root, config, names, args.split, args.resolution, args.weights, device):
        reports.append(rep)
        report("progress", {"stage": "evaluate", "done": len(reports), "total": len(names) if names else None,
                            "elapsed_s": time.perf_counter() - start, "eta_s": None, "fps": 0.0, "sequence": rep.name})
        if cancelled():
            raise Cancelled()
    meta = {"preset": args.preset, "config": config.to_dict(), "device": describe(device), "davis_root": args.davis_root,
            "resolution": args.resolution, "weights": args.weights, "peak_rss_mb": peak_rss_mb(),
            "seconds": time.perf_counter() - start}
    if args.out:
        write_results(args.out, reports, meta)
    print(format_table(reports))
    print(f"device {meta['device']}, peak RSS {meta['peak_rss_mb']:.0f} MiB, {meta['seconds']:.0f} s")
    return EXIT_OK


def _cmd_train_parent(args: argparse.Namespace, report: Callable, cancelled: Callable[[], bool]) -> int:
    from plugin.device import pick_device
    from plugin.pipeline import Cancelled
    from vos_core.parent_training import ParentTrainConfig, train_parent

    config = ParentTrainConfig(iterations=args.iterations, learning_rate=args.lr, checkpoint_every=args.checkpoint_every,
                               side_depth=args.side_depth, seed=args.seed)
    device = pick_device(args.device)
    for p in train_parent(args.davis_root, args.run_dir, args.init, config, device=str(device)):
        print(f"iter {p.iteration}/{p.total} loss {p.loss:.4f} {p.images_per_s:.2f} img/s", flush=True)
        if cancelled():
            raise Cancelled()
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vos-matte", description=__doc__.split("\n")[0])
    parser.add_argument("--progress", choices=("bar", "json"), default="bar", help="progress on stderr: bar or json lines")
    parser.add_argument("--quiet", action="store_true", help="print errors only")
    sub = parser.add_subparsers(dest="command", required=True)

    seg = sub.add_parser("segment", help="cut an object out of a clip, given its mask on one frame")
    seg.add_argument("input", help="video file or folder of frames")
    seg.add_argument("--mask", required=True, help="mask image (white = object) drawn on --mask-frame")
    seg.add_argument("--mask-frame", type=int, default=0, help="frame index the mask was drawn on (default 0)")
    seg.add_argument("--resize-mask", action="store_true", help="resize the mask to the frame size if they differ")
    seg.add_argument("-o", "--output", required=True, help="output folder of PNG mattes")
    _add_model_options(seg)
    seg.set_defaults(run=_cmd_segment)

    ev = sub.add_parser("eval", help="score the pipeline on DAVIS-layout sequences (J, F, J&F)")
    ev.add_argument("--davis-root", required=True, help="folder with JPEGImages/, Annotations/, ImageSets/")
    ev.add_argument("--sequences", help="comma-separated sequence names (default: the --split list)")
    ev.add_argument("--split", default="dev", help="ImageSets list to use when --sequences is not given")
    ev.add_argument("--resolution", default="480p", help="resolution folder (default 480p)")
    ev.add_argument("--out", help="write per-sequence results as JSON here")
    _add_model_options(ev)
    ev.set_defaults(run=_cmd_eval)

    tp = sub.add_parser("train-parent", help="train the parent network offline (resumes from RUN_DIR/last.pt)")
    tp.add_argument("--davis-root", required=True)
    tp.add_argument("--run-dir", required=True, help="checkpoints and resume state go here")
    tp.add_argument("--init", required=True, help="ImageNet VGG16 weights (vgg16_imagenet_caffe_bgr_fp16.pth)")
    tp.add_argument("--iterations", type=int, default=6000)
    tp.add_argument("--lr", type=float, default=3e-3)
    tp.add_argument("--checkpoint-every", type=int, default=250)
    tp.add_argument("--side-depth", type=int, default=1, help="1: the paper's net; 16: the OSVOS variant")
    tp.add_argument("--seed", type=int, default=0)
    tp.add_argument("--device")
    tp.set_defaults(run=_cmd_train_parent)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from hosts.ffmpeg.progress import ProgressReporter

    report = ProgressReporter("quiet" if args.quiet else args.progress)
    stop: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.append(signum))
    from plugin.pipeline import Cancelled
    from vos_core import VosError

    try:
        return args.run(args, report, lambda: bool(stop))
    except Cancelled:
        report.finish()
        print("vos-matte: cancelled; no partial output was left", file=sys.stderr)
        return 128 + stop[0]
    except VosError as exc:
        report.finish()
        print(f"vos-matte: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
