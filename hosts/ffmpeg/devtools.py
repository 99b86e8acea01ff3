"""Developer sub-commands of ``vos-matte``: DAVIS evaluation, the paper's ablation, parent training."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from hosts.ffmpeg.options import add_model_options, settings_from

EXIT_OK = 0

# J mean of the paper's Table 1 (DAVIS-2016 val, full set), row by row (rows beyond the paper: none).
PAPER_TABLE1 = {"appearance": 76.0, "box_clip": 76.4, "box_clip+temporal": 76.7, "cc_filter": 79.1, "full": 80.1}


def register(sub: argparse._SubParsersAction) -> None:
    for name, help_text, run in (
        ("eval", "score the pipeline on DAVIS-layout sequences (J, F, J&F)", _cmd_eval),
        ("ablation", "the paper's Table 1: five filtering configurations on the same fine-tuned maps", _cmd_ablation),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--davis-root", required=True, help="folder with JPEGImages/, Annotations/, ImageSets/")
        p.add_argument("--sequences", help="comma-separated sequence names (default: the --split list)")
        p.add_argument("--split", default="dev", help="ImageSets list to use when --sequences is not given")
        p.add_argument("--resolution", default="480p", help="resolution folder (default 480p)")
        p.add_argument("--out", help="write per-sequence results as JSON here")
        if name == "ablation":
            p.add_argument("--markdown", help="write the table as markdown here")
        add_model_options(p)
        p.set_defaults(run=run)

    tp = sub.add_parser("train-parent", help="train the parent network offline (resumes from RUN_DIR/last.pt)")
    tp.add_argument("--davis-root", required=True)
    tp.add_argument("--run-dir", required=True, help="checkpoints and resume state go here")
    tp.add_argument("--init", required=True,
                    help="ImageNet VGG16 weights (vgg16_imagenet_caffe_bgr_fp16.pth), or a parent to train further")
    tp.add_argument("--iterations", type=int, default=4000)
    tp.add_argument("--lr", type=float, default=3e-3)
    tp.add_argument("--lr-drop-at", type=float, default=0.8, help="fraction of the run after which the LR is ×0.1")
    tp.add_argument("--accumulate", type=int, default=1, help="frames whose gradients are averaged per step")
    tp.add_argument("--checkpoint-every", type=int, default=250)
    tp.add_argument("--side-depth", type=int, default=1, help="1: the paper's net; 16: the OSVOS variant")
    tp.add_argument("--deep-supervision", action="store_true",
                    help="a loss on every side output too (with --side-depth 16: the OSVOS variant)")
    tp.add_argument("--seed", type=int, default=0)
    tp.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    tp.add_argument("--device")
    tp.set_defaults(run=_cmd_train_parent)


def _run_evaluation(args: argparse.Namespace, report: Callable, cancelled: Callable[[], bool], variants: dict | None):
    from plugin.device import describe, pick_device
    from plugin.evaluate import evaluate, peak_rss_mb
    from plugin.pipeline import Cancelled
    from vos_core import get_preset
    from vos_core.eval.davis import split_names

    config = get_preset(args.preset).with_overrides(**settings_from(args))
    variant_configs = {k: config.with_overrides(**v) for k, v in variants.items()} if variants else None
    device = pick_device(args.device)
    names = args.sequences.split(",") if args.sequences else split_names(args.davis_root, args.split)
    per_variant: dict[str, list] = {}
    start = time.perf_counter()
    for done, reports in enumerate(evaluate(args.davis_root, config, names, args.split, args.resolution,
                                            args.weights, device, variant_configs), 1):
        for name, rep in reports.items():
            per_variant.setdefault(name, []).append(rep)
        elapsed = time.perf_counter() - start
        report("progress", {"stage": "evaluate", "done": done, "total": len(names), "elapsed_s": elapsed,
                            "eta_s": elapsed / done * (len(names) - done), "fps": 0.0})
        if cancelled():
            raise Cancelled()
    meta = {"preset": args.preset, "config": config.to_dict(), "device": describe(device, config.precision), "davis_root": args.davis_root,
            "resolution": args.resolution, "weights": args.weights, "peak_rss_mb": peak_rss_mb(),
            "seconds": time.perf_counter() - start}
    return per_variant, meta


def _cmd_eval(args: argparse.Namespace, report: Callable, cancelled: Callable[[], bool]) -> int:
    from plugin.evaluate import format_table, results_dict, write_json

    per_variant, meta = _run_evaluation(args, report, cancelled, None)
    reports = per_variant[""]
    if args.out:
        write_json(args.out, {"meta": meta, **results_dict(reports)})
    print(format_table(reports))
    print(f"device {meta['device']}, peak RSS {meta['peak_rss_mb']:.0f} MiB, {meta['seconds']:.0f} s")
    return EXIT_OK


def _cmd_ablation(args: argparse.Namespace, report: Callable, cancelled: Callable[[], bool]) -> int:
    from pathlib import Path

    from plugin.evaluate import results_dict, summary, write_json
    from vos_core.config import ABLATION

    per_variant, meta = _run_evaluation(args, report, cancelled, ABLATION)
    if args.out:
        write_json(args.out, {"meta": meta, "variants": {k: results_dict(v) for k, v in per_variant.items()}})
    names = [r.name for r in per_variant["full"]]
    lines = ["| configuration | J mean | F mean | s / 70 frames | paper J (full val) | " + " | ".join(names) + " |",
             "|---|---|---|---|---|" + "---|" * len(names)]
    for variant, reports in per_variant.items():
        s = summary(reports)
        seconds = s["finetune_s_mean"] + 70 * s["infer_s_per_frame_mean"]
        lines.append(f"| {variant} | {100 * s['J_mean']:.1f} | {100 * s['F_mean']:.1f} | {seconds:.0f} | {PAPER_TABLE1.get(variant, '—')} | "
                     + " | ".join(f"{100 * r.J.mean:.1f}" for r in reports) + " |")
    classes = ", ".join(f"{r.name}: {'/'.join(r.classes) or 'uncategorized'}" for r in per_variant["full"])
    table = "\n".join(lines) + f"\n\nPer-sequence cells are J mean. Frame-0 detector classes: {classes}.\n"
    if args.markdown:
        Path(args.markdown).write_text(table)
    print(table)
    return EXIT_OK


def _cmd_train_parent(args: argparse.Namespace, report: Callable, cancelled: Callable[[], bool]) -> int:
    import torch

    from plugin.device import pick_device
    from plugin.pipeline import Cancelled
    from vos_core.network.parent_training import ParentTrainConfig, train_parent

    if args.threads:
        torch.set_num_threads(args.threads)
    config = ParentTrainConfig(iterations=args.iterations, learning_rate=args.lr, checkpoint_every=args.checkpoint_every,
                               side_depth=args.side_depth, deep_supervision=args.deep_supervision, seed=args.seed,
                               lr_drop_at=args.lr_drop_at, accumulate=args.accumulate)
    device = pick_device(args.device)
    for p in train_parent(args.davis_root, args.run_dir, args.init, config, device=str(device)):
        print(f"{time.strftime('%H:%M:%S')} iter {p.iteration}/{p.total} loss {p.loss:.4f} {p.images_per_s:.2f} img/s",
              flush=True)
        if cancelled():
            raise Cancelled()
    return EXIT_OK
