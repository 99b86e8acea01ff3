"""Developer sub-commands of ``vos-matte``: DAVIS evaluation and parent-network training."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from hosts.ffmpeg.options import add_model_options, settings_from

EXIT_OK = 0


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="score the pipeline on DAVIS-layout sequences (J, F, J&F)")
    ev.add_argument("--davis-root", required=True, help="folder with JPEGImages/, Annotations/, ImageSets/")
    ev.add_argument("--sequences", help="comma-separated sequence names (default: the --split list)")
    ev.add_argument("--split", default="dev", help="ImageSets list to use when --sequences is not given")
    ev.add_argument("--resolution", default="480p", help="resolution folder (default 480p)")
    ev.add_argument("--out", help="write per-sequence results as JSON here")
    add_model_options(ev)
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


def _cmd_eval(args: argparse.Namespace, report: Callable, cancelled: Callable[[], bool]) -> int:
    import time

    from plugin.device import describe, pick_device
    from plugin.evaluate import evaluate, format_table, peak_rss_mb, write_results
    from plugin.pipeline import Cancelled
    from vos_core import get_preset

    config = get_preset(args.preset).with_overrides(**settings_from(args))
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


