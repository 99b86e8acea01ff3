"""A parent network on the straight line between two parents' weights, and its score.

The 480p parent was trained on from the 240-line one, so both lie in one basin of the loss and
every network on the segment between them is a working parent. Interpolating a network and its
continuation keeps much of what the continuation learnt and recovers what it forgot (WiSE-FT,
Wortsman et al., CVPR 2022): here the 480p parent learnt small objects at the crop scale
(kite-surf, libby) and lost large articulated ones (breakdance, scooter-black).

    .venv/bin/python benchmarks/parent_soup.py NEW.pth OLD.pth --alpha 0.5 --out FILE [--score]

writes ``alpha × NEW + (1 − alpha) × OLD`` as a float16 parent with its ``.sha256`` sidecar, its
lineage in the metadata; ``--score`` then runs the full ``fast`` pipeline with it on the dev
split (as ``vos-matte eval --preset fast --weights FILE``) and adds a row to
``benchmarks/results/parent_soup.json`` (``{"rows": [{"alpha", "J", "F", "per_sequence", "new",
"old"}]}``, J and F in percent, ``new`` and ``old`` the sources' SHA-256). The shipped parent's two
sources are in git history: ``git show ed185b3:vos_core/weights/parent_fp16.pth`` (480p) and
``git show db5dfd0:vos_core/weights/parent_fp16.pth`` (240 lines).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from plugin.evaluate import evaluate, summary, write_json
from vos_core import get_preset, load_net
from vos_core.network.checkpoints import save_parent
from vos_core.weights import sha256_of

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
RESULTS = REPO / "benchmarks" / "results" / "parent_soup.json"


def write_soup(new: Path, old: Path, alpha: float, out: Path) -> str:
    """Save ``alpha × new + (1 − alpha) × old`` (both parent files) to ``out``; return its SHA-256."""
    if not 0.0 <= alpha <= 1.0:
        raise SystemExit(f"--alpha must be in [0, 1], got {alpha}")
    net, info = load_net(new)
    other, _ = load_net(old)
    theirs = other.state_dict()
    net.load_state_dict({k: alpha * v + (1 - alpha) * theirs[k] for k, v in net.state_dict().items()})
    lineage = {"average_of": {sha256_of(new): alpha, sha256_of(old): 1 - alpha}}
    return save_parent(net, out, {**info["meta"], **lineage})


def score(weights: Path) -> dict:
    """J and F (percent, mean and per clip) of the full ``fast`` pipeline on the dev split."""
    reports = [r[""] for r in evaluate(DAVIS, get_preset("fast"), split="dev", weights=weights)]
    means = summary(reports)
    per_sequence = {r.name: {"J": round(100 * r.J.mean, 2), "F": round(100 * r.F.mean, 2)} for r in reports}
    return {"J": round(100 * means["J_mean"], 2), "F": round(100 * means["F_mean"], 2), "per_sequence": per_sequence}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("new", type=Path, help="the parent trained on (weight alpha)")
    parser.add_argument("old", type=Path, help="the parent it was trained from (weight 1 - alpha)")
    parser.add_argument("--alpha", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--score", action="store_true", help="score it (fast preset, dev split) into parent_soup.json")
    args = parser.parse_args()
    digest = write_soup(args.new, args.old, args.alpha, args.out)
    print(f"{args.out}: sha256 {digest}")
    if args.score:
        data = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"rows": []}
        rows = [r for r in data["rows"] if r["alpha"] != args.alpha]
        row = {"alpha": args.alpha, **score(args.out), "new": sha256_of(args.new), "old": sha256_of(args.old)}
        write_json(RESULTS, {**data, "rows": sorted([*rows, row], key=lambda r: r["alpha"])})
        print(f"alpha {args.alpha}: J {row['J']:.1f}  F {row['F']:.1f}")


if __name__ == "__main__":
    main()
