"""Pack the DAVIS-2016 480p training frames small enough for a GPU lease's upload.

The 526 JPEGs of the 30 training sequences hold 64 MB; the lease takes 64 MiB with the repository.
Each sequence becomes one H.264 file (CRF 23, about 38–40 dB PSNR against the JPEGs, 21 MB in all)
beside the masks as released, the layout ``benchmarks/parent_gpu.py --pack`` reads:

    .venv/bin/python benchmarks/pack_frames.py --out .devpack   # then carry .devpack to the lease
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

from vos_core.eval.davis import split_names
from vos_core.media.ffmpeg_process import find_ffmpeg

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--crf", type=int, default=23)
    args = ap.parse_args()
    (args.out / "frames").mkdir(parents=True, exist_ok=True)
    for seq in split_names(DAVIS, "train"):
        frames = DAVIS / "JPEGImages/480p" / seq
        subprocess.run([find_ffmpeg(), "-v", "error", "-y", "-framerate", "6", "-pattern_type", "glob", "-i",
                        str(frames / "*.jpg"), "-c:v", "libx264", "-crf", str(args.crf), "-preset", "slow",
                        "-pix_fmt", "yuv420p", str(args.out / "frames" / f"{seq}.mp4")], check=True)
        shutil.copytree(DAVIS / "Annotations/480p" / seq, args.out / "masks" / seq, dirs_exist_ok=True)
        print(seq, flush=True)


if __name__ == "__main__":
    main()
