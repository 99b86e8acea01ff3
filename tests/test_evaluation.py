"""DAVIS evaluation end to end through the CLI, on a DAVIS-layout folder that is not ../shared."""

import json
import subprocess
import sys

import cv2
import pytest

from vos_core import read_image, read_mask
from vos_core.eval.davis import load_sequence, split_names


@pytest.fixture(scope="module")
def small_davis(tmp_path_factory, davis_root):
    """Five blackswan frames at 1/4 size under a new root, listed the official-2016 way."""
    root = tmp_path_factory.mktemp("davis")
    for kind, ext in (("JPEGImages", "jpg"), ("Annotations", "png")):
        (root / kind / "480p" / "swan").mkdir(parents=True)
    for i in range(0, 10, 2):
        frame = cv2.resize(read_image(davis_root / f"JPEGImages/480p/blackswan/{i:05d}.jpg"), (214, 120))
        mask = cv2.resize(read_mask(davis_root / f"Annotations/480p/blackswan/{i:05d}.png"), (214, 120),
                          interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(str(root / f"JPEGImages/480p/swan/{i:05d}.jpg"), frame[..., ::-1])
        cv2.imwrite(str(root / f"Annotations/480p/swan/{i:05d}.png"), mask)
    (root / "ImageSets" / "480p").mkdir(parents=True)
    (root / "ImageSets/480p/dev.txt").write_text(
        "/JPEGImages/480p/swan/00000.jpg /Annotations/480p/swan/00000.png\n"
        "/JPEGImages/480p/swan/00002.jpg /Annotations/480p/swan/00002.png\n"
    )
    return root


def test_split_files_in_both_layouts(small_davis, davis_root):
    assert split_names(small_davis, "dev") == ["swan"]
    assert split_names(davis_root, "dev")[0] == "blackswan" and len(split_names(davis_root, "dev")) == 10


def test_frames_without_a_mask_are_skipped(davis_root, tmp_path):
    # As in ../shared's 240p set, which keeps the mask of every 2nd frame only.
    for kind, ext in (("JPEGImages", "jpg"), ("Annotations", "png")):
        (tmp_path / kind / "240p" / "swan").mkdir(parents=True)
        for i in range(4 if kind == "JPEGImages" else 3):
            if kind == "JPEGImages" or i % 2 == 0:
                source = davis_root / kind / "480p" / "blackswan" / f"{i:05d}.{ext}"
                (tmp_path / kind / "240p" / "swan" / f"{i:05d}.{ext}").write_bytes(source.read_bytes())
    seq = load_sequence(tmp_path, "swan", "240p")
    assert [p.stem for p in seq.frames.paths] == ["00000", "00002"]
    assert [p.stem for p in seq.masks] == ["00000", "00002"]


@pytest.mark.slow
def test_eval_cli_writes_per_sequence_json(small_davis, parent_weights, tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "hosts.ffmpeg.cli", "--quiet", "eval", "--davis-root", str(small_davis), "--split", "dev",
         "--iters", "20", "--infer-height", "120", "--weights", str(parent_weights), "--out", str(out)],
        check=False, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "swan" in proc.stdout and "mean" in proc.stdout
    data = json.loads(out.read_text())
    (seq,) = data["sequences"]
    assert seq["name"] == "swan" and seq["frames"] == 5
    # Frames 1..3 are scored; a fine-tuned net finds the swan on them.
    assert seq["J"]["mean"] > 0.5 and seq["F"]["mean"] > 0.3, (seq["J"], seq["F"])
    assert data["summary"]["J_mean"] == pytest.approx(seq["J"]["mean"])
    assert data["meta"]["peak_rss_mb"] > 0 and data["meta"]["device"].startswith("cpu")


def test_eval_cli_unknown_sequence_is_a_clear_error(small_davis, parent_weights):
    proc = subprocess.run(
        [sys.executable, "-m", "hosts.ffmpeg.cli", "eval", "--davis-root", str(small_davis), "--sequences", "nope",
         "--weights", str(parent_weights)],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert "sequence 'nope' not found" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_ablation_cli_scores_every_configuration_on_one_fine_tuning(small_davis, parent_weights, tmp_path):
    out, md = tmp_path / "ablation.json", tmp_path / "ablation.md"
    proc = subprocess.run(
        [sys.executable, "-m", "hosts.ffmpeg.cli", "--quiet", "ablation", "--davis-root", str(small_davis),
         "--split", "dev", "--iters", "20", "--infer-height", "120", "--weights", str(parent_weights),
         "--out", str(out), "--markdown", str(md)],
        check=False, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert list(data["variants"]) == ["appearance", "box_clip", "box_clip+temporal", "cc_filter", "full",
                                      "full+flow_prior"]
    for variant in data["variants"].values():
        (seq,) = variant["sequences"]
        assert seq["name"] == "swan" and seq["J"]["mean"] > 0.5, seq["J"]  # every configuration finds the swan
    # One fine-tuning serves every row: the timings are the same measurement.
    assert len({v["sequences"][0]["finetune_s"] for v in data["variants"].values()}) == 1
    assert data["variants"]["full"]["sequences"][0]["classes"] == ["bird"]  # YOLOX names the swan a bird
    table = md.read_text()
    full = data["variants"]["full"]["summary"]
    seconds = full["finetune_s_mean"] + 70 * full["infer_s_per_frame_mean"]
    assert f"| full | {100 * full['J_mean']:.1f} | {100 * full['F_mean']:.1f} | {seconds:.0f} | 80.1 |" in table
    assert "| full+flow_prior |" in table and table.count("| — |") == 1  # beyond the paper: no paper figure
